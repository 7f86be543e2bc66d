import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AttributeValue, DescribeTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { EntryOf, LedgerEntry } from '#domain/ledger.ts';
import { repoRoot } from '#local/stack.ts';
import { approvalLink, type ClaimView, type Mail, mailbox, signedFetch } from '../integration/harness.ts';
import { type ClaimRun, terminalStatuses, waitingStatuses } from './clients.ts';
import { type Endpoints, FINANCE_KEY } from './stack-process.ts';

/** One broken promise of issue 13, with the claim it concerns. */
export interface Violation {
  readonly invariant:
    | 'claim-not-accepted'
    | 'one-key-two-claims'
    | 'phantom-claim'
    | 'stuck'
    | 'waiting-not-legitimate'
    | 'claim-failed'
    | 'wrong-outcome'
    | 'step-recorded-twice'
    | 'listed-twice'
    | 'listing-differs'
    | 'index-row-twice'
    | 'index-row-orphaned'
    | 'index-row-missing'
    | 'email-sent-twice'
    | 'email-lost'
    | 'email-unrecorded'
    | 'ledger-verify';
  readonly claimId?: string;
  readonly detail: string;
}

/** What the checks counted, for the summary line. */
export interface Tally {
  /** Claims accepted: answered with a 202, or recorded as `received` for a storefront that gave up. */
  readonly claims: number;
  /** Of those, claims whose storefront gave up before it got the answer. */
  readonly unanswered: number;
  readonly terminal: number;
  readonly waiting: number;
  readonly entries: number;
  readonly emails: number;
  readonly recordedEmails: number;
}

const CLAIM_ID = /clm_[0-9a-f]{32}/;
const approvers = ['agent@demo.test', 'supervisor@demo.test', 'finance@demo.test'];

/** The window the finance listing and `ledger verify` read: the run, with an hour either side. */
export interface Window {
  readonly from: Date;
  readonly to: Date;
}

/** Every page of `GET /v1/ledger` for a query, with the finance key. */
export async function financeListing(apiUrl: string, query: Record<string, string>): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let cursor: string | null = null;
  for (let page = 0; ; page++) {
    if (page > 10_000) throw new Error(`GET /v1/ledger ${JSON.stringify(query)} never ended`);
    const params = new URLSearchParams({ ...query, limit: '250', ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${apiUrl}/v1/ledger?${params.toString()}`, { headers: { Authorization: `Bearer ${FINANCE_KEY}` } });
    if (res.status !== 200) throw new Error(`GET /v1/ledger?${params.toString()} answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { entries: LedgerEntry[]; next: string | null };
    entries.push(...body.entries);
    cursor = body.next;
    if (cursor === null) return entries;
  }
}

const entryKey = (e: { claimId: string; seq: number }) => `${e.claimId}#${e.seq}`;

/** Entries listed more than once, by claim and sequence. */
function twiceListed(entries: readonly LedgerEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(entryKey(e), (counts.get(entryKey(e)) ?? 0) + 1);
  return new Map([...counts].filter(([, n]) => n > 1));
}

/**
 * Checks every invariant of issue 13 against the running stack, once it has come to rest:
 *
 * 1. Claims: every accepted claim (a 202 answered) is terminal, or waits legitimately (see
 *    {@link checkClaims}); one Idempotency-Key, one claim; no claim the clients did not file.
 * 2. No entry listed twice: the finance listing (every page; per entry type too) and each
 *    claim's own listing name each (claim, seq) once and agree with each other; no step is
 *    recorded twice in a claim; and, under the API, every index of both tables has exactly one
 *    row per item that carries its keys, and no row without its item.
 * 3. Emails: no (claim, email) in the mailbox twice; every `email_sent` entry's message is in
 *    the mailbox; every customer email in the mailbox is recorded.
 * 4. `npx makegood ledger verify` passes.
 */
export async function checkInvariants(
  ep: Endpoints,
  runs: readonly ClaimRun[],
  window: Window,
  dataDir: string,
): Promise<{ violations: Violation[]; tally: Tally }> {
  const violations: Violation[] = [];
  const range = { storefront: 'demo', from: window.from.toISOString(), to: window.to.toISOString() };
  const listed = await financeListing(ep.apiUrl, range);
  const claimIds = [...new Set([...runs.flatMap((r) => [...r.claimIds]), ...listed.map((e) => e.claimId)])].sort();
  const byClaim = new Map<string, LedgerEntry[]>();
  for (const id of claimIds) byClaim.set(id, await financeListing(ep.apiUrl, { claim: id }));
  const mails = await mailbox(ep.mailUrl);

  const claims = await checkClaims(ep, runs, byClaim, mails, violations);
  checkListings(listed, byClaim, violations);
  for (const type of [...new Set(listed.map((e) => e.type))].sort())
    checkTypeListing(type, await financeListing(ep.apiUrl, { ...range, type }), listed, violations);
  await checkIndexes(ep, violations);
  const emails = checkEmails(byClaim, mails, violations);
  await checkVerify(dataDir, window, violations);
  const entries = [...byClaim.values()].reduce((n, es) => n + es.length, 0);
  return { violations, tally: { ...claims, entries, emails: mails.length, recordedEmails: emails.recorded } };
}

/**
 * Which claims count as ended or waiting. Terminal: `settled`, `rejected`, `closed`, `failed`
 * (functions/domain/ledger.ts; nothing happens to them any more). Legitimately waiting: a claim
 * in `awaiting_approval` whose current round's link is in an approver's mailbox and opens its
 * confirmation page, or in `awaiting_return` whose return was authorised and whose customer has
 * the instructions; and only claims the plan left waiting on purpose, as every other one was
 * answered. `received` and `assessing` are never a resting state: a claim found there is stuck.
 * `failed` is terminal, but no claim of this run may fail (no deadline passes during a run), so a
 * failed claim is a violation too. Accepted: answered with a 202, or, for a storefront that gave
 * up on its cut-off POST, recorded as `received` under its key (which only a sweep can then start).
 */
async function checkClaims(
  ep: Endpoints,
  runs: readonly ClaimRun[],
  byClaim: ReadonlyMap<string, readonly LedgerEntry[]>,
  mails: readonly Mail[],
  violations: Violation[],
): Promise<{ claims: number; unanswered: number; terminal: number; waiting: number }> {
  let terminal = 0;
  let waiting = 0;
  let unanswered = 0;
  let accepted = 0;
  const keys = new Map<string, string[]>();
  for (const [claimId, entries] of byClaim) {
    const received = entries.find((e): e is EntryOf<'received'> => e.type === 'received');
    if (received) keys.set(received.data.idempotencyKey, [...(keys.get(received.data.idempotencyKey) ?? []), claimId]);
  }
  for (const [key, ids] of keys)
    if (ids.length > 1) violations.push({ invariant: 'one-key-two-claims', detail: `Idempotency-Key ${key} has claims ${ids.join(', ')}` });
  const planned = new Set(runs.map((r) => r.plan.idempotencyKey));
  const filed = new Set(runs.flatMap((r) => [...r.claimIds]));
  for (const [claimId, entries] of byClaim) {
    const received = entries.find((e): e is EntryOf<'received'> => e.type === 'received');
    if (!filed.has(claimId) && !(received && planned.has(received.data.idempotencyKey)))
      violations.push({
        invariant: 'phantom-claim',
        claimId,
        detail: `in the ledger (${entries.map((e) => e.type).join(', ')}) but filed by no client`,
      });
  }

  for (const run of runs) {
    const { plan } = run;
    const what = `plan #${plan.index} ${plan.kind}${plan.leaveWaiting ? ` (left waiting for its ${plan.leaveWaiting})` : ''}`;
    if (run.claimIds.size > 1)
      violations.push({ invariant: 'one-key-two-claims', detail: `${what}: answers named ${[...run.claimIds].join(', ')}` });
    // A storefront that gave up never learnt the claim id: the ledger knows it by the key.
    const claimId = run.claimId ?? (run.abandoned ? keys.get(plan.idempotencyKey)?.[0] : undefined);
    if (!claimId) {
      if (!run.abandoned) violations.push({ invariant: 'claim-not-accepted', detail: `${what}: ${run.gaveUp ?? 'never answered'}` });
      continue;
    }
    accepted += 1;
    if (!run.claimId) unanswered += 1;
    const entries = byClaim.get(claimId) ?? [];
    const steps = new Map<string, number>();
    for (const e of entries) steps.set(e.step, (steps.get(e.step) ?? 0) + 1);
    for (const [step, n] of steps)
      if (n > 1) violations.push({ invariant: 'step-recorded-twice', claimId, detail: `${what}: step ${step} is recorded ${n} times` });

    const res = await signedFetch(ep.apiUrl, 'GET', `/v1/claims/${claimId}`);
    if (res.status !== 200) {
      violations.push({ invariant: 'stuck', claimId, detail: `${what}: GET /v1/claims answered ${res.status}: ${await res.text()}` });
      continue;
    }
    const view = (await res.json()) as ClaimView;
    const gaveUp = run.claimId
      ? run.gaveUp && `; the client gave up: ${run.gaveUp}`
      : '; its storefront gave up when a kill cut off its POST, and never sent it again';
    const trail = `timeline ${entries.map((e) => e.type).join(' → ')}${gaveUp ?? ''}`;
    if (terminalStatuses.includes(view.status)) {
      terminal += 1;
      if (view.status === 'failed') {
        const failed = entries.find((e): e is EntryOf<'failed'> => e.type === 'failed');
        violations.push({ invariant: 'claim-failed', claimId, detail: `${what}: ${JSON.stringify(failed?.data ?? null)}; ${trail}` });
        continue;
      }
      const { expected } = plan;
      const cash = view.decision?.cash.amount;
      const credit = view.decision?.storeCredit.amount;
      if (
        view.status !== expected.status ||
        (expected.cash !== undefined && cash !== expected.cash) ||
        (expected.storeCredit !== undefined && credit !== expected.storeCredit)
      )
        violations.push({
          invariant: 'wrong-outcome',
          claimId,
          detail: `${what}: expected ${JSON.stringify(expected)}, got ${view.status} cash ${cash} credit ${credit}; ${trail}`,
        });
      continue;
    }
    if (waitingStatuses.includes(view.status)) {
      const problem = await whyNotLegitimate(view, plan.leaveWaiting, entries, mails);
      if (problem === undefined) waiting += 1;
      else violations.push({ invariant: 'waiting-not-legitimate', claimId, detail: `${what}: ${view.status}, ${problem}; ${trail}` });
      continue;
    }
    violations.push({ invariant: 'stuck', claimId, detail: `${what}: still ${view.status}; ${trail}` });
  }
  return { claims: accepted, unanswered, terminal, waiting };
}

/** Why a waiting claim does not wait legitimately (see {@link checkClaims}), or undefined. */
async function whyNotLegitimate(
  view: ClaimView,
  leftWaiting: 'approval' | 'return' | undefined,
  entries: readonly LedgerEntry[],
  mails: readonly Mail[],
): Promise<string | undefined> {
  const sentIds = new Set(mails.map((m) => m.messageId));
  const emails = entries.filter((e): e is EntryOf<'email_sent'> => e.type === 'email_sent');
  if (view.status === 'awaiting_approval') {
    const rounds = entries.filter((e): e is EntryOf<'approval_requested'> => e.type === 'approval_requested');
    const round = rounds.at(-1);
    if (!round) return 'no approval round was requested';
    const linkMails = emails.filter((e) => e.data.kind === 'approval_request' && approvers.includes(e.data.to));
    const delivered = mails.filter((m) => linkMails.some((e) => e.data.messageId === m.messageId));
    if (linkMails.length === 0) return `round ${round.data.round} was requested but no approver's email is recorded`;
    if (delivered.length === 0) return `the approver's email is recorded but not in the mailbox`;
    const pages = await Promise.all(delivered.map((m) => fetch(approvalLink(m)).then((r) => r.status)));
    if (!pages.includes(200)) return `no approver's link opens its page (answers ${pages.join(', ')})`;
    if (leftWaiting !== 'approval') return 'it was answered (or should have been), yet still waits for its approver';
    return undefined;
  }
  if (!entries.some((e) => e.type === 'return_authorised')) return 'no return was authorised';
  const instructions = emails.filter((e) => e.data.kind === 'return_instructions');
  if (instructions.length === 0) return 'the return instructions are not recorded as sent';
  if (!instructions.some((e) => sentIds.has(e.data.messageId))) return 'the return instructions are not in the mailbox';
  if (leftWaiting !== 'return') return 'the parcel was reported (or should have been), yet it still waits for it';
  return undefined;
}

/** The finance listing against each claim's own: each entry once, in both, with the same hash. */
function checkListings(
  listed: readonly LedgerEntry[],
  byClaim: ReadonlyMap<string, readonly LedgerEntry[]>,
  violations: Violation[],
): void {
  for (const [key, n] of twiceListed(listed))
    violations.push({
      invariant: 'listed-twice',
      claimId: key.split('#')[0],
      detail: `GET /v1/ledger?storefront=demo lists entry ${key} ${n} times`,
    });
  const inListing = new Map(listed.map((e) => [entryKey(e), e]));
  for (const [claimId, entries] of byClaim) {
    for (const [key, n] of twiceListed(entries))
      violations.push({ invariant: 'listed-twice', claimId, detail: `GET /v1/ledger?claim= lists entry ${key} ${n} times` });
    for (const e of entries) {
      const other = inListing.get(entryKey(e));
      if (!other)
        violations.push({
          invariant: 'listing-differs',
          claimId,
          detail: `entry ${entryKey(e)} (${e.type}) is in the claim's listing, not in the storefront's`,
        });
      else if (other.hash !== e.hash)
        violations.push({
          invariant: 'listing-differs',
          claimId,
          detail: `entry ${entryKey(e)} (${e.type}) has another hash in the storefront's listing (${other.type} at ${other.at}) than in the claim's (at ${e.at})`,
        });
    }
  }
  for (const e of listed) {
    if (!(byClaim.get(e.claimId) ?? []).some((c) => c.seq === e.seq))
      violations.push({
        invariant: 'listing-differs',
        claimId: e.claimId,
        detail: `entry ${entryKey(e)} (${e.type}) is in the storefront's listing, not in the claim's`,
      });
  }
}

/** The listing of one entry type: each entry once, and the same entries as the full listing has of that type. */
function checkTypeListing(type: string, ofType: readonly LedgerEntry[], listed: readonly LedgerEntry[], violations: Violation[]): void {
  for (const [key, n] of twiceListed(ofType))
    violations.push({
      invariant: 'listed-twice',
      claimId: key.split('#')[0],
      detail: `GET /v1/ledger?type=${type} lists entry ${key} ${n} times`,
    });
  const want = new Set(listed.filter((e) => e.type === type).map(entryKey));
  const got = new Set(ofType.map(entryKey));
  for (const key of want)
    if (!got.has(key))
      violations.push({
        invariant: 'listing-differs',
        claimId: key.split('#')[0],
        detail: `GET /v1/ledger?type=${type} leaves out ${key}`,
      });
  for (const e of ofType)
    if (e.type !== type || !want.has(entryKey(e)))
      violations.push({
        invariant: 'listing-differs',
        claimId: e.claimId,
        detail: `GET /v1/ledger?type=${type} lists ${entryKey(e)} (${e.type}), which the full listing does not have as ${type}`,
      });
}

type Item = Record<string, AttributeValue>;

async function scanAll(client: DynamoDBClient, table: string, index?: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await client.send(
      new ScanCommand({ TableName: table, ...(index ? { IndexName: index } : {}), ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const s = (item: Item | undefined, name: string) => item?.[name]?.S;

/**
 * Under the API: each index of both tables (read with Scan, which the product never does) has
 * one row per item that carries the index's keys, with the item's keys, and no other row. A
 * discrepancy is read again by key (a consistent GetItem) before it is reported, as the state
 * table's items may be rewritten while this runs.
 */
async function checkIndexes(ep: Endpoints, violations: Violation[]): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: ep.dynamodbUrl,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  try {
    for (const table of [ep.env.MAKEGOOD_LEDGER_TABLE ?? 'makegood-ledger', ep.env.MAKEGOOD_STATE_TABLE ?? 'makegood-state']) {
      const described = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
      const base = new Map((await scanAll(client, table)).map((item) => [`${s(item, 'pk')}|${s(item, 'sk')}`, item]));
      for (const gsi of described?.GlobalSecondaryIndexes ?? []) {
        const name = gsi.IndexName ?? '';
        const [hash, range] = [gsi.KeySchema?.[0]?.AttributeName ?? '', gsi.KeySchema?.[1]?.AttributeName ?? ''];
        const rows = await scanAll(client, table, name);
        const seen = new Map<string, Item[]>();
        for (const row of rows) {
          const key = `${s(row, 'pk')}|${s(row, 'sk')}`;
          seen.set(key, [...(seen.get(key) ?? []), row]);
        }
        const claimOf = (key: string) => CLAIM_ID.exec(key)?.[0];
        for (const [key, same] of seen) {
          if (same.length > 1)
            violations.push({
              invariant: 'index-row-twice',
              claimId: claimOf(key),
              detail: `${table} index ${name} has ${same.length} rows for item ${key}: ${same.map((r) => `${s(r, hash)} / ${s(r, range)}`).join(', ')}`,
            });
          for (const row of same) {
            const item = base.get(key);
            if (item && s(item, hash) === s(row, hash) && s(item, range) === s(row, range)) continue;
            const [pk, sk] = key.split('|') as [string, string];
            const again = await getItem(client, table, pk, sk);
            if (!again || s(again, hash) !== s(row, hash) || s(again, range) !== s(row, range))
              violations.push({
                invariant: 'index-row-orphaned',
                claimId: claimOf(key),
                detail: `${table} index ${name} row ${s(row, hash)} / ${s(row, range)} points at ${key}, which ${again ? `has ${s(again, hash)} / ${s(again, range)}` : 'does not exist'}`,
              });
          }
        }
        const suspects = [...base].filter(([key, item]) => s(item, hash) !== undefined && s(item, range) !== undefined && !seen.has(key));
        if (suspects.length === 0) continue;
        const rowsNow = new Set((await scanAll(client, table, name)).map((r) => `${s(r, 'pk')}|${s(r, 'sk')}`));
        for (const [key] of suspects) {
          const [pk, sk] = key.split('|') as [string, string];
          const again = await getItem(client, table, pk, sk);
          if (again && s(again, hash) !== undefined && s(again, range) !== undefined && !rowsNow.has(key))
            violations.push({
              invariant: 'index-row-missing',
              claimId: claimOf(key),
              detail: `${table} item ${key} carries ${name}'s keys (${s(again, hash)} / ${s(again, range)}) but the index has no row for it`,
            });
        }
      }
    }
  } finally {
    client.destroy();
  }
}

async function getItem(client: DynamoDBClient, table: string, pk: string, sk: string): Promise<Item | undefined> {
  const out = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
  return out.Item;
}

/**
 * Emails, mailbox against ledger. A message is attributed to the ledger step that sent it by its
 * SES message id; a message no entry names (sent, then a kill before its `email_sent` was
 * recorded) is attributed by its claim (the reference every email carries), recipient and
 * subject to the recorded step it repeats. Then: no step has two messages (sent twice); every
 * `email_sent` entry's message is in the mailbox (none lost); every message about a claim is
 * recorded or repeats a recorded one (none unrecorded).
 */
function checkEmails(
  byClaim: ReadonlyMap<string, readonly LedgerEntry[]>,
  mails: readonly Mail[],
  violations: Violation[],
): { recorded: number } {
  const recorded = [...byClaim.values()].flat().filter((e): e is EntryOf<'email_sent'> => e.type === 'email_sent');
  const byMessage = new Map(recorded.map((e) => [e.data.messageId, e]));
  const inMailbox = new Set(mails.map((m) => m.messageId));
  const perStep = new Map<string, { entry: EntryOf<'email_sent'>; messages: string[] }>();
  for (const e of recorded) perStep.set(`${e.claimId} ${e.step}`, { entry: e, messages: [] });
  for (const mail of mails) {
    const claimId = CLAIM_ID.exec(mail.body.text ?? '')?.[0];
    if (!claimId) continue;
    const to = mail.destination.to.join(',');
    const entry =
      byMessage.get(mail.messageId) ?? recorded.find((e) => e.claimId === claimId && e.data.to === to && e.data.subject === mail.subject);
    if (!entry) {
      violations.push({
        invariant: 'email-unrecorded',
        claimId,
        detail: `"${mail.subject}" to ${to} (${mail.messageId}) is in the mailbox, but no email_sent entry of the claim records it or one like it`,
      });
      continue;
    }
    perStep.get(`${entry.claimId} ${entry.step}`)?.messages.push(mail.messageId);
  }
  for (const { entry, messages } of perStep.values()) {
    if (messages.length > 1)
      violations.push({
        invariant: 'email-sent-twice',
        claimId: entry.claimId,
        detail: `${entry.data.kind} email (step ${entry.step}) to ${entry.data.to} is in the mailbox ${messages.length} times: ${messages.join(', ')} (recorded: ${entry.data.messageId})`,
      });
    if (!inMailbox.has(entry.data.messageId))
      violations.push({
        invariant: 'email-lost',
        claimId: entry.claimId,
        detail: `${entry.data.kind} email (step ${entry.step}, seq ${entry.seq}) to ${entry.data.to} is recorded as sent (${entry.data.messageId}) but not in the mailbox`,
      });
  }
  // The same kind of email to the same person under two steps of one claim is sent twice too
  // (each plan of this suite has one round, one outcome and one return).
  const perKind = new Map<string, EntryOf<'email_sent'>[]>();
  for (const e of recorded) {
    const key = `${e.claimId} ${e.data.kind} ${e.data.to}`;
    perKind.set(key, [...(perKind.get(key) ?? []), e]);
  }
  for (const same of perKind.values()) {
    const [first] = same;
    if (first && same.length > 1)
      violations.push({
        invariant: 'email-sent-twice',
        claimId: first.claimId,
        detail: `${first.data.kind} email to ${first.data.to} is recorded under ${same.length} steps: ${same.map((e) => `${e.step} (seq ${e.seq})`).join(', ')}`,
      });
  }
  return { recorded: recorded.length };
}

/** `npx makegood ledger verify` over the run's days, against the running stack (runtime.json). */
async function checkVerify(dataDir: string, window: Window, violations: Violation[]): Promise<void> {
  try {
    await promisify(execFile)(
      process.execPath,
      [
        join(repoRoot, 'cli/makegood.mjs'),
        'ledger',
        'verify',
        '--storefront',
        'demo',
        '--from',
        window.from.toISOString().slice(0, 10),
        '--data-dir',
        dataDir,
      ],
      { cwd: repoRoot, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    violations.push({
      invariant: 'ledger-verify',
      detail: `exit ${e.code ?? '?'}: ${(e.stdout ?? '').slice(0, 4000)}${(e.stderr ?? '').slice(0, 2000) || e.message}`,
    });
  }
}
