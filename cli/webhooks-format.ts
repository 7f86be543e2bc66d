/**
 * How `makegood webhooks` prints: the listing as aligned text or as JSON, and the lines that say
 * what a redelivery did.
 */
import type { OutboxEvent } from '#ports';
import {
  type ClaimEvents,
  describeEndpoint,
  type EventPage,
  type StorefrontEvents,
  type StorefrontRedelivery,
  setEndpointHint,
} from './webhooks-ops.ts';

/** How an event is named: its id once an attempt fixed it, else its claim and step. */
export function eventName(e: Pick<OutboxEvent, 'eventId' | 'claimId' | 'step'>): string {
  return e.eventId ?? `${e.claimId}/${e.step}`;
}

/** The time that matters for an event's status: when it is due, failed, was delivered, or was staged. */
export function eventWhen(e: OutboxEvent): string {
  switch (e.status) {
    case 'pending':
      return `due ${e.dueAt ?? e.stagedAt}`;
    case 'failed':
      return `failed ${e.lastAttemptAt ?? e.stagedAt}`;
    case 'delivered':
      return `delivered ${e.deliveredAt ?? e.lastAttemptAt ?? e.stagedAt}`;
    default:
      return `staged ${e.stagedAt}`;
  }
}

const HEADINGS = ['EVENT', 'TYPE', 'STATUS', 'ATTEMPTS', 'WHEN', 'LAST RESULT'] as const;

/** Events as an aligned table, indented by two spaces; the last column (free text) is not padded. */
export function eventTable(events: readonly OutboxEvent[]): string {
  const rows = events.map((e) => [eventName(e), e.type, e.status, String(e.attempts), eventWhen(e), e.lastResult ?? '—']);
  const widths = HEADINGS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ')}\n`;
  return line(HEADINGS) + rows.map(line).join('');
}

/** A storefront's heading line: its id and endpoint, and what to do when the endpoint is disabled. */
function storefrontHeading(storefrontId: string, endpoint: StorefrontEvents['endpoint']): string {
  const heading = `${storefrontId}: endpoint ${describeEndpoint(endpoint)}\n`;
  if (endpoint?.disabledAt === undefined) return heading;
  return `${heading}  nothing is sent to it until it is set again: ${setEndpointHint(storefrontId)}, then makegood webhooks redeliver --failed --storefront ${storefrontId}\n`;
}

function countOf(page: EventPage): string {
  return `${page.events.length}${page.more ? '+' : ''}`;
}

/** The text of `webhooks list`: per storefront its endpoint, then its failed and pending events. */
export function formatStorefrontEvents(listing: readonly StorefrontEvents[], options: { target: string; limit: number }): string {
  const failedOnly = listing.some((s) => s.pending === undefined);
  const what = failedOnly ? 'Failed webhook events' : 'Pending and failed webhook events';
  let text = `${what} in ${options.target} (oldest first, at most ${options.limit} per storefront and status):\n`;
  if (listing.length === 0) return `${text}\nno storefronts\n`;
  for (const s of listing) {
    text += `\n${storefrontHeading(s.storefrontId, s.endpoint)}`;
    const events = [...s.failed.events, ...(s.pending?.events ?? [])];
    if (events.length === 0) {
      text += `  no ${failedOnly ? 'failed' : 'pending or failed'} events\n`;
      continue;
    }
    text += eventTable(events);
    for (const [status, page] of [
      ['failed', s.failed],
      ['pending', s.pending],
    ] as const) {
      if (page?.more)
        text += `  … more ${status} events than the ${options.limit} shown (raise --limit, or look at one claim with --claim)\n`;
    }
    text += `  ${countOf(s.failed)} failed${s.pending ? `, ${countOf(s.pending)} pending` : ''}`;
    text +=
      s.failed.events.length > 0 && s.endpoint && s.endpoint.disabledAt === undefined
        ? `; send the failed ones again with makegood webhooks redeliver --failed --storefront ${s.storefrontId}\n`
        : '\n';
  }
  return text;
}

/** The text of `webhooks list --claim`: the claim's storefront and endpoint, then every event. */
export function formatClaimEvents(claim: ClaimEvents, options: { target: string; failedOnly: boolean }): string {
  let text = `${options.failedOnly ? 'Failed webhook events' : 'Webhook events'} of claim ${claim.claimId} in ${options.target}:\n\n`;
  text += storefrontHeading(claim.storefrontId, claim.endpoint);
  if (claim.events.length === 0) return `${text}  no ${options.failedOnly ? 'failed ' : ''}events\n`;
  const byStatus = new Map<string, number>();
  for (const e of claim.events) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  const counts = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ');
  return `${text}${eventTable(claim.events)}  ${claim.events.length} event(s): ${counts}\n`;
}

/** An event as `--format json` prints it: the outbox item without the body it sends. */
export function eventJson(e: OutboxEvent): Omit<OutboxEvent, 'payload' | 'eventId'> & { eventId: string | null } {
  const { payload: _body, ...rest } = e;
  return { ...rest, eventId: e.eventId ?? null };
}

/** `webhooks list --format json`. */
export function storefrontEventsJson(listing: readonly StorefrontEvents[]): string {
  const page = (p: EventPage) => ({ events: p.events.map(eventJson), more: p.more });
  const storefronts = listing.map((s) => ({
    storefrontId: s.storefrontId,
    endpoint: s.endpoint,
    failed: page(s.failed),
    ...(s.pending ? { pending: page(s.pending) } : {}),
  }));
  return `${JSON.stringify({ storefronts }, null, 2)}\n`;
}

/** `webhooks list --claim … --format json`. */
export function claimEventsJson(claim: ClaimEvents): string {
  return `${JSON.stringify({ claim: { ...claim, events: claim.events.map(eventJson) } }, null, 2)}\n`;
}

/** What an event was before it was redelivered, in words. */
export function priorState(e: OutboxEvent): string {
  const attempts = `${e.attempts} attempt(s)`;
  const last = e.lastResult ? `, last ${e.lastResult}` : '';
  switch (e.status) {
    case 'delivered':
      return `it was delivered${e.deliveredAt ? ` at ${e.deliveredAt}` : ''}; it is sent again under the same webhook-id (the receiver dedupes by it)`;
    case 'failed':
      return `it ${eventWhen(e)} after ${attempts}${last}`;
    case 'pending':
      return `it was pending (${eventWhen(e)}, ${attempts}${last})`;
    default:
      return `it was ${e.status} (${attempts}${last})`;
  }
}

/** Event names shown per storefront after `redeliver --failed`; the rest are counted. */
const NAMES_SHOWN = 20;

/** The text of `webhooks redeliver --failed`: per storefront what was redelivered or left, then the count. */
export function formatRedeliveries(results: readonly StorefrontRedelivery[], options: { target: string; nextRun: string }): string {
  let text = `Redelivering failed webhook events in ${options.target}:\n`;
  let total = 0;
  for (const r of results) {
    total += r.redelivered.length;
    if (r.redelivered.length > 0) {
      text += `  ${r.storefrontId}: ${r.redelivered.length} redelivered\n`;
      for (const e of r.redelivered.slice(0, NAMES_SHOWN)) text += `    ${eventName(e)}  ${e.type}\n`;
      if (r.redelivered.length > NAMES_SHOWN) text += `    … and ${r.redelivered.length - NAMES_SHOWN} more\n`;
    }
    if (r.left) {
      text += `  ${r.storefrontId}: ${r.left.count}${r.left.more ? '+' : ''} failed event(s) left as they are: ${r.left.reason}. Set the endpoint first: ${setEndpointHint(r.storefrontId)}, then run this again\n`;
    }
  }
  if (results.length === 0) text += '  no failed events\n';
  text += `Redelivered ${total} failed event(s)`;
  text += total > 0 ? `: each is pending, due now, with a fresh retry window; the dispatcher sends them ${options.nextRun}\n` : '\n';
  return text;
}
