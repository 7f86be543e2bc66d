import { Logger } from '@aws-lambda-powertools/logger';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import type { Deps } from '#ports';

/** One structured logger per function (Powertools: JSON lines with the request's ids). */
export const logger = new Logger({ serviceName: 'makegood' });

let deps: Deps | undefined;

/**
 * The adapters, built once per cold start from the environment. Lazy so that a module can be
 * imported before its environment is set (the embedded runtime and tests set it first anyway).
 */
export function runtimeDeps(): Deps {
  deps ??= makeDeps(parseConfig(process.env));
  return deps;
}
