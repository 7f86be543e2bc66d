/**
 * The size of every Lambda function's code, built exactly as deployed (infra/bundling.ts, with
 * the esbuild in node_modules): its bundle (makegood's own code), the layer files it imports
 * (third-party code, loaded at its cold start too), and the five inputs that take the most bytes
 * of its bundle (esbuild's metafile). Then the layer as a whole.
 *
 *   npm run bench:bundles [-- --cold-start --runs 21 --node .cache/node22/bin/node]
 *
 * `--cold-start` also times how long a fresh `node` process takes to import each function (parse,
 * link, evaluate its top level; no handler call): as deployed, the bundle with the layer files it
 * imports, and as one file with its third-party code inside (infra/bundling.ts's
 * `singleFileBuildOptions`, what the stack deployed before the layer). Beside them, in the same
 * rounds, two floors: a hello-world handler, and a file that only builds the SDK clients the
 * function's access grants (the same clients and credentials provider, nothing of makegood). The
 * four alternate; it prints the median and min–max of each. Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { portsGranted } from '#adapters/bundle-access.ts';
import type { FunctionSpec } from '#handlers/registry.ts';
import { buildLambdas, LAYER_MOUNT, singleFileBuildOptions } from '#infra/bundling.ts';

const { values } = parseArgs({
  options: {
    'cold-start': { type: 'boolean', default: false },
    runs: { type: 'string', default: '21' },
    node: { type: 'string', default: process.execPath },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1, not ${JSON.stringify(values.runs)}`);

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

/** Milliseconds a fresh process takes to import the file (parse, link, evaluate its top level). */
function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(values.node, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]) => {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const spread = (xs: readonly number[]) => `${median(xs).toFixed(1)} (${sorted(xs)[0]!.toFixed(1)}–${sorted(xs).at(-1)!.toFixed(1)})`;

/** The SDK clients a function's access grants, as deps.ts builds them: what the SDK floor builds and nothing else. */
function sdkOnlySource(spec: FunctionSpec): string {
  const granted = portsGranted(spec.access);
  const lines = ['const clients = [];'];
  if (granted.ledger || granted.state) {
    lines.push(
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
    );
    lines.push('clients.push(DynamoDBDocumentClient.from(new DynamoDBClient({})));');
  }
  if (granted.mail) lines.push("import { SESv2Client } from '@aws-sdk/client-sesv2';", 'clients.push(new SESv2Client({}));');
  if (granted.workflow) lines.push("import { SFNClient } from '@aws-sdk/client-sfn';", 'clients.push(new SFNClient({}));');
  if (granted.secrets) {
    lines.push("import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';", 'clients.push(new SecretsManagerClient({}));');
  }
  lines.push('export const handler = async () => clients.length;');
  return lines.join('\n');
}

/** A floor, built like a function's one-file bundle from `contents` instead of its entry. */
async function buildFloor(spec: FunctionSpec, contents: string, outfile: string): Promise<number> {
  const { entryPoints: _, ...options } = singleFileBuildOptions(spec);
  await build({ ...options, stdin: { contents, resolveDir: process.cwd(), loader: 'js' }, outfile });
  return statSync(outfile).size;
}

const dir = mkdtempSync(join(tmpdir(), 'makegood-bundles-'));
try {
  const built = await buildLambdas(join(dir, 'deployed'));
  const layerKb = (files: readonly string[]) => kb(files.reduce((sum, f) => sum + (built.layerBytes.get(f) ?? 0), 0));

  console.log('Lambda code as deployed (esbuild, infra/bundling.ts), KB = 1,024 bytes');
  console.log('| function | bundle KB | layer KB it imports | loaded KB | largest inputs of its bundle (KB) |');
  console.log('| --- | --: | --: | --: | --- |');
  for (const f of built.functions) {
    const top = bytesByPackage(f.metafile)
      .slice(0, 5)
      .map(([name, bytes]) => `${name} ${kb(bytes)}`)
      .join(', ');
    console.log(`| ${f.spec.id} | ${kb(f.bytes)} | ${layerKb(f.layerFiles)} | ${kb(f.bytes) + layerKb(f.layerFiles)} | ${top} |`);
  }
  const sizes = built.functions.map((f) => kb(f.bytes));
  console.log(`\n${built.functions.length} functions, bundles ${Math.min(...sizes)}–${Math.max(...sizes)} KB`);
  console.log(`The layer: ${built.layerBytes.size} files, ${layerKb([...built.layerBytes.keys()])} KB; largest packages in it (KB):`);
  console.log(
    bytesByPackage(built.layerMetafile)
      .slice(0, 10)
      .map(([name, bytes]) => `${name} ${kb(bytes)}`)
      .join(', '),
  );

  if (values['cold-start']) {
    const nodeVersion = execFileSync(values.node, ['--version'], { encoding: 'utf8' }).trim();
    console.log(`\nImport time of a fresh process, ${nodeVersion}, median (min–max) of ${runs} runs each, ms`);
    console.log(
      '| function | as deployed: bundle + layer | one file, third-party code inside | one file KB | its SDK clients only | SDK-only KB | hello world |',
    );
    console.log('| --- | --: | --: | --: | --: | --: | --: |');
    // The bundle as deployed, with the layer's absolute path pointed at this build's layer: the
    // same module graph, without a resolve hook's own cost in the timing.
    const layerRoot = join(built.layerDir, 'makegood');
    const hello = join(dir, 'hello', 'index.mjs');
    const helloBytes = await buildFloor(built.functions[0]!.spec, 'export const handler = async () => ({ statusCode: 200 });', hello);
    console.log(`(the hello-world bundle is ${helloBytes} bytes)`);
    for (const f of built.functions) {
      const deployed = join(dir, 'timed', f.spec.id, 'index.mjs');
      mkdirSync(join(dir, 'timed', f.spec.id), { recursive: true });
      writeFileSync(deployed, readFileSync(join(f.dir, 'index.mjs'), 'utf8').replaceAll(`"${LAYER_MOUNT}/`, `"${layerRoot}/`));
      const single = join(dir, 'single', f.spec.id, 'index.mjs');
      await build({ ...singleFileBuildOptions(f.spec), outfile: single });
      const sdkOnly = join(dir, 'sdk', f.spec.id, 'index.mjs');
      const sdkBytes = await buildFloor(f.spec, sdkOnlySource(f.spec), sdkOnly);
      const files = [deployed, single, sdkOnly, hello];
      const times = files.map((): number[] => []);
      for (const file of files) importMs(file); // one warm-up each, so the first timed run does not pay for the disk cache
      for (let i = 0; i < runs; i++) {
        for (const [j, file] of files.entries()) times[j]!.push(importMs(file));
      }
      const [a, b, c, d] = times.map(spread);
      console.log(`| ${f.spec.id} | ${a} | ${b} | ${kb(statSync(single).size)} | ${c} | ${kb(sdkBytes)} | ${d} |`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
