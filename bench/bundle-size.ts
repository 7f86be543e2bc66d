/**
 * The size of every Lambda bundle, built from the registry exactly as deployed (the options of
 * infra/bundling.ts, with the esbuild in node_modules, the one CDK's local bundling runs): the
 * bundle, its source map when maps are kept, and the five packages that take the most bytes of it
 * (esbuild's metafile).
 *
 *   npm run bench:bundles [-- --cold-start --runs 21 --node .cache/node22/bin/node]
 *
 * `--cold-start` also times how long a fresh `node` process takes to import each bundle, without a
 * source map and with one under `--enable-source-maps` (the two choices infra/bundling.ts weighs),
 * alternating the two, and prints the medians. Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { type FunctionSpec, functionSpecs } from '#handlers/registry.ts';
import { esbuildOptions } from '#infra/bundling.ts';

const { values } = parseArgs({
  options: {
    'cold-start': { type: 'boolean', default: false },
    runs: { type: 'string', default: '21' },
    node: { type: 'string', default: process.execPath },
  },
});
const runs = Number(values.runs);

const kb = (bytes: number) => Math.round(bytes / 1024);

/** Bytes in the output by package (`zod`, `@smithy/core`), or by folder for makegood's own code (`functions/domain`). */
function bytesByPackage(metafile: Metafile): Array<[string, number]> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]);
}

/** Builds a function into `dir/<id>/index.mjs`, as CDK names it. */
async function bundle(spec: FunctionSpec, dir: string, sourcemap?: boolean) {
  const outfile = join(dir, spec.id, 'index.mjs');
  const options = esbuildOptions(spec);
  const result = await build({
    ...options,
    ...(sourcemap === undefined ? {} : { sourcemap }),
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  const withMap = sourcemap ?? options.sourcemap === true;
  return {
    outfile,
    bytes: statSync(outfile).size,
    mapBytes: withMap ? statSync(`${outfile}.map`).size : undefined,
    metafile: result.metafile,
  };
}

/** Milliseconds a fresh process takes to import the bundle (parse, link, evaluate its top level). */
function importMs(outfile: string, nodeFlags: readonly string[]): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(values.node, [...nodeFlags, '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'makegood-bundles-'));
try {
  const built = [];
  for (const spec of functionSpecs) built.push({ spec, ...(await bundle(spec, dir)) });
  const keepsMaps = built.some((b) => b.mapBytes !== undefined);

  console.log(`Lambda bundles as deployed (esbuild, infra/bundling.ts), KB = 1,024 bytes`);
  console.log(`| function | bundle KB |${keepsMaps ? ' map KB |' : ''} largest inputs (KB) |`);
  console.log(`| --- | --: |${keepsMaps ? ' --: |' : ''} --- |`);
  for (const b of built) {
    const top = bytesByPackage(b.metafile)
      .slice(0, 5)
      .map(([name, bytes]) => `${name} ${kb(bytes)}`)
      .join(', ');
    console.log(`| ${b.spec.id} | ${kb(b.bytes)} |${keepsMaps ? ` ${kb(b.mapBytes ?? 0)} |` : ''} ${top} |`);
  }
  const sizes = built.map((b) => kb(b.bytes));
  console.log(`\n${built.length} functions, ${Math.min(...sizes)}–${Math.max(...sizes)} KB`);

  if (values['cold-start']) {
    const nodeVersion = execFileSync(values.node, ['--version'], { encoding: 'utf8' }).trim();
    console.log(`\nImport time of a fresh process, ${nodeVersion}, median of ${runs} runs each, ms`);
    console.log('| function | no map | map KB | map, --enable-source-maps | difference |');
    console.log('| --- | --: | --: | --: | --: |');
    for (const spec of functionSpecs) {
      const plain = await bundle(spec, join(dir, 'plain'), false);
      const mapped = await bundle(spec, join(dir, 'mapped'), true);
      const without: number[] = [];
      const withMaps: number[] = [];
      importMs(plain.outfile, []); // one warm-up each, so the first timed run does not pay for the disk cache
      importMs(mapped.outfile, ['--enable-source-maps']);
      for (let i = 0; i < runs; i++) {
        without.push(importMs(plain.outfile, []));
        withMaps.push(importMs(mapped.outfile, ['--enable-source-maps']));
      }
      const a = median(without);
      const b = median(withMaps);
      console.log(`| ${spec.id} | ${a.toFixed(1)} | ${kb(mapped.mapBytes ?? 0)} | ${b.toFixed(1)} | +${(b - a).toFixed(1)} |`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
