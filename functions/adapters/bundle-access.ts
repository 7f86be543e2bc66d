import type { FunctionAccess } from '#handlers/registry.ts';

/**
 * Which adapters a function's Lambda bundle holds. Plain data, like table-schema.ts: the CDK's
 * bundling (infra/bundling.ts) and `makeDeps` (deps.ts) read the same names and the same rule.
 */

/** A port of {@link FunctionAccess}: one group of adapters behind one AWS SDK client. */
export type AccessPort = keyof FunctionAccess;

/** Whether an access lets a function use each port at all (`read` and `append` alike). */
export function portsGranted(access: FunctionAccess): Readonly<Record<AccessPort, boolean>> {
  return {
    ledger: access.ledger !== 'none',
    state: access.state !== 'none',
    mail: access.mail !== 'none',
    workflow: access.workflow.length > 0,
    secrets: access.secrets.length > 0,
  };
}

/**
 * The constant that stands for each port in deps.ts: esbuild's `define` replaces it with `true`
 * or `false` in a function's bundle, and leaves it undefined everywhere else.
 */
export const bundleConstants = {
  ledger: 'MAKEGOOD_BUNDLE_LEDGER',
  state: 'MAKEGOOD_BUNDLE_STATE',
  mail: 'MAKEGOOD_BUNDLE_MAIL',
  workflow: 'MAKEGOOD_BUNDLE_WORKFLOW',
  secrets: 'MAKEGOOD_BUNDLE_SECRETS',
} as const satisfies Record<AccessPort, string>;

/** The esbuild `define` of a function's bundle: each port's constant, `true` when its access grants the port. */
export function accessDefines(access: FunctionAccess): Record<string, string> {
  const granted = portsGranted(access);
  return Object.fromEntries(
    (Object.keys(bundleConstants) as AccessPort[]).map((port) => [bundleConstants[port], JSON.stringify(granted[port])]),
  );
}

/**
 * Everything esbuild defines in a function's Lambda bundle: its access ({@link accessDefines}),
 * and `MAKEGOOD_BUNDLE_FAULTS` false, which leaves the tests' fault injection (faults.ts) out.
 */
export function lambdaDefines(access: FunctionAccess): Record<string, string> {
  return { ...accessDefines(access), MAKEGOOD_BUNDLE_FAULTS: 'false' };
}
