import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { type AssetCode, Code } from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { lambdaDefines } from '#adapters/bundle-access.ts';
import { type FunctionSpec, functionSpecs } from '#handlers/registry.ts';

/**
 * How the Lambda code is built: each function's bundle holds makegood's own code only, and every
 * third-party module it imports (the AWS SDK, Powertools, zod, hono, standardwebhooks) comes from
 * one layer, built here from the same node_modules (the versions of package-lock.json). The layer
 * is bundled too, with esbuild's code splitting: one file per module the functions import, holding
 * only the names they import of it, and the code those files share in chunks. A function loads
 * only the layer files it imports.
 *
 * A bundle imports the layer by absolute path (`/opt/makegood/zod.mjs`, where Lambda mounts the
 * layer's `makegood/` folder), not by package name: a name the layer lacked would otherwise
 * resolve to the runtime's own AWS SDK, a version nothing here was tested with, instead of failing.
 *
 * The CDK stack (through {@link functionCode} and {@link layerCode}), bench/bundle-size.ts and the
 * tests build with {@link buildLambdas}, so that what is measured is what is deployed.
 */

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where Lambda mounts the layer's `makegood/` folder. */
export const LAYER_MOUNT = '/opt/makegood';

/** The SDK's default credential chain, replaced with what can answer in Lambda: see lambda-credentials.ts. */
const credentialsAlias = { '@aws-sdk/credential-provider-node': join(repositoryRoot, 'functions/adapters/lambda-credentials.ts') };

/**
 * Lets CommonJS dependencies bundled into an ESM output call `require` for Node built-ins;
 * without it esbuild's shim throws "Dynamic require of "x" is not supported" at cold start. Only
 * the layer holds CommonJS (aws-xray-sdk-core and what it requires).
 */
const esmRequireBanner =
  "import { createRequire as __makegoodCreateRequire } from 'node:module'; const require = __makegoodCreateRequire(import.meta.url);";

/** The options both builds share. */
const common = {
  bundle: true,
  platform: 'node',
  // The stack's Runtime.NODEJS_22_X.
  target: 'node22',
  format: 'esm',
  // ESM entry points of dependencies first; esbuild's default prefers `main` for node.
  mainFields: ['module', 'main'],
  minify: true,
  // No source maps. Lambda reads a map only under NODE_OPTIONS=--enable-source-maps, and then
  // parses it at every cold start: a fresh Node 22 importing a bundle took 14–44 ms longer with
  // its map than without one ("Bundle sizes" in bench/RESULTS.md), paid by every cold start to
  // make the stack traces of the rare crash readable. The traces name
  // minified code instead; the error names and messages, which the logs and the ASL's Catch go
  // by, are the same.
  sourcemap: false,
  // Non-ASCII text (the Ukrainian and Russian emails) as UTF-8 rather than `\uXXXX` escapes:
  // 2 bytes a letter instead of 6.
  charset: 'utf8',
  absWorkingDir: repositoryRoot,
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** The layer file a package import becomes: `@aws-sdk/lib-dynamodb` → `@aws-sdk/lib-dynamodb.mjs`. */
export function layerFile(specifier: string): string {
  return `${specifier}.mjs`;
}

const isPackageImport = (specifier: string) => !/^[./#]/.test(specifier) && !isBuiltin(specifier);

/**
 * Sends every package a function's own code imports to the layer. `sideEffects: false` lets
 * esbuild drop an import whose names the function never uses (the SES client of a function
 * granted no mail, once deps.ts's `define`d constants have made its adapter dead code); a package
 * import kept only for its side effects would be dropped too, and the code has none.
 */
const toLayer: Plugin = {
  name: 'makegood-layer',
  setup(b) {
    b.onResolve({ filter: /^[^./#]/ }, (args) =>
      isPackageImport(args.path) ? { path: `${LAYER_MOUNT}/${layerFile(args.path)}`, external: true, sideEffects: false } : undefined,
    );
  },
};

/** What the functions import of one layer module. */
interface LayerImport {
  readonly names: Set<string>;
  /** `import * as x`: the names the source reads off `x` ({@link namespaceMembers}). */
  namespace: boolean;
}

/**
 * The layer modules a bundle imports, with the names it imports of each. Read off esbuild's own
 * output, whose imports are all at the top level in the forms `import{a as b,c}from"…"`,
 * `import*as d from"…"`, `import e from"…"` and `import"…"`; a name this missed would fail the
 * bundle's import in test/infra/bundle-run.test.ts, which links every function against the layer.
 */
export function layerImportsOf(code: string): Map<string, LayerImport> {
  const imports = new Map<string, LayerImport>();
  const pattern = /\bimport\s*(?:([\w$]+)\s*,?\s*)?(?:(\*)\s*as\s*[\w$]+|\{([^}]*)\})?\s*(?:from\s*)?"([^"]+)"/g;
  const prefix = `${LAYER_MOUNT}/`;
  for (const [, defaultName, star, named, from] of code.matchAll(pattern)) {
    if (from === undefined || !from.startsWith(prefix)) continue;
    const file = from.slice(prefix.length);
    const entry = imports.get(file) ?? { names: new Set<string>(), namespace: false };
    imports.set(file, entry);
    if (defaultName !== undefined) entry.names.add('default');
    if (star !== undefined) entry.namespace = true;
    for (const element of named?.split(',') ?? []) {
      const name = element.trim().split(/\s+as\s+/)[0];
      if (name) entry.names.add(name);
    }
  }
  return imports;
}

/** Source without its comments, with line breaks kept, so that what is left is code and strings. */
const withoutComments = (source: string) =>
  source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(?<![:'"])\/\/.*$/gm, '');

/**
 * What a function's own source reads off each `import * as x from 'pkg'`: zod's schema builders,
 * written `z.object(…)`, which esbuild keeps as one namespace import of the external module. The
 * layer re-exports just these (of the names the package exports at run time; `z.infer` is a type)
 * instead of all of zod, whose locales alone are 255 KB. That holds only while the source reads a
 * namespace as `z.name` alone; a `z` used any other way (passed to a function, say) would need
 * the whole module, so it stops the build, naming the file and line.
 */
function namespaceMembers(metafile: Metafile): Map<string, Set<string>> {
  const members = new Map<string, Set<string>>();
  for (const path of Object.keys(metafile.inputs)) {
    if (path.includes('node_modules/') || !path.endsWith('.ts')) continue;
    const source = readFileSync(join(repositoryRoot, path), 'utf8');
    for (const [, binding, specifier] of source.matchAll(/^import \* as ([\w$]+) from '([^']+)';/gm)) {
      if (binding === undefined || specifier === undefined) continue;
      const reads = namespaceReads(source, binding);
      if (reads.otherUse !== undefined) {
        throw new Error(
          `${path}:${reads.otherUse}: ${binding} (import * as ${binding} from '${specifier}') is used other than as ${binding}.name, so the layer cannot tell which of its exports the function needs`,
        );
      }
      const names = members.get(specifier) ?? new Set<string>();
      for (const n of reads.members) names.add(n);
      members.set(specifier, names);
    }
  }
  return members;
}

/** The names a module's source reads off a namespace binding (`z.object` → `object`), and the line of its first other use, if any. */
export function namespaceReads(source: string, binding: string): { members: Set<string>; otherUse?: number } {
  const name = binding.replace('$', '\\$');
  const code = withoutComments(source).replace(/^import .*$/gm, '');
  const members = new Set<string>();
  for (const [, member] of code.matchAll(new RegExp(`\\b${name}\\s*\\.\\s*([A-Za-z_$][\\w$]*)`, 'g'))) {
    if (member !== undefined) members.add(member);
  }
  // Not a member read, and not inside another name, a string or a character range such as `[a-z]`.
  const other = new RegExp(`(?<![\\w$.'"\`/-])${name}(?![\\w$])(?!\\s*\\.)`).exec(code);
  return other === null ? { members } : { members, otherUse: code.slice(0, other.index).split('\n').length };
}

/** The module a layer file re-exports: the names the functions import of it, and no more. */
async function layerEntrySource(specifier: string, wanted: LayerImport, members: ReadonlySet<string>): Promise<string> {
  const names = new Set(wanted.names);
  if (wanted.namespace) {
    const exported = new Set(Object.keys(await import(specifier)));
    for (const name of members) if (exported.has(name)) names.add(name);
  }
  return names.size === 0 ? '' : `export { ${[...names].sort().join(', ')} } from ${JSON.stringify(specifier)};`;
}

export interface BuiltFunction {
  readonly spec: FunctionSpec;
  /** The folder Lambda gets: `index.mjs`. */
  readonly dir: string;
  readonly bytes: number;
  readonly metafile: Metafile;
  /** The layer files it imports, directly and through the layer's chunks. */
  readonly layerFiles: readonly string[];
}

export interface BuiltLambdas {
  readonly functions: readonly BuiltFunction[];
  /** The layer's content: `makegood/…`, mounted at {@link LAYER_MOUNT}. */
  readonly layerDir: string;
  readonly layerMetafile: Metafile;
  /** Bytes of each layer file, by its path under `makegood/`. */
  readonly layerBytes: ReadonlyMap<string, number>;
}

/** How a function's bundle is built (without its `outfile`). */
function functionBuildOptions(spec: FunctionSpec) {
  return {
    ...common,
    entryPoints: [join(repositoryRoot, spec.entry)],
    // The function's access, so that the adapters of the ports it is not granted, and their SDK
    // clients, are dead code in its bundle (functions/adapters/deps.ts); and no fault injection.
    define: lambdaDefines(spec.access),
    plugins: [toLayer],
  } satisfies BuildOptions;
}

/**
 * The same function as one file with its third-party code inside: what the stack deployed before
 * the layer, and what bench/bundle-size.ts measures the layer against.
 */
export function singleFileBuildOptions(spec: FunctionSpec) {
  return {
    ...functionBuildOptions(spec),
    plugins: [],
    alias: credentialsAlias,
    banner: { js: esmRequireBanner },
  } satisfies BuildOptions;
}

/** Builds every function of the registry into `outDir/functions/<id>/index.mjs` and the layer into `outDir/layer/makegood/`. */
export async function buildLambdas(outDir: string, specs: readonly FunctionSpec[] = functionSpecs): Promise<BuiltLambdas> {
  const bundles = await Promise.all(
    specs.map(async (spec) => {
      const dir = join(outDir, 'functions', spec.id);
      const outfile = join(dir, 'index.mjs');
      const result = await build({ ...functionBuildOptions(spec), outfile, metafile: true });
      return { spec, dir, outfile, metafile: result.metafile, imports: layerImportsOf(readFileSync(outfile, 'utf8')) };
    }),
  );

  const wanted = new Map<string, LayerImport>();
  const members = new Map<string, Set<string>>();
  for (const b of bundles) {
    for (const [specifier, names] of namespaceMembers(b.metafile)) {
      const all = members.get(specifier) ?? new Set<string>();
      for (const n of names) all.add(n);
      members.set(specifier, all);
    }
    for (const [file, i] of b.imports) {
      const all = wanted.get(file) ?? { names: new Set<string>(), namespace: false };
      for (const n of i.names) all.names.add(n);
      all.namespace ||= i.namespace;
      wanted.set(file, all);
    }
  }
  const layerDir = join(outDir, 'layer');
  const layerRoot = join(layerDir, 'makegood');
  const specifierOf = (file: string) => file.slice(0, -'.mjs'.length);
  const entries = new Map(
    await Promise.all(
      [...wanted].map(
        async ([file, w]) => [file, await layerEntrySource(specifierOf(file), w, members.get(specifierOf(file)) ?? new Set())] as const,
      ),
    ),
  );
  const layer = await build({
    ...common,
    entryPoints: [...entries.keys()].map((file) => ({ in: `layer-entry:${file}`, out: specifierOf(file) })),
    outdir: layerRoot,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: esmRequireBanner },
    alias: credentialsAlias,
    metafile: true,
    plugins: [
      {
        name: 'makegood-layer-entries',
        setup(b) {
          b.onResolve({ filter: /^layer-entry:/ }, (args) => ({ path: args.path.slice('layer-entry:'.length), namespace: 'layer-entry' }));
          b.onLoad({ filter: /.*/, namespace: 'layer-entry' }, (args) => ({
            contents: entries.get(args.path) ?? '',
            resolveDir: repositoryRoot,
            loader: 'js',
          }));
        },
      },
    ],
  });

  const layerBytes = new Map<string, number>();
  const layerImports = new Map<string, string[]>();
  for (const [path, output] of Object.entries(layer.metafile.outputs)) {
    const file = relative(layerRoot, join(repositoryRoot, path));
    layerBytes.set(file, output.bytes);
    layerImports.set(
      file,
      output.imports
        .filter((i) => !i.external && i.kind === 'import-statement')
        .map((i) => relative(layerRoot, join(repositoryRoot, i.path))),
    );
  }
  const closure = (files: Iterable<string>) => {
    const seen = new Set<string>();
    const visit = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const g of layerImports.get(f) ?? []) visit(g);
    };
    for (const f of files) visit(f);
    return [...seen].sort();
  };

  return {
    functions: bundles.map((b) => ({
      spec: b.spec,
      dir: b.dir,
      bytes: statSync(b.outfile).size,
      metafile: b.metafile,
      layerFiles: closure(b.imports.keys()),
    })),
    layerDir,
    layerMetafile: layer.metafile,
    layerBytes,
  };
}

/**
 * The build of this process, made once, on the first asset CDK bundles (never when bundling is
 * skipped, as the infra tests skip it). esbuild's plugins need its asynchronous API and CDK's
 * bundling is synchronous, so the build runs in a child process: infra/build-lambdas.ts.
 */
let built: string | undefined;
function builtDir(): string {
  if (built === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'makegood-lambdas-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    execFileSync(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'infra/build-lambdas.ts'), dir], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    built = dir;
  }
  return built;
}

/** An asset whose content is one folder of the build, hashed by that content. */
function builtAsset(folder: string): AssetCode {
  return Code.fromAsset(repositoryRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never run: the local bundling below always succeeds or throws.
      image: DockerImage.fromRegistry('makegood-local-bundling-only'),
      // Never run either, but part of the key CDK caches staged assets by: without something
      // that differs, every asset of this kind (same source folder, same image) would be given
      // the first one's content.
      command: ['copy', folder],
      local: {
        tryBundle(outputDir) {
          cpSync(join(builtDir(), folder), outputDir, { recursive: true });
          return true;
        },
      },
    },
  });
}

/** A function's code: its bundle, `index.mjs` (handler `index.handler`). */
export const functionCode = (spec: FunctionSpec): AssetCode => builtAsset(join('functions', spec.id));

/** The layer every function imports its third-party code from. */
export const layerCode = (): AssetCode => builtAsset('layer');

/**
 * Node flags that make a process outside Lambda find the layer where a bundle imports it: a
 * resolve hook that maps {@link LAYER_MOUNT} to `layerDir/makegood`. For the tests, which run the
 * bundles byte for byte as built (the bench rewrites the path instead, to keep a hook's cost out
 * of its timings).
 */
export function layerResolveFlags(layerDir: string): string[] {
  const root = pathToFileURL(join(layerDir, 'makegood')).href;
  const hooks = `export async function resolve(specifier, context, next) {
  return specifier.startsWith(${JSON.stringify(`${LAYER_MOUNT}/`)})
    ? { url: ${JSON.stringify(`${root}/`)} + specifier.slice(${LAYER_MOUNT.length + 1}), shortCircuit: true }
    : next(specifier, context);
}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
}
