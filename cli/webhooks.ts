/**
 * `makegood webhooks list|redeliver|set-endpoint`: the webhook outbox, for operators.
 *
 * - `list [--failed] [--storefront id | --claim id] [--limit n] [--format text|json]` shows each
 *   storefront's endpoint and its pending and failed events (or one claim's events, all of them).
 * - `redeliver <eventId>` or `redeliver --failed [--storefront id]` makes events pending again, due
 *   now, with a fresh retry window; the dispatcher sends them on its next run.
 * - `set-endpoint <storefrontId> --url <url>` sets a storefront's endpoint again (after a 410 Gone
 *   disabled it), keeping its other settings. The signing secret stays in the secrets document.
 *
 * Exit codes: 0 done, 1 refused (an unknown event, claim or storefront, an endpoint unset or
 * disabled, a URL not allowed, failed events left, no stack to talk to), 2 usage. `--data-dir`
 * picks the embedded stack's data directory; `MAKEGOOD_LEDGER_TABLE` in the environment picks a
 * deployed stack instead (see `connect.ts`).
 */
import { parseWebhookEventId } from '#domain/webhook-events.ts';
import { functionSpecs } from '#handlers/registry.ts';
import { type Command, commandOf, parseLimit, parseSubcommand, Refused, UsageError } from './command.ts';
import {
  claimEventsJson,
  eventName,
  formatClaimEvents,
  formatRedeliveries,
  formatStorefrontEvents,
  priorState,
  storefrontEventsJson,
} from './webhooks-format.ts';
import {
  describeEndpoint,
  eventsOfClaim,
  redeliverEvent,
  redeliverFailed,
  setEndpoint,
  storefrontEvents,
  type WebhooksDeps,
} from './webhooks-ops.ts';

/** Where the command writes, and how it reaches a stack: replaced by tests. */
export interface WebhooksIo {
  out(text: string): void;
  err(text: string): void;
  /** Opens the stack in `dataDir` (or the deployed one); `target` names it. */
  connect(dataDir: string | undefined): Promise<{ deps: WebhooksDeps; target: string }>;
  now(): Date;
}

/** Events shown per storefront and status unless `--limit` says otherwise, and the most it may say. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** How often the dispatcher runs, in words, from the one list of functions and what wakes them. */
function dispatcherRuns(): string {
  const wakes = functionSpecs.find((f) => f.id === 'DispatchWebhooks')?.wakes;
  if (!wakes) return 'when it is next woken';
  const minutes = wakes.everyMinutes === 1 ? 'minute' : `${wakes.everyMinutes} minutes`;
  return `on AWS every ${minutes}${wakes.onLedgerEntries ? ' and on new ledger entries' : ''}, in the embedded stack every ${wakes.pollMs} ms`;
}

export const USAGE = `usage:
  makegood webhooks list [--failed] [--storefront id | --claim claimId] [--limit n] [--format text|json]
  makegood webhooks redeliver <eventId>
  makegood webhooks redeliver --failed [--storefront id]
  makegood webhooks set-endpoint <storefrontId> --url <url>

list          each storefront's endpoint (its URL, none, or DISABLED since when and why) and its
              failed and pending events, oldest first: event id (claim/step while no attempt has
              fixed it), type, status, attempts, when it is due or failed, the last result.
              --failed shows only failed events; --claim shows every event of one claim, whatever
              its status; --limit (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}) bounds each storefront's list per
              status and says when more exist.
redeliver     makes the event pending again, due now, with a fresh retry window (the deployment's,
              3 days by default). The dispatcher sends it on its next run:
              ${dispatcherRuns()}.
              --failed does so for every failed event (of one storefront with --storefront) and
              prints the count. An event already delivered may be redelivered: it is sent again with
              the same webhook-id and body, and the receiver dedupes by webhook-id.
              While a storefront's endpoint is unset or DISABLED (it answered 410 Gone), its events
              are not redelivered (they would fail again at once): set the endpoint first with
              set-endpoint. \`redeliver <eventId>\` then refuses; \`redeliver --failed\` redelivers
              the other storefronts' events, names what it left, and exits 1.
set-endpoint  sets the storefront's webhook URL (https://, or http:// to 127.0.0.1 or localhost),
              keeping its other settings and clearing DISABLED; failed events stay failed until
              redelivered. The signing secret (whsec_…) is not changed: makegood storefront
              set-webhook also makes one when there is none, and makegood storefront rotate-secret
              --webhook rotates it. The embedded stack sets the demo storefront's endpoint from
              MAKEGOOD_DEMO_WEBHOOK_URL on every start.
options: --data-dir <dir> (the embedded stack's data; default ./.makegood); MAKEGOOD_LEDGER_TABLE and
MAKEGOOD_STATE_TABLE in the environment (with AWS credentials) use a deployed stack instead.
exit codes: 0 done, 1 refused (unknown event, claim or storefront; endpoint unset or disabled; URL
not allowed; failed events left; no stack), 2 usage.
`;

/** What the command line asks for. */
export type WebhooksRequest =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'list';
      readonly storefrontId?: string;
      readonly claimId?: string;
      readonly failedOnly: boolean;
      readonly limit: number;
      readonly format: 'text' | 'json';
      readonly dataDir?: string;
    }
  | { readonly kind: 'redeliver-event'; readonly eventId: string; readonly dataDir?: string }
  | { readonly kind: 'redeliver-failed'; readonly storefrontId?: string; readonly dataDir?: string }
  | { readonly kind: 'set-endpoint'; readonly storefrontId: string; readonly url: string; readonly dataDir?: string };

const options = {
  failed: { type: 'boolean' },
  storefront: { type: 'string' },
  claim: { type: 'string' },
  limit: { type: 'string' },
  format: { type: 'string' },
  url: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options each subcommand takes (besides `--help`). */
const allowed = {
  list: ['failed', 'storefront', 'claim', 'limit', 'format', 'data-dir'],
  redeliver: ['failed', 'storefront', 'data-dir'],
  'set-endpoint': ['url', 'data-dir'],
} as const;

const STOREFRONT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CLAIM_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Reads the command line; throws a usage error naming the argument that is wrong. `undefined`
 * when no subcommand is given.
 */
export function parseWebhooksArgs(argv: string[]): WebhooksRequest | undefined {
  const parsed = parseSubcommand('webhooks', argv, options, allowed);
  if (parsed?.kind !== 'subcommand') return parsed;
  const { name, args, values } = parsed;
  const dataDir = values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] };
  const storefront = values.storefront;
  if (storefront !== undefined && !STOREFRONT_ID.test(storefront)) {
    throw new UsageError(`--storefront must be a storefront id (1–64 letters, digits, _ or -), not ${JSON.stringify(storefront)}`);
  }
  const storefrontId = storefront === undefined ? {} : { storefrontId: storefront };
  switch (name) {
    case 'list': {
      if (args.length > 0) throw new UsageError(`webhooks list: unexpected argument ${JSON.stringify(args[0])}`);
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not ${JSON.stringify(format)}`);
      const claim = values.claim;
      if (claim !== undefined) {
        if (!CLAIM_ID.test(claim)) throw new UsageError(`--claim must be a claim id (clm_…), not ${JSON.stringify(claim)}`);
        if (storefront !== undefined) throw new UsageError('--claim and --storefront: give one (a claim names its storefront)');
        if (values.limit !== undefined) throw new UsageError('--limit does not apply with --claim (every event of the claim is shown)');
      }
      return {
        kind: 'list',
        ...storefrontId,
        ...(claim === undefined ? {} : { claimId: claim }),
        failedOnly: values.failed === true,
        limit: values.limit === undefined ? DEFAULT_LIMIT : parseLimit(values.limit, MAX_LIMIT),
        format,
        ...dataDir,
      };
    }
    case 'redeliver': {
      if (args.length > 1) throw new UsageError(`webhooks redeliver: one event id at a time, not ${args.length}`);
      const [eventId] = args;
      if (values.failed) {
        if (eventId !== undefined) throw new UsageError(`webhooks redeliver: give an event id or --failed, not both (${eventId})`);
        return { kind: 'redeliver-failed', ...storefrontId, ...dataDir };
      }
      if (eventId === undefined) throw new UsageError('webhooks redeliver: give an event id (evt_<claimId>_<seq>) or --failed');
      if (storefront !== undefined) throw new UsageError('--storefront goes with --failed (an event id names its claim)');
      if (!parseWebhookEventId(eventId)) {
        throw new UsageError(
          `webhooks redeliver: ${JSON.stringify(eventId)} is not an event id (evt_<claimId>_<seq>, as webhooks list shows it)`,
        );
      }
      return { kind: 'redeliver-event', eventId, ...dataDir };
    }
    case 'set-endpoint': {
      if (args.length !== 1) throw new UsageError(`webhooks set-endpoint: expected 1 argument (the storefront id), not ${args.length}`);
      const id = args[0] as string;
      if (!STOREFRONT_ID.test(id)) {
        throw new UsageError(`webhooks set-endpoint: ${JSON.stringify(id)} is not a storefront id (1–64 letters, digits, _ or -)`);
      }
      if (values.url === undefined || values.url === '') throw new UsageError('webhooks set-endpoint: --url is required (https://…)');
      return { kind: 'set-endpoint', storefrontId: id, url: values.url, ...dataDir };
    }
  }
}

/** The `webhooks` command, writing through `io`. */
export function webhooksCommand(io: WebhooksIo): Command {
  return commandOf((argv) => runWebhooks(argv, io), USAGE, io);
}

async function runWebhooks(argv: string[], io: WebhooksIo): Promise<number> {
  const request = parseWebhooksArgs(argv);
  if (request === undefined || request.kind === 'help') {
    io.out(USAGE);
    return request === undefined ? 2 : 0;
  }
  const { deps, target } = await io.connect(request.dataDir).catch((err: unknown) => {
    throw new Refused((err as Error).message);
  });
  switch (request.kind) {
    case 'list': {
      if (request.claimId !== undefined) {
        const claim = await eventsOfClaim(request.claimId, request.failedOnly, deps);
        if (request.format === 'json') {
          io.err(`webhooks list: ${target}\n`);
          io.out(claimEventsJson(claim));
        } else io.out(formatClaimEvents(claim, { target, failedOnly: request.failedOnly }));
        return 0;
      }
      const listing = await storefrontEvents(
        {
          ...(request.storefrontId === undefined ? {} : { storefrontId: request.storefrontId }),
          failedOnly: request.failedOnly,
          limit: request.limit,
        },
        deps,
      );
      if (request.format === 'json') {
        io.err(`webhooks list: ${target}\n`);
        io.out(storefrontEventsJson(listing));
      } else io.out(formatStorefrontEvents(listing, { target, limit: request.limit }));
      return 0;
    }
    case 'redeliver-event': {
      const before = await redeliverEvent(request.eventId, deps, io.now());
      io.out(
        `Redelivered ${eventName(before)} (${before.type}, storefront ${before.storefrontId}) in ${target}: ${priorState(before)}. ` +
          `It is pending, due now, with a fresh retry window; the dispatcher sends it on its next run (${dispatcherRuns()}).\n`,
      );
      return 0;
    }
    case 'redeliver-failed': {
      const results = await redeliverFailed(request.storefrontId === undefined ? {} : { storefrontId: request.storefrontId }, deps, () =>
        io.now(),
      );
      io.out(formatRedeliveries(results, { target, nextRun: `on its next run (${dispatcherRuns()})` }));
      return results.some((r) => r.left) ? 1 : 0;
    }
    case 'set-endpoint': {
      const before = await setEndpoint(request.storefrontId, request.url, deps);
      io.out(
        `Set the webhook endpoint of ${request.storefrontId} to ${request.url} in ${target} (was: ${describeEndpoint(before)}).\n` +
          `Its webhook signing secret was not changed (makegood storefront set-webhook makes one when there is none).\n` +
          `Failed events stay failed: send them again with makegood webhooks redeliver --failed --storefront ${request.storefrontId}\n`,
      );
      return 0;
    }
  }
}

/** The command as `makegood webhooks` runs it: stdout, stderr, the real stack, the real clock. */
export const command: Command = webhooksCommand({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  connect: async (dataDir) => {
    // Loaded only now: it brings the AWS SDK and the embedded runtime, which a usage error does not need.
    const { connect } = await import('./connect.ts');
    const { deps, target } = await connect(dataDir);
    return { deps, target };
  },
  now: () => new Date(),
});
