/**
 * `makegood keys list|rotate-approval`: the approval keys, which seal every approval link, status
 * link, console sign-in link, session cookie and form nonce (adapters/secrets.ts, domain/key-ring.ts).
 *
 * A rotation makes a new key current; the old one keeps opening what it sealed until it retires,
 * by default after the longest life of anything it sealed (a customer's status link,
 * {@link STATUS_LINK_DAYS} days), so no link already sent stops working early. Key values are never printed.
 *
 * Exit codes: 0 done, 1 refused (no keys, no stack to talk to), 2 usage.
 */
import { randomBytes } from 'node:crypto';
import {
  type ApprovalKeysDocument,
  approvalKeysSchema,
  parseSecret,
  rotatedApprovalKeys,
  SECRET_CACHE_MS,
  type SecretStore,
  secretNames,
} from '#adapters/secrets.ts';
import { KEY_ID } from '#domain/key-ring.ts';
import { STATUS_LINK_DAYS } from '#domain/people-tokens.ts';
import { type Command, commandOf, parseSubcommand, Refused, UsageError } from './command.ts';

/** Where the command writes, and how it reaches a stack: replaced by tests. */
export interface KeysIo {
  out(text: string): void;
  err(text: string): void;
  connect(dataDir: string | undefined): Promise<{ secrets: SecretStore; target: string; deployed: boolean }>;
  now(): Date;
}

export const USAGE = `usage:
  makegood keys list
  makegood keys rotate-approval [--retire-after-days <n>]

list             the approval keys' ids: which is current, and when each older one retires.
rotate-approval  makes a new approval key current. The old ones keep opening the links, cookies
                 and nonces they sealed for --retire-after-days (default ${STATUS_LINK_DAYS}, the life of a
                 customer's status link; 0 retires them at once, for a key that leaked: every link
                 sent before stops working).
options: --data-dir <dir> (the embedded stack's data; default ./.makegood); MAKEGOOD_LEDGER_TABLE,
MAKEGOOD_STATE_TABLE and MAKEGOOD_SECRETS_PREFIX in the environment use a deployed stack instead.
exit codes: 0 done, 1 refused, 2 usage.
`;

async function readKeys(secrets: SecretStore): Promise<ApprovalKeysDocument> {
  const text = await secrets.read(secretNames.approvalKeys);
  if (text === undefined)
    throw new Refused(
      `There are no approval keys (${secretNames.approvalKeys}): deploy the stateful stack, or start the embedded stack once`,
    );
  return parseSecret(secretNames.approvalKeys, text, approvalKeysSchema);
}

/** The key ids of a document, newest first, with when each retires. */
export function describeKeys(doc: ApprovalKeysDocument, now: Date): string[] {
  const ids = Object.keys(doc)
    .filter((f) => KEY_ID.test(f))
    .sort((a, b) => Number(b.slice(1)) - Number(a.slice(1)));
  return ids.map((id) => {
    if (id === doc.current) {
      const from = doc.activatesAt?.[id];
      return from !== undefined && new Date(from) > now ? `${id}  current from ${from}` : `${id}  current`;
    }
    const at = doc.retiresAt?.[id];
    if (at === undefined) return `${id}  in force, no retirement set`;
    return `${id}  ${new Date(at) > now ? 'retires' : 'retired'} ${at}`;
  });
}

export function keysCommand(io: KeysIo): Command {
  return commandOf((argv) => runKeys(argv, io), USAGE, io);
}

async function runKeys(argv: string[], io: KeysIo): Promise<number> {
  const parsed = parseSubcommand('keys', argv, options, { list: ['data-dir'], 'rotate-approval': ['retire-after-days', 'data-dir'] });
  if (parsed?.kind !== 'subcommand') {
    io.out(USAGE);
    return parsed === undefined ? 2 : 0;
  }
  const { name: sub, args, values } = parsed;
  if (args.length > 0) throw new UsageError(`keys ${sub}: unexpected argument ${JSON.stringify(args[0])}`);
  const text = values['retire-after-days'];
  const days = text === undefined ? STATUS_LINK_DAYS : /^[0-9]{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(days >= 0 && days <= 3650))
    throw new UsageError(`--retire-after-days must be a whole number of days from 0 to 3650, not ${JSON.stringify(text)}`);

  const { secrets, target, deployed } = await io.connect(values['data-dir']).catch((err: unknown) => {
    throw new Refused((err as Error).message);
  });
  const now = io.now();
  const doc = await readKeys(secrets);
  if (sub === 'list') {
    io.out(
      `Approval keys in ${target}:\n${describeKeys(doc, now)
        .map((l) => `  ${l}\n`)
        .join('')}`,
    );
    return 0;
  }
  // Deployed functions cache the keys: the new one seals only once every function has read it
  // (and opens from the start), so no link is sealed with a key a warm function does not know.
  const activateAt = new Date(now.getTime() + (deployed ? SECRET_CACHE_MS + 60_000 : 0));
  const retireAt = new Date(activateAt.getTime() + days * 86_400_000);
  const next = rotatedApprovalKeys(doc, randomBytes(32).toString('hex'), now, retireAt, activateAt);
  await secrets.write(secretNames.approvalKeys, JSON.stringify(next), 'makegood approval keys');
  const takesEffect = deployed
    ? `from ${activateAt.toISOString()}, once every function has read it (they read secrets again within ${SECRET_CACHE_MS / 60_000} minutes); until then the key before it does`
    : 'now';
  io.out(
    `Rotated the approval keys in ${target}: ${next.current} seals new links ${takesEffect}.\n` +
      (days < STATUS_LINK_DAYS
        ? `Warning: links sealed by the older keys stop working when they retire, before some of them expire (status links last ${STATUS_LINK_DAYS} days).\n`
        : '') +
      describeKeys(next, now)
        .map((l) => `  ${l}\n`)
        .join(''),
  );
  return 0;
}

const options = {
  'retire-after-days': { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The command as `makegood keys` runs it. */
export const command: Command = keysCommand({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  connect: async (dataDir) => {
    const { connect } = await import('./connect.ts');
    const { secrets, target, deployed } = await connect(dataDir);
    if (!secrets)
      throw new Error("MAKEGOOD_SECRETS_PREFIX is required with a deployed stack: it is the stateful stack's SecretsPrefix output");
    return { secrets, target, deployed };
  },
  now: () => new Date(),
});
