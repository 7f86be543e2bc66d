import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeDeps, secretStore } from '#adapters/deps.ts';
import type { SecretStore } from '#adapters/secrets.ts';
import { type Config, parseConfig } from '#config';
import { RUNTIME_FILE } from '#local/stack.ts';
import type { Deps } from '#ports';

/** Where a CLI command reads and writes. */
export interface Connection {
  readonly config: Config;
  readonly deps: Deps;
  /** In words, for the command's first line: which stack this is. */
  readonly target: string;
  /** The secrets are in Secrets Manager (the functions cache them), not the embedded stack's files. */
  readonly deployed: boolean;
  /** The secrets, to write: undefined for tables named in the environment without MAKEGOOD_SECRETS_PREFIX. */
  readonly secrets: SecretStore | undefined;
}

/**
 * Connects to a deployed stack when `MAKEGOOD_LEDGER_TABLE` is set (with `MAKEGOOD_STATE_TABLE` and,
 * for the commands that handle secrets, `MAKEGOOD_SECRETS_PREFIX`: the stacks' outputs; AWS
 * credentials and region from the usual AWS environment), else to the embedded stack running from the data directory
 * (`--data-dir`, `MAKEGOOD_DATA_DIR`, or `./.makegood`), whose endpoints it finds in the file the
 * running stack writes there.
 */
export async function connect(dataDir?: string): Promise<Connection> {
  // As in the embedded stack: the SDK's once-a-process note that it will need Node 22 from 2027.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.env.MAKEGOOD_LEDGER_TABLE) {
    // Most commands read no secret: the prefix is required only by those that do (`storefront`, `keys`).
    const config = parseConfig({ MAKEGOOD_SECRETS_DIR: '/nonexistent', ...process.env });
    return {
      config,
      deps: makeDeps(config),
      target: `deployed tables ${config.ledgerTable}, ${config.stateTable} (${config.region})`,
      deployed: config.secretsPrefix !== undefined,
      secrets: process.env.MAKEGOOD_SECRETS_PREFIX || process.env.MAKEGOOD_SECRETS_DIR ? secretStore(config) : undefined,
    };
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
  return { config, deps: makeDeps(config), target: `the embedded stack in ${dir}`, deployed: false, secrets: secretStore(config) };
}
