import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeDeps } from '#adapters/deps.ts';
import { type Config, parseConfig } from '#config';
import { RUNTIME_FILE } from '#local/stack.ts';
import type { Deps } from '#ports';

/** Where a CLI command reads and writes. */
export interface Connection {
  readonly config: Config;
  readonly deps: Deps;
  /** In words, for the command's first line: which stack this is. */
  readonly target: string;
}

/**
 * Connects to a deployed stack when `MAKEGOOD_LEDGER_TABLE` is set (AWS credentials and region from
 * the usual AWS environment), else to the embedded stack running from the data directory
 * (`--data-dir`, `MAKEGOOD_DATA_DIR`, or `./.makegood`), whose endpoints it finds in the file the
 * running stack writes there.
 */
export async function connect(dataDir?: string): Promise<Connection> {
  // As in the embedded stack: the SDK's once-a-process note that it will need Node 22 from 2027.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.env.MAKEGOOD_LEDGER_TABLE) {
    const config = parseConfig({ MAKEGOOD_SECRETS_FILE: '/dev/null', ...process.env });
    return { config, deps: makeDeps(config), target: `deployed tables ${config.ledgerTable}, ${config.stateTable} (${config.region})` };
  }
  const dir = resolve(dataDir ?? process.env.MAKEGOOD_DATA_DIR ?? '.makegood');
  let env: Record<string, string>;
  try {
    env = JSON.parse(await readFile(join(dir, RUNTIME_FILE), 'utf8')) as Record<string, string>;
  } catch {
    throw new Error(
      `No embedded stack is running from ${dir}: start it with \`npm start\` (or pass --data-dir), or set MAKEGOOD_LEDGER_TABLE and MAKEGOOD_STATE_TABLE to use a deployed stack.`,
    );
  }
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY });
  const config = parseConfig(env);
  return { config, deps: makeDeps(config), target: `the embedded stack in ${dir}` };
}
