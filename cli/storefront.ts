/**
 * `makegood storefront add|rotate-secret|set-webhook|list`: onboarding a shop and rotating its
 * secrets, against the embedded stack or a deployed one (see connect.ts).
 *
 * A storefront is two things kept apart: its settings in the state table (name, sender, return
 * address, webhook URL) and its secrets (adapters/secrets.ts: `storefronts/<id>`, a file in the
 * embedded stack, a Secrets Manager secret on AWS). A secret value is printed once, when it is
 * made, and never again: `list` shows key ids and dates only.
 *
 * Exit codes: 0 done, 1 refused (a storefront that exists or does not, a URL not allowed, no
 * stack to talk to), 2 usage.
 */
import { randomBytes } from 'node:crypto';
import {
  inForce,
  MISSING_SECRET_CACHE_MS,
  nextKeyId,
  parseSecret,
  rotated,
  SECRET_CACHE_MS,
  type SecretStore,
  STOREFRONT_ID,
  type StorefrontSecretsDocument,
  secretNames,
  storefrontSecretsSchema,
  type VersionedSecret,
} from '#adapters/secrets.ts';
import { InvalidRequestError } from '#domain/errors.ts';
import { assertWebhookUrl } from '#domain/webhook-events.ts';
import type { StateStore, Storefront } from '#ports';
import { type Command, commandOf, parseSubcommand, Refused, UsageError } from './command.ts';

/** What the storefront commands need of a stack. */
export interface StorefrontDeps {
  readonly state: Pick<StateStore, 'storefront' | 'storefronts' | 'putStorefront'>;
  readonly secrets: SecretStore;
}

/** Where the command writes, and how it reaches a stack: replaced by tests. */
export interface StorefrontIo {
  out(text: string): void;
  err(text: string): void;
  connect(dataDir: string | undefined): Promise<{ deps: StorefrontDeps; target: string; deployed: boolean }>;
  now(): Date;
}

/** How long an old signing secret is still accepted after a rotation, unless `--grace-hours` says otherwise. */
export const DEFAULT_GRACE_HOURS = 7 * 24;
/** The longest grace period: a secret that should have been replaced is not kept for longer. */
export const MAX_GRACE_HOURS = 90 * 24;

export const USAGE = `usage:
  makegood storefront add <id> --name <name> [--mail-from <address>] [--reply-to <address>]
                              [--return-address <text>] [--webhook-url <url>]
  makegood storefront rotate-secret <id> [--webhook] [--grace-hours <n>]
  makegood storefront set-webhook <id> --url <url>
  makegood storefront list [--format text|json]

add            registers the storefront (settings in the state table) and makes its signing secret
               (key k1), printed once: give it to the shop, which signs every request with it
               (README, "Signing a request"). With --webhook-url, also its webhook signing secret
               (whsec_…). The storefront still needs a policy: makegood policy put <file> --storefront <id>.
rotate-secret  makes a new signing secret (or, with --webhook, a new webhook secret), printed once.
               The old one keeps working for --grace-hours (default ${DEFAULT_GRACE_HOURS}, at most ${MAX_GRACE_HOURS}; 0 retires
               it at once, for a secret that leaked): requests signed with either are accepted, and
               webhooks carry a signature by each, until then. Deployed functions read secrets
               again within ${SECRET_CACHE_MS / 60_000} minutes: switch the shop to the new secret after that.
set-webhook    sets the storefront's webhook URL (https://, or http:// to 127.0.0.1 or localhost),
               clearing a DISABLED endpoint, and makes a webhook signing secret if it has none in
               force (printed once).
list           every storefront: name, webhook URL, and its secrets' key ids with when each was
               made and retires. No secret values.
options: --data-dir <dir> (the embedded stack's data; default ./.makegood); MAKEGOOD_LEDGER_TABLE,
MAKEGOOD_STATE_TABLE and MAKEGOOD_SECRETS_PREFIX in the environment (the stacks' outputs, with AWS
credentials) use a deployed stack instead.
exit codes: 0 done, 1 refused, 2 usage.
`;

/** What the command line asks for. */
export type StorefrontRequest =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'add';
      readonly storefront: Omit<Storefront, 'webhook'>;
      readonly webhookUrl?: string;
      readonly dataDir?: string;
    }
  | {
      readonly kind: 'rotate-secret';
      readonly storefrontId: string;
      readonly webhook: boolean;
      readonly graceHours: number;
      readonly dataDir?: string;
    }
  | { readonly kind: 'set-webhook'; readonly storefrontId: string; readonly url: string; readonly dataDir?: string }
  | { readonly kind: 'list'; readonly format: 'text' | 'json'; readonly dataDir?: string };

const options = {
  name: { type: 'string' },
  'mail-from': { type: 'string' },
  'reply-to': { type: 'string' },
  'return-address': { type: 'string' },
  'webhook-url': { type: 'string' },
  webhook: { type: 'boolean' },
  'grace-hours': { type: 'string' },
  url: { type: 'string' },
  format: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options each subcommand takes (besides `--help`). */
const allowed = {
  add: ['name', 'mail-from', 'reply-to', 'return-address', 'webhook-url', 'data-dir'],
  'rotate-secret': ['webhook', 'grace-hours', 'data-dir'],
  'set-webhook': ['url', 'data-dir'],
  list: ['format', 'data-dir'],
} as const;

/** An address as a sender or reply-to: one `local@domain`, no display name, no spaces. */
const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

function storefrontIdArg(sub: string, args: readonly string[]): string {
  if (args.length !== 1) throw new UsageError(`storefront ${sub}: expected 1 argument (the storefront id), not ${args.length}`);
  const id = args[0] as string;
  if (!STOREFRONT_ID.test(id))
    throw new UsageError(`storefront ${sub}: ${JSON.stringify(id)} is not a storefront id (1–64 letters, digits, _ or -)`);
  return id;
}

function address(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!EMAIL.test(value) || value.length > 254)
    throw new UsageError(`--${flag} must be one email address (name@example.com), not ${JSON.stringify(value)}`);
  return value;
}

/** Reads the command line; throws a usage error naming the argument that is wrong. `undefined` when no subcommand is given. */
export function parseStorefrontArgs(argv: string[]): StorefrontRequest | undefined {
  const parsed = parseSubcommand('storefront', argv, options, allowed);
  if (parsed?.kind !== 'subcommand') return parsed;
  const { name, args, values } = parsed;
  const dataDir = values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] };
  switch (name) {
    case 'add': {
      const id = storefrontIdArg(name, args);
      // Secrets Manager reads a name ending in `-` and six characters as a partial ARN (its own
      // suffix), so such a name may find another secret or none.
      if (/-[A-Za-z0-9]{6}$/.test(id)) {
        throw new UsageError(
          `storefront add: ${JSON.stringify(id)} ends in - and six letters or digits, which Secrets Manager mistakes for an ARN suffix; choose another id`,
        );
      }
      const shopName = values.name?.trim();
      if (!shopName) throw new UsageError("storefront add: --name is required (the shop's name, as customers know it)");
      if (shopName.length > 200) throw new UsageError(`storefront add: --name is at most 200 characters, not ${shopName.length}`);
      const mailFrom = address('mail-from', values['mail-from']);
      const replyTo = address('reply-to', values['reply-to']);
      const returnAddress = values['return-address']?.replace(/\\n/g, '\n').trim();
      if (returnAddress !== undefined && (returnAddress === '' || returnAddress.length > 500)) {
        throw new UsageError('storefront add: --return-address is a postal address of 1–500 characters (lines separated by \\n)');
      }
      return {
        kind: 'add',
        storefront: {
          id,
          name: shopName,
          ...(mailFrom ? { mailFrom } : {}),
          ...(replyTo ? { replyTo } : {}),
          ...(returnAddress ? { returnAddress } : {}),
        },
        ...(values['webhook-url'] === undefined ? {} : { webhookUrl: values['webhook-url'] }),
        ...dataDir,
      };
    }
    case 'rotate-secret': {
      const storefrontId = storefrontIdArg(name, args);
      const text = values['grace-hours'];
      const graceHours = text === undefined ? DEFAULT_GRACE_HOURS : /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
      if (!(graceHours >= 0 && graceHours <= MAX_GRACE_HOURS)) {
        throw new UsageError(`--grace-hours must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}, not ${JSON.stringify(text)}`);
      }
      return { kind: 'rotate-secret', storefrontId, webhook: values.webhook === true, graceHours, ...dataDir };
    }
    case 'set-webhook': {
      const storefrontId = storefrontIdArg(name, args);
      if (values.url === undefined || values.url === '') throw new UsageError('storefront set-webhook: --url is required (https://…)');
      return { kind: 'set-webhook', storefrontId, url: values.url, ...dataDir };
    }
    case 'list': {
      if (args.length > 0) throw new UsageError(`storefront list: unexpected argument ${JSON.stringify(args[0])}`);
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not ${JSON.stringify(format)}`);
      return { kind: 'list', format, ...dataDir };
    }
  }
}

/** A new request-signing secret: 32 random bytes, base64url. */
export function newSigningSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A new Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

async function readSecrets(storefrontId: string, deps: StorefrontDeps): Promise<StorefrontSecretsDocument | undefined> {
  const name = secretNames.storefront(storefrontId);
  const text = await deps.secrets.read(name);
  return text === undefined ? undefined : parseSecret(name, text, storefrontSecretsSchema);
}

async function writeSecrets(storefrontId: string, doc: StorefrontSecretsDocument, deps: StorefrontDeps): Promise<void> {
  await deps.secrets.write(
    secretNames.storefront(storefrontId),
    JSON.stringify(storefrontSecretsSchema.parse(doc)),
    `makegood storefront ${storefrontId}: request-signing and webhook secrets`,
  );
}

/** The settings as they are stored, refused (nothing written) when the table's rules say no. */
async function putStorefront(storefront: Storefront, deps: StorefrontDeps, what: string): Promise<void> {
  try {
    await deps.state.putStorefront(storefront);
  } catch (err) {
    if (err instanceof InvalidRequestError) throw new Refused(`${err.message}; ${what}`, err.issues);
    throw err;
  }
}

/**
 * Registers a storefront and makes its secrets. Refuses one that is registered already. A
 * storefront that has secrets but no settings (made by an earlier version, or an `add` whose
 * settings write failed) keeps its secrets: they may be what the shop signs with. Only its
 * settings are written, and `adopted` says so; `rotate-secret` makes a new secret to show.
 */
export async function addStorefront(
  request: Extract<StorefrontRequest, { kind: 'add' }>,
  deps: StorefrontDeps,
  now: Date,
): Promise<{ signing?: VersionedSecret; webhook?: VersionedSecret; adopted?: StorefrontSecretsDocument }> {
  const id = request.storefront.id;
  if (await deps.state.storefront(id)) {
    throw new Refused(
      `Storefront ${id} exists already; nothing was changed (rotate its secret with makegood storefront rotate-secret ${id})`,
    );
  }
  const settings: Storefront = {
    ...request.storefront,
    ...(request.webhookUrl === undefined ? {} : { webhook: { url: request.webhookUrl } }),
  };
  // The URL is checked before anything is written (putStorefront would refuse it after the secret).
  validateSettings(settings);
  const existing = await readSecrets(id, deps);
  if (existing) {
    await putStorefront(settings, deps, 'nothing was registered');
    return { adopted: existing };
  }
  const createdAt = now.toISOString();
  const signing = { id: 'k1', secret: newSigningSecret(), createdAt };
  const webhook = request.webhookUrl === undefined ? undefined : { id: 'k1', secret: newWebhookSecret(), createdAt };
  await writeSecrets(id, { signing: [signing], ...(webhook ? { webhook: [webhook] } : {}) }, deps);
  await putStorefront(settings, deps, 'nothing was registered');
  return webhook ? { signing, webhook } : { signing };
}

function validateSettings(settings: Storefront): void {
  if (settings.webhook === undefined) return;
  try {
    assertWebhookUrl(settings.webhook.url);
  } catch (err) {
    if (err instanceof InvalidRequestError) throw new Refused(`${err.message}: ${settings.webhook.url}; nothing was changed`, err.issues);
    throw err;
  }
}

/** Rotates a storefront's signing (or webhook) secret; the old ones retire after the grace period. */
export async function rotateSecret(
  request: Extract<StorefrontRequest, { kind: 'rotate-secret' }>,
  deps: StorefrontDeps,
  now: Date,
): Promise<{ added: VersionedSecret; retiring: VersionedSecret[] }> {
  const id = request.storefrontId;
  if (!(await deps.state.storefront(id))) throw new Refused(`No storefront ${id}; nothing was changed`);
  const doc = await readSecrets(id, deps);
  if (!doc) throw new Refused(`Storefront ${id} has no secrets (${secretNames.storefront(id)}); make them with makegood storefront add`);
  const retireAt = new Date(now.getTime() + request.graceHours * 3_600_000);
  if (request.webhook) {
    if (!doc.webhook?.length)
      throw new Refused(
        `Storefront ${id} has no webhook secret to rotate; set its endpoint with makegood storefront set-webhook ${id} --url <url>`,
      );
    const next = rotated(doc.webhook, newWebhookSecret(), now, retireAt);
    await writeSecrets(id, { ...doc, webhook: next }, deps);
    return { added: next[0] as VersionedSecret, retiring: next.slice(1) };
  }
  const next = rotated(doc.signing, newSigningSecret(), now, retireAt);
  await writeSecrets(id, { ...doc, signing: next }, deps);
  return { added: next[0] as VersionedSecret, retiring: next.slice(1) };
}

/** Sets the webhook URL, making a webhook secret first when none is in force. */
export async function setWebhook(
  request: Extract<StorefrontRequest, { kind: 'set-webhook' }>,
  deps: StorefrontDeps,
  now: Date,
): Promise<{ made?: VersionedSecret; kept: VersionedSecret[]; before?: Storefront['webhook'] }> {
  const id = request.storefrontId;
  const storefront = await deps.state.storefront(id);
  if (!storefront) throw new Refused(`No storefront ${id}; nothing was changed`);
  const settings: Storefront = { ...storefront, webhook: { url: request.url } };
  validateSettings(settings);
  const doc = await readSecrets(id, deps);
  if (!doc) throw new Refused(`Storefront ${id} has no secrets (${secretNames.storefront(id)}); make them with makegood storefront add`);
  const kept = (doc.webhook ?? []).filter((s) => inForce(s, now));
  // The URL first: were the secret written first and the URL's write to fail, a run again would
  // find a secret in force that nobody was shown. Events wait for a secret meanwhile.
  await putStorefront(settings, deps, 'the endpoint was not changed');
  let made: VersionedSecret | undefined;
  if (kept.length === 0) {
    made = { id: nextKeyId((doc.webhook ?? []).map((w) => w.id)), secret: newWebhookSecret(), createdAt: now.toISOString() };
    await writeSecrets(id, { ...doc, webhook: [made] }, deps);
  }
  return { ...(made ? { made } : {}), kept, before: storefront.webhook };
}

/** One storefront as `list` shows it: settings, and its secrets without their values. */
export interface StorefrontListing {
  readonly id: string;
  readonly name: string;
  readonly webhookUrl?: string;
  readonly webhookDisabledAt?: string;
  readonly signing: ReadonlyArray<Omit<VersionedSecret, 'secret'> & { inForce: boolean }>;
  readonly webhook: ReadonlyArray<Omit<VersionedSecret, 'secret'> & { inForce: boolean }>;
  /** Why its secrets could not be read, when they could not. */
  readonly problem?: string;
}

export async function listStorefronts(deps: StorefrontDeps, now: Date): Promise<StorefrontListing[]> {
  const ids = (await deps.state.storefronts()).sort();
  const out: StorefrontListing[] = [];
  const describe = (list: readonly VersionedSecret[] | undefined) =>
    (list ?? []).map(({ secret: _s, ...rest }) => ({ ...rest, inForce: inForce({ secret: '', ...rest }, now) }));
  for (const id of ids) {
    const s = await deps.state.storefront(id);
    if (!s) continue;
    const base = {
      id,
      name: s.name,
      ...(s.webhook ? { webhookUrl: s.webhook.url } : {}),
      ...(s.webhook?.disabledAt ? { webhookDisabledAt: s.webhook.disabledAt } : {}),
    };
    try {
      const doc = await readSecrets(id, deps);
      out.push({
        ...base,
        signing: describe(doc?.signing),
        webhook: describe(doc?.webhook),
        ...(doc ? {} : { problem: 'no secrets: requests cannot be signed' }),
      });
    } catch (err) {
      out.push({ ...base, signing: [], webhook: [], problem: (err as Error).message });
    }
  }
  return out;
}

function formatKeys(list: StorefrontListing['signing']): string {
  if (list.length === 0) return 'none';
  return list
    .map((k) => `${k.id} (made ${k.createdAt}${k.retiresAt ? `, ${k.inForce ? 'retires' : 'retired'} ${k.retiresAt}` : ''})`)
    .join(', ');
}

export function formatListing(listing: readonly StorefrontListing[], target: string): string {
  const lines = [`Storefronts in ${target}: ${listing.length}`];
  for (const s of listing) {
    lines.push(`${s.id}  ${s.name}`);
    lines.push(
      `  webhook: ${s.webhookUrl ? `${s.webhookUrl}${s.webhookDisabledAt ? ` DISABLED since ${s.webhookDisabledAt}` : ''}` : 'none'}`,
    );
    lines.push(`  signing secrets: ${formatKeys(s.signing)}`);
    lines.push(`  webhook secrets: ${formatKeys(s.webhook)}`);
    if (s.problem) lines.push(`  problem: ${s.problem}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The `storefront` command, writing through `io`. */
export function storefrontCommand(io: StorefrontIo): Command {
  return commandOf((argv) => runStorefront(argv, io), USAGE, io);
}

async function runStorefront(argv: string[], io: StorefrontIo): Promise<number> {
  const request = parseStorefrontArgs(argv);
  if (request === undefined || request.kind === 'help') {
    io.out(USAGE);
    return request === undefined ? 2 : 0;
  }
  const { deps, target, deployed } = await io.connect(request.dataDir).catch((err: unknown) => {
    throw new Refused((err as Error).message);
  });
  const now = io.now();
  // The moment deployed functions are sure to have read what was written (their cache, adapters/secrets.ts).
  const takesEffect = deployed
    ? `from ${new Date(now.getTime() + SECRET_CACHE_MS).toISOString()} (deployed functions read secrets again within ${SECRET_CACHE_MS / 60_000} minutes)`
    : 'now';
  switch (request.kind) {
    case 'add': {
      const made = await addStorefront(request, deps, now);
      const id = request.storefront.id;
      if (made.adopted) {
        const ids = (list: readonly VersionedSecret[] | undefined) =>
          (list ?? [])
            .filter((k) => inForce(k, now))
            .map((k) => k.id)
            .join(', ') || 'none';
        const noWebhookSecret = request.webhookUrl !== undefined && ids(made.adopted.webhook) === 'none';
        io.out(
          `Registered storefront ${id} (${request.storefront.name}) in ${target}, keeping the secrets it already had ` +
            `(signing ${ids(made.adopted.signing)}; webhook ${ids(made.adopted.webhook)}), which are not shown again.\n` +
            `To give the shop a new signing secret: makegood storefront rotate-secret ${id}\n` +
            (noWebhookSecret ? `To make its webhook secret: makegood storefront set-webhook ${id} --url ${request.webhookUrl}\n` : '') +
            `Next: publish its policy with makegood policy put <file> --storefront ${id}; until then its claims are refused.\n`,
        );
        return 0;
      }
      if (!made.signing) throw new Error('addStorefront made no signing secret');
      io.out(
        `Registered storefront ${id} (${request.storefront.name}) in ${target}.\n` +
          `Signing secret ${made.signing.id}, shown only now; give it to the shop:\n  ${made.signing.secret}\n` +
          (made.webhook
            ? `Webhook signing secret ${made.webhook.id} for ${request.webhookUrl}, shown only now:\n  ${made.webhook.secret}\n`
            : '') +
          `Requests signed with it are accepted ${deployed ? `within ${MISSING_SECRET_CACHE_MS / 1000} seconds` : 'now'}.\n` +
          `Next: publish its policy with makegood policy put <file> --storefront ${id}; until then its claims are refused.\n`,
      );
      return 0;
    }
    case 'rotate-secret': {
      const { added, retiring } = await rotateSecret(request, deps, now);
      const what = request.webhook ? 'Webhook signing secret' : 'Signing secret';
      const old =
        retiring.length === 0
          ? 'No older secret was in force.'
          : request.graceHours === 0
            ? `${retiring.map((s) => s.id).join(', ')} retired now: ${request.webhook ? 'deliveries are no longer signed with it' : 'requests signed with it are refused'} ${deployed ? 'once the functions read the secret again' : 'from now on'}.`
            : `${retiring.map((s) => `${s.id} until ${s.retiresAt}`).join(', ')}: ${request.webhook ? 'until then every delivery carries a signature by each' : 'until then requests signed with either are accepted'}.`;
      io.out(
        `${what} of ${request.storefrontId} rotated in ${target}.\n` +
          `New secret ${added.id}, in use ${takesEffect}; shown only now:\n  ${added.secret}\n${old}\n`,
      );
      return 0;
    }
    case 'set-webhook': {
      const { made, kept, before } = await setWebhook(request, deps, now);
      io.out(
        `Set the webhook endpoint of ${request.storefrontId} to ${request.url} in ${target} (was: ${before ? `${before.url}${before.disabledAt ? ', DISABLED' : ''}` : 'none'}).\n` +
          (made
            ? `Webhook signing secret ${made.id}, shown only now:\n  ${made.secret}\n`
            : `Its webhook signing secret${kept.length > 1 ? 's' : ''} ${kept.map((s) => s.id).join(', ')} stay${kept.length > 1 ? '' : 's'} as ${kept.length > 1 ? 'they are' : 'it is'} (rotate with makegood storefront rotate-secret ${request.storefrontId} --webhook).\n`) +
          `Failed events stay failed: send them again with makegood webhooks redeliver --failed --storefront ${request.storefrontId}\n`,
      );
      return 0;
    }
    case 'list': {
      const listing = await listStorefronts(deps, now);
      if (request.format === 'json') {
        io.err(`storefront list: ${target}\n`);
        io.out(`${JSON.stringify(listing, null, 2)}\n`);
      } else io.out(formatListing(listing, target));
      return 0;
    }
  }
}

/** The command as `makegood storefront` runs it: stdout, stderr, the real stack, the real clock. */
export const command: Command = storefrontCommand({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  connect: async (dataDir) => {
    // Loaded only now: it brings the AWS SDK and the embedded runtime, which a usage error does not need.
    const { connect } = await import('./connect.ts');
    const { deps, secrets, target, deployed } = await connect(dataDir);
    if (!secrets)
      throw new Error("MAKEGOOD_SECRETS_PREFIX is required with a deployed stack: it is the stateful stack's SecretsPrefix output");
    return { deps: { state: deps.state, secrets }, target, deployed };
  },
  now: () => new Date(),
});
