import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { accessDefines } from '#adapters/bundle-access.ts';
import type { FunctionSpec } from '#handlers/registry.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** The SDK's default credential chain, and what the Lambda bundles use instead. */
const DEFAULT_CREDENTIALS = '@aws-sdk/credential-provider-node';
const LAMBDA_CREDENTIALS = './functions/adapters/lambda-credentials.ts';

/**
 * Lets CommonJS dependencies bundled into an ESM output call `require` for Node built-ins;
 * without it esbuild's shim throws "Dynamic require of "x" is not supported" at cold start.
 */
export const esmRequireBanner =
  "import { createRequire as __makegoodCreateRequire } from 'node:module'; const require = __makegoodCreateRequire(import.meta.url);";

/**
 * How a function is bundled: what `NodejsFunction` is given in infra/stateless-stack.ts, and what
 * bench/bundle-size.ts and test/infra/bundle-size.test.ts build (through {@link esbuildOptions}),
 * so that what is measured is what is deployed.
 */
export function functionBundling(spec: FunctionSpec) {
  return {
    format: OutputFormat.ESM,
    // The stack's Runtime.NODEJS_22_X; CDK derives the same target from the runtime when none is given.
    target: 'node22',
    // ESM entry points of dependencies first; esbuild's default prefers `main` for node.
    mainFields: ['module', 'main'],
    minify: true,
    // No source maps. Lambda reads a map only under NODE_OPTIONS=--enable-source-maps, and then
    // parses it at every cold start: a fresh Node 22 importing a bundle took 14–44 ms longer with
    // its map (2,620–3,346 KB) than without one (median 28.5 ms, on 88–134 ms; `npm run
    // bench:bundles -- --cold-start`, bench/RESULTS.md), paid by every cold start to make the stack
    // traces of the rare crash readable. The traces name minified code instead; the error names
    // and messages, which the logs and the ASL's Catch go by, are the same.
    sourceMap: false,
    // Non-ASCII text (the Ukrainian and Russian emails) as UTF-8 rather than `\uXXXX` escapes:
    // 2 bytes a letter instead of 6. As an esbuild flag: aws-cdk-lib 2.276's `charset` option is
    // declared but reaches no esbuild argument (its bundling.js never reads it).
    // The SDK's default credential chain, replaced by the one provider that can answer in Lambda:
    // the environment (functions/adapters/lambda-credentials.ts). As an esbuild flag, as CDK has no
    // option for it; the path is relative to the repository root, where CDK runs esbuild.
    esbuildArgs: { '--charset': 'utf8', [`--alias:${DEFAULT_CREDENTIALS}`]: LAMBDA_CREDENTIALS } as const,
    banner: esmRequireBanner,
    // The AWS SDK versions in package-lock.json are the ones the tests ran against; the
    // runtime's bundled SDK changes underneath us.
    bundleAwsSDK: true,
    // The function's access, so that the adapters of the ports it is not granted, and their SDK
    // clients, are dead code in its bundle (functions/adapters/deps.ts).
    define: accessDefines(spec.access),
    forceDockerBundling: false,
  } satisfies BundlingOptions;
}

/**
 * The same build through esbuild's API, option for option as CDK's local bundling passes them to
 * esbuild's command line (`--bundle --platform=node --target --format --minify --banner:js
 * --define --main-fields`, then the `esbuildArgs`, `--charset` and `--alias`; no `--external` under `bundleAwsSDK`), so the
 * bundles come out byte for byte as `cdk synth` writes them. An option added to
 * {@link functionBundling} is added here too.
 */
export function esbuildOptions(spec: FunctionSpec): BuildOptions {
  const bundling = functionBundling(spec);
  return {
    absWorkingDir: repositoryRoot,
    entryPoints: [join(repositoryRoot, spec.entry)],
    bundle: true,
    platform: 'node',
    target: bundling.target,
    format: bundling.format,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    charset: bundling.esbuildArgs['--charset'],
    alias: { [DEFAULT_CREDENTIALS]: bundling.esbuildArgs[`--alias:${DEFAULT_CREDENTIALS}`] },
    banner: { js: bundling.banner },
    define: bundling.define,
    mainFields: bundling.mainFields,
  };
}
