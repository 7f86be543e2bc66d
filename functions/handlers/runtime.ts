import { makeDeps } from '#adapters/deps.ts';
import { tracer } from '#adapters/tracing.ts';
import { parseConfig } from '#config';
import type { Deps } from '#ports';
import { traceInvocations } from './observability.ts';

// A function that builds SDK clients has the X-Ray SDK in its bundle anyway: trace its invocations too.
traceInvocations(tracer);

let cached: { fingerprint: string; deps: Deps } | undefined;

function fingerprint(env: NodeJS.ProcessEnv): string {
  return Object.keys(env)
    .filter((k) => k.startsWith('MAKEGOOD_') || k === 'AWS_REGION')
    .sort()
    .map((k) => `${k}=${env[k]}`)
    .join('\n');
}

/**
 * The adapters, built once per cold start from the environment. Lazy, so a module can be imported
 * before its environment is set. In Lambda the environment never changes, so this builds once;
 * the embedded runtime restarted inside one process (its tests do) gets adapters for its new
 * endpoints instead of stale clients.
 */
export function runtimeDeps(): Deps {
  const fp = fingerprint(process.env);
  if (cached?.fingerprint !== fp) cached = { fingerprint: fp, deps: makeDeps(parseConfig(process.env)) };
  return cached.deps;
}
