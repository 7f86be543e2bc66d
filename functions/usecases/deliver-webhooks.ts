import { randomUUID } from 'node:crypto';
import type { LedgerEntry } from '#domain/ledger.ts';
import { webhookEventId, webhookEventOf } from '#domain/webhook-events.ts';
import type { Deps, OutboxEvent, OutboxUpdate, WebhookSettings } from '#ports';

/** What one run of a storefront's lane did. */
export interface LaneRun {
  readonly storefrontId: string;
  /** False when another dispatcher held the lane (nothing was done). */
  readonly ran: boolean;
  readonly delivered: number;
  readonly retrying: number;
  readonly failed: number;
  /** Events not sent: no endpoint set, or their entry never appeared. */
  readonly dropped: number;
  /** Events looked at again later: their entry is not recorded yet, or the storefront has no signing secret yet. */
  readonly waiting: number;
}

type DispatchDeps = Pick<Deps, 'outbox' | 'ledger' | 'state' | 'secrets' | 'clock' | 'webhookSender' | 'webhooks'>;

/** Events taken per run of a lane: enough to keep `maxInFlight` busy for a few rounds. */
const ROUNDS_PER_RUN = 5;
/** How long a taken event stays ours beyond its attempt's timeout (clock skew, slow writes). */
const LEASE_MARGIN_MS = 5_000;
/**
 * How soon an event that cannot be sent yet (its entry is not recorded, the storefront has no
 * signing secret) is looked at again: after half its age, between 2 s and 10 min, so an orphan
 * costs a few looks an hour rather than one every two seconds.
 */
function recheckAfterMs(stagedAt: string, now: Date): number {
  return Math.min(600_000, Math.max(2_000, (now.getTime() - Date.parse(stagedAt)) / 2));
}

/**
 * The wait before the next attempt after `attempts` failed ones: exponential backoff with full
 * jitter (AWS's "full jitter": a uniform draw between nothing and the capped exponential).
 */
export function retryDelayMs(
  settings: Pick<WebhookSettings, 'firstRetryMs' | 'maxRetryMs'>,
  attempts: number,
  random: () => number,
): number {
  const ceiling = Math.min(settings.maxRetryMs, settings.firstRetryMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Delivers a storefront's due webhook events, at least once each.
 *
 * What happens:
 * 1. The storefront's lane is taken (a conditional write), so only one dispatcher sends to an
 *    endpoint at a time; a lane another holds is left alone.
 * 2. Its due events are read from the outbox, and up to `maxInFlight` are sent at once, each
 *    taken by a lease first and bounded by `timeoutMs`.
 * 3. Each event's body is built from the ledger entry it reports, on the first attempt, and kept:
 *    every attempt sends the same id and bytes. An entry not there yet is looked at again soon; one
 *    that never appears within the retry window means the step never happened, and nothing is sent.
 * 4. A 2xx answer delivers the event. 410 Gone disables the endpoint, fails the event and tells
 *    operators. Anything else (another status, a timeout, no connection) waits for the next
 *    attempt with exponential backoff and full jitter, until the retry window (3 days by
 *    default) is spent; then the event is `failed`, for `makegood webhooks redeliver`. After
 *    such a failure the run sends no more of this storefront's events (they stay due).
 * 5. The lane is released.
 */
export async function deliverWebhooks(
  input: { storefrontId: string; random?: () => number; onDisabled?: (storefrontId: string, url: string, reason: string) => void },
  deps: DispatchDeps,
): Promise<LaneRun> {
  const { storefrontId } = input;
  const settings = deps.webhooks;
  const holder = randomUUID();
  const counts = { delivered: 0, retrying: 0, failed: 0, dropped: 0, waiting: 0 };
  const perRun = settings.maxInFlight * ROUNDS_PER_RUN;
  const laneMs = ROUNDS_PER_RUN * settings.timeoutMs + LEASE_MARGIN_MS;
  const start = deps.clock.now();
  const due = await deps.outbox.due(storefrontId, start, perRun);
  // Nothing due costs one read, and no write.
  if (due.length === 0) return { storefrontId, ran: true, ...counts };
  if (!(await deps.outbox.takeLane(storefrontId, holder, new Date(start.getTime() + laneMs), start))) {
    return { storefrontId, ran: false, ...counts };
  }
  try {
    const storefront = await deps.state.storefront(storefrontId);
    const secrets = await deps.secrets.webhookSecrets(storefrontId);
    const endpoint = storefront?.webhook;
    const entries = new Map<string, Promise<LedgerEntry[]>>();
    const entriesOf = (claimId: string) => {
      const known = entries.get(claimId);
      if (known) return known;
      const read = deps.ledger.entries(claimId);
      entries.set(claimId, read);
      return read;
    };
    let disabled = endpoint?.disabledAt !== undefined;
    let disabledReason = endpoint?.disabledReason ?? 'by an operator';
    const queue = [...due];
    // A receiver that failed once in this run is not sent more of its events until the next run:
    // a hanging endpoint costs one round of attempts, so a run (and the invocation waiting for
    // it, with other storefronts' lanes) lasts about one timeout at most. What was not tried stays due.
    let receiverFailing = false;
    const worker = async () => {
      for (let event = receiverFailing ? undefined : queue.shift(); event; event = receiverFailing ? undefined : queue.shift()) {
        const now = deps.clock.now();
        const held = await deps.outbox.lease(event, holder, new Date(now.getTime() + settings.timeoutMs + LEASE_MARGIN_MS), now);
        if (!held) continue;
        const result = await attempt(held, now);
        counts[result]++;
      }
    };
    const attempt = async (event: OutboxEvent, now: Date): Promise<keyof typeof counts> => {
      const settle = (u: OutboxUpdate) => deps.outbox.settle(event, holder, u);
      const windowEnds = Date.parse(event.windowStart) + settings.retryForMs;
      // 1. A storefront without an endpoint has nothing to send to: nothing more is read.
      if (!endpoint) {
        await settle({ status: 'skipped', attempts: event.attempts, lastResult: 'no webhook endpoint is set' });
        return 'dropped';
      }
      // 2. The body, fixed from the entry on the first attempt.
      let { eventId, payload } = event;
      if (eventId === undefined || payload === undefined) {
        const all = await entriesOf(event.claimId);
        const entry = all.find((e) => e.step === event.step);
        if (!entry) {
          const gone = now.getTime() > windowEnds;
          await settle({
            status: gone ? 'voided' : 'pending',
            attempts: event.attempts,
            dueAt: new Date(now.getTime() + recheckAfterMs(event.stagedAt, now)),
            lastResult: 'its ledger entry is not recorded',
          });
          return gone ? 'dropped' : 'waiting';
        }
        const body = webhookEventOf(entry, all);
        if (!body) {
          await settle({ status: 'voided', attempts: event.attempts, lastResult: 'the recorded entry reports nothing' });
          return 'dropped';
        }
        eventId = webhookEventId(event.claimId, entry.seq);
        payload = JSON.stringify(body);
      }
      const fixed = { eventId, payload };
      // 3. A disabled endpoint keeps the event for redelivery; an endpoint whose secret is not
      // there yet (`npx makegood storefront set-webhook` makes it) waits for it, within the retry window.
      if (secrets.length === 0) {
        const gone = now.getTime() > windowEnds;
        await settle({
          status: gone ? 'failed' : 'pending',
          attempts: event.attempts,
          ...fixed,
          dueAt: new Date(now.getTime() + recheckAfterMs(event.stagedAt, now)),
          lastAttemptAt: now,
          lastResult: `no webhook signing secret in force for ${storefrontId} (npx makegood storefront set-webhook makes one)`,
        });
        return gone ? 'failed' : 'waiting';
      }
      if (disabled) {
        await settle({
          status: 'failed',
          attempts: event.attempts,
          ...fixed,
          lastAttemptAt: now,
          lastResult: `endpoint disabled: ${disabledReason}`,
        });
        return 'failed';
      }
      // 4. The attempt.
      const attempts = event.attempts + 1;
      const sent = await deps.webhookSender.send({
        url: endpoint.url,
        secrets,
        eventId,
        timestamp: now,
        body: payload,
        timeoutMs: settings.timeoutMs,
      });
      const at = deps.clock.now();
      const lastResult =
        sent.kind === 'answered'
          ? `HTTP ${sent.status}`
          : sent.kind === 'timeout'
            ? `timeout after ${settings.timeoutMs} ms`
            : `unreachable: ${sent.message}`;
      if (sent.kind === 'answered' && sent.status >= 200 && sent.status < 300) {
        await settle({ status: 'delivered', attempts, ...fixed, lastAttemptAt: at, lastResult, deliveredAt: at });
        return 'delivered';
      }
      if (sent.kind === 'answered' && sent.status === 410) {
        disabled = true;
        const reason = `${endpoint.url} answered 410 Gone at ${at.toISOString()}`;
        disabledReason = reason;
        await deps.state.disableWebhook(storefrontId, endpoint.url, at, reason);
        input.onDisabled?.(storefrontId, endpoint.url, reason);
        await settle({ status: 'failed', attempts, ...fixed, lastAttemptAt: at, lastResult });
        return 'failed';
      }
      receiverFailing = true;
      const next = at.getTime() + retryDelayMs(settings, attempts, input.random ?? Math.random);
      if (next > windowEnds) {
        await settle({ status: 'failed', attempts, ...fixed, lastAttemptAt: at, lastResult });
        return 'failed';
      }
      await settle({ status: 'pending', attempts, ...fixed, dueAt: new Date(next), lastAttemptAt: at, lastResult });
      return 'retrying';
    };
    // Every worker finishes before the lane is released, even when one fails: releasing it with
    // sends still in flight would let another dispatcher pass `maxInFlight`.
    const done = await Promise.allSettled(Array.from({ length: Math.min(settings.maxInFlight, due.length) }, worker));
    const failure = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    await deps.outbox.releaseLane(storefrontId, holder);
  }
  return { storefrontId, ran: true, ...counts };
}
