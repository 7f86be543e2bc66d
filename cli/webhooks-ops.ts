/**
 * What `makegood webhooks` reads and writes, apart from how it prints: the outbox's pending and
 * failed events per storefront, one claim's events, finding an event by its id, redelivering, and
 * setting a storefront's endpoint again. Each function takes the few ports it uses.
 */
import { InvalidRequestError } from '#domain/errors.ts';
import { parseWebhookEventId } from '#domain/webhook-events.ts';
import type { LedgerStore, Outbox, OutboxEvent, StateStore, Storefront, WebhookEndpoint } from '#ports';
import { Refused } from './command.ts';

/** The ports the command uses: an operator's tool reads the outbox, redelivers and sets endpoints. */
export interface WebhooksDeps {
  readonly outbox: Pick<Outbox, 'list' | 'claimEvents' | 'redeliver'>;
  readonly state: Pick<StateStore, 'storefronts' | 'storefront' | 'putStorefront'>;
  readonly ledger: Pick<LedgerStore, 'entries'>;
}

/** Some of a storefront's events in one state, oldest first; `more` when the limit cut the list. */
export interface EventPage {
  readonly events: readonly OutboxEvent[];
  readonly more: boolean;
}

/** A storefront's endpoint and its events waiting to be sent or given up on. */
export interface StorefrontEvents {
  readonly storefrontId: string;
  /** Null when the storefront has no endpoint (or no settings at all). */
  readonly endpoint: WebhookEndpoint | null;
  readonly failed: EventPage;
  /** Absent when only failed events were asked for. */
  readonly pending?: EventPage;
}

/** One claim's events, whatever their status. */
export interface ClaimEvents {
  readonly claimId: string;
  readonly storefrontId: string;
  readonly endpoint: WebhookEndpoint | null;
  readonly events: readonly OutboxEvent[];
}

/**
 * Every storefront's (or one storefront's) endpoint with its failed and, unless `failedOnly`, its
 * pending events, at most `limit` of each, oldest first (failed by when they failed, pending by
 * when they are due). Refuses a storefront that was named and does not exist.
 */
export async function storefrontEvents(
  options: { storefrontId?: string; failedOnly: boolean; limit: number },
  deps: WebhooksDeps,
): Promise<StorefrontEvents[]> {
  const ids = options.storefrontId === undefined ? (await deps.state.storefronts()).sort() : [options.storefrontId];
  const page = async (storefrontId: string, status: 'pending' | 'failed'): Promise<EventPage> => {
    // One more than shown says whether more exist, without a count over the whole queue.
    const events = await deps.outbox.list(storefrontId, status, options.limit + 1);
    return { events: events.slice(0, options.limit), more: events.length > options.limit };
  };
  const out: StorefrontEvents[] = [];
  for (const storefrontId of ids) {
    const [storefront, failed, pending] = await Promise.all([
      deps.state.storefront(storefrontId),
      page(storefrontId, 'failed'),
      options.failedOnly ? undefined : page(storefrontId, 'pending'),
    ]);
    if (!storefront && options.storefrontId !== undefined) throw new Refused(`No storefront ${storefrontId}`);
    out.push({ storefrontId, endpoint: storefront?.webhook ?? null, failed, ...(pending ? { pending } : {}) });
  }
  return out;
}

/** Every event of one claim (only the failed ones with `failedOnly`), in the order of the entries they report. Refuses a claim that does not exist. */
export async function eventsOfClaim(claimId: string, failedOnly: boolean, deps: WebhooksDeps): Promise<ClaimEvents> {
  const [all, entries] = await Promise.all([deps.outbox.claimEvents(claimId), deps.ledger.entries(claimId)]);
  // No events: a claim from before webhooks, or no claim at all.
  const storefrontId = all[0]?.storefrontId ?? entries[0]?.storefrontId;
  if (storefrontId === undefined) throw new Refused(`No claim ${claimId}`);
  const storefront = await deps.state.storefront(storefrontId);
  // The outbox keys a claim's events by step name; the ledger says in which order the steps happened.
  const seqOf = new Map(entries.map((e) => [e.step, e.seq]));
  const order = (e: OutboxEvent) => seqOf.get(e.step) ?? Number.MAX_SAFE_INTEGER;
  const events = all
    .filter((e) => !failedOnly || e.status === 'failed')
    .sort((a, b) => order(a) - order(b) || a.stagedAt.localeCompare(b.stagedAt) || a.step.localeCompare(b.step));
  return { claimId, storefrontId, endpoint: storefront?.webhook ?? null, events };
}

/**
 * The outbox item of an event id (`evt_<claimId>_<seq>`): the claim's event that carries the id,
 * or, while no attempt has fixed it yet, the event of the step that ledger entry `seq` recorded.
 * Refuses an id that names no claim, no entry, or an entry that produces no event.
 */
export async function findEvent(eventId: string, deps: WebhooksDeps): Promise<OutboxEvent> {
  const named = parseWebhookEventId(eventId);
  if (!named) throw new Refused(`${eventId} is not an event id (evt_<claimId>_<seq>)`);
  const events = await deps.outbox.claimEvents(named.claimId);
  const fixed = events.find((e) => e.eventId === eventId);
  if (fixed) return fixed;
  const entries = await deps.ledger.entries(named.claimId);
  if (entries.length === 0 && events.length === 0) throw new Refused(`No webhook event ${eventId}: there is no claim ${named.claimId}`);
  const entry = entries.find((e) => e.seq === named.seq);
  if (!entry) {
    throw new Refused(
      `No webhook event ${eventId}: claim ${named.claimId} has no entry ${named.seq} (its entries are 1 to ${entries.at(-1)?.seq ?? 0})`,
    );
  }
  const staged = events.find((e) => e.step === entry.step);
  if (!staged) throw new Refused(`No webhook event ${eventId}: entry ${named.seq} of claim ${named.claimId} (${entry.type}) produces none`);
  return staged;
}

/**
 * Why events of a storefront cannot be sent again now, or undefined when they can: no endpoint, or
 * one disabled (a 410 Gone). The dispatcher would skip or fail them again at once, so redelivery
 * waits for the endpoint to be set again.
 */
export function endpointProblem(storefrontId: string, storefront: Pick<Storefront, 'webhook'> | undefined): string | undefined {
  const endpoint = storefront?.webhook;
  if (!endpoint) return `storefront ${storefrontId} has no webhook endpoint`;
  if (endpoint.disabledAt !== undefined) return `the webhook endpoint of ${storefrontId} is ${describeEndpoint(endpoint)}`;
  return undefined;
}

/** An endpoint in words: its URL, `none`, or its URL and since when and why it is disabled. */
export function describeEndpoint(endpoint: WebhookEndpoint | null | undefined): string {
  if (!endpoint) return 'none';
  if (endpoint.disabledAt === undefined) return endpoint.url;
  return `${endpoint.url} DISABLED since ${endpoint.disabledAt}${endpoint.disabledReason ? ` (${endpoint.disabledReason})` : ''}`;
}

/** The command that sets a storefront's endpoint again. */
export function setEndpointHint(storefrontId: string): string {
  return `makegood webhooks set-endpoint ${storefrontId} --url <url>`;
}

/**
 * Makes one event pending again, due now, with a fresh retry window (whatever its status: a
 * delivered event is sent again under the same webhook-id). Refuses, writing nothing, when the
 * event is unknown or its storefront's endpoint is unset or disabled. Returns the event as it was.
 */
export async function redeliverEvent(eventId: string, deps: WebhooksDeps, now: Date): Promise<OutboxEvent> {
  const event = await findEvent(eventId, deps);
  const problem = endpointProblem(event.storefrontId, await deps.state.storefront(event.storefrontId));
  if (problem) {
    throw new Refused(`${problem}: ${eventId} was not redelivered. Set the endpoint first: ${setEndpointHint(event.storefrontId)}`);
  }
  await deps.outbox.redeliver(event, now);
  return event;
}

/** What `redeliver --failed` did for one storefront. */
export interface StorefrontRedelivery {
  readonly storefrontId: string;
  /** The events made pending again, as they were (failed). */
  readonly redelivered: readonly OutboxEvent[];
  /** Failed events left as they are because the endpoint cannot take them: how many, and why. */
  readonly left?: { readonly count: number; readonly more: boolean; readonly reason: string };
}

/** Failed events read (and redelivered) per round. */
const REDELIVERY_BATCH = 100;

/**
 * Makes every failed event of every storefront (or of one) pending again, due now, with a fresh
 * retry window. A storefront whose endpoint is unset or disabled is left as it is, with the reason.
 * Refuses a storefront that was named and does not exist.
 */
export async function redeliverFailed(
  options: { storefrontId?: string },
  deps: WebhooksDeps,
  now: () => Date,
): Promise<StorefrontRedelivery[]> {
  const ids = options.storefrontId === undefined ? (await deps.state.storefronts()).sort() : [options.storefrontId];
  const out: StorefrontRedelivery[] = [];
  for (const storefrontId of ids) {
    const storefront = await deps.state.storefront(storefrontId);
    if (!storefront && options.storefrontId !== undefined) throw new Refused(`No storefront ${storefrontId}`);
    const problem = endpointProblem(storefrontId, storefront);
    if (problem) {
      const failed = await deps.outbox.list(storefrontId, 'failed', REDELIVERY_BATCH + 1);
      if (failed.length > 0) {
        out.push({
          storefrontId,
          redelivered: [],
          left: { count: Math.min(failed.length, REDELIVERY_BATCH), more: failed.length > REDELIVERY_BATCH, reason: problem },
        });
      }
      continue;
    }
    const redelivered: OutboxEvent[] = [];
    const done = new Set<string>();
    for (;;) {
      // A redelivered event leaves the failed list; one that fails again meanwhile is not sent twice.
      const batch = (await deps.outbox.list(storefrontId, 'failed', REDELIVERY_BATCH)).filter((e) => !done.has(keyOf(e)));
      if (batch.length === 0) break;
      for (const event of batch) {
        await deps.outbox.redeliver(event, now());
        done.add(keyOf(event));
        redelivered.push(event);
      }
    }
    if (redelivered.length > 0) out.push({ storefrontId, redelivered });
  }
  return out;
}

function keyOf(e: Pick<OutboxEvent, 'claimId' | 'step'>): string {
  return `${e.claimId}#${e.step}`;
}

/**
 * Sets a storefront's webhook endpoint to `url`, keeping its other settings and clearing a
 * disabled mark. The URL is checked where every storefront is written (`putStorefront`); a URL it
 * refuses is refused here with its problems. Returns the endpoint as it was.
 */
export async function setEndpoint(storefrontId: string, url: string, deps: WebhooksDeps): Promise<WebhookEndpoint | undefined> {
  const storefront = await deps.state.storefront(storefrontId);
  if (!storefront) throw new Refused(`No storefront ${storefrontId}`);
  try {
    await deps.state.putStorefront({ ...storefront, webhook: { url } });
  } catch (err) {
    if (err instanceof InvalidRequestError) throw new Refused(`${err.message}: ${url}; nothing was changed`, err.issues);
    throw err;
  }
  return storefront.webhook;
}
