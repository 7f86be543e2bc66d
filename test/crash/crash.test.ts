import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EntryOf } from '#domain/ledger.ts';
import { mailbox, signedFetch } from '../integration/harness.ts';
import { type ClaimRun, Clients } from './clients.ts';
import { checkInvariants, financeListing, type Tally, type Violation } from './invariants.ts';
import { planKills, runKills } from './kills.ts';
import { seededRandom } from './random.ts';
import { planClaims } from './scenarios.ts';
import { type Endpoints, FINANCE_KEY, freePort, StackProcess } from './stack-process.ts';

/**
 * The crash suite (issue 13): `npm start` as a real child process, `kill -9` at random instants
 * while concurrent clients file claims, answer approval links and report returns, started again
 * on the same data directory each time. Once the last generation has come to rest, it checks
 * that every accepted claim is terminal or legitimately waiting, that no index lists an entry
 * twice, that no customer email was sent twice or lost from the mailbox, and that
 * `npx makegood ledger verify` passes (see invariants.ts).
 *
 * Settings (environment):
 * - `MAKEGOOD_CRASH_CLAIMS` claims to file (default 60; the full run is 200)
 * - `MAKEGOOD_CRASH_KILLS` kills (default 8; the full run is 20)
 * - `MAKEGOOD_CRASH_SEED` the seed of the claims, the answers and the kill schedule (default:
 *   random, printed; set it to replay a failure)
 * - `MAKEGOOD_CRASH_CLIENTS` concurrent clients (default 6)
 * - `MAKEGOOD_CRASH_STALL_SECONDS` how long a client waits for a claim that does not move before
 *   it gives up on it (default 60)
 * - `MAKEGOOD_CRASH_UNANSWERED_WAIT_SECONDS` how long claims whose storefront gave up on a
 *   cut-off POST may take to start on their own (default 180)
 * - `MAKEGOOD_CRASH_KEEP=1` keeps the data directory and the stack's logs even when all passes
 *   (they are always kept on a failure, and their path printed)
 *
 * `MAKEGOOD_CRASH_CLAIMS=200 MAKEGOOD_CRASH_KILLS=20 npm run test:crash` is the full size.
 */
const CLAIMS = Number(process.env.MAKEGOOD_CRASH_CLAIMS ?? 60);
const KILLS = Number(process.env.MAKEGOOD_CRASH_KILLS ?? 8);
const SEED = Number(process.env.MAKEGOOD_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CLIENTS = Number(process.env.MAKEGOOD_CRASH_CLIENTS ?? 6);
const STALL_MS = Number(process.env.MAKEGOOD_CRASH_STALL_SECONDS ?? 60) * 1000;
const KEEP = process.env.MAKEGOOD_CRASH_KEEP === '1';
/** How long claims nobody drives may take to be started by the stack itself (see awaitUnanswered). */
const UNANSWERED_WAIT_MS = Number(process.env.MAKEGOOD_CRASH_UNANSWERED_WAIT_SECONDS ?? 180) * 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stdout.write(`[crash] ${line}\n`);

let stack: StackProcess | undefined;
afterAll(async () => {
  await stack?.killHard();
});

/** Waits until the ledger and the mailbox stop growing: every workflow has run out of work. */
async function comeToRest(ep: Endpoints, from: Date): Promise<void> {
  let last = '';
  let stableSince = Date.now();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const q = new URLSearchParams({ storefront: 'demo', from: from.toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });
    let entries = 0;
    for (let cursor: string | null = null, page = 0; page === 0 || cursor !== null; page++) {
      if (cursor) q.set('cursor', cursor);
      q.set('limit', '1000');
      const res = await fetch(`${ep.apiUrl}/v1/ledger?${q.toString()}`, { headers: { Authorization: `Bearer ${FINANCE_KEY}` } });
      const body = (await res.json()) as { entries: unknown[]; next: string | null };
      entries += body.entries.length;
      cursor = body.next;
    }
    const now = `${entries}/${(await mailbox(ep.mailUrl)).length}`;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 4000) return;
    await sleep(500);
  }
}

/**
 * Claims whose storefront gave up on a cut-off POST, but whose intake got as far as the
 * `received` entry: nobody drives them, so the stack must start them itself (the sweep starts a
 * claim a minute after its intake). Waits until each has left `received` and `assessing`, or
 * until {@link UNANSWERED_WAIT_MS} have passed.
 */
async function awaitUnanswered(ep: Endpoints, runs: readonly ClaimRun[], window: { from: Date; to: Date }): Promise<void> {
  const keys = new Set(runs.filter((r) => r.abandoned).map((r) => r.plan.idempotencyKey));
  if (keys.size === 0) return;
  const received = (
    await financeListing(ep.apiUrl, { storefront: 'demo', from: window.from.toISOString(), to: window.to.toISOString(), type: 'received' })
  ).filter((e): e is EntryOf<'received'> => e.type === 'received' && keys.has(e.data.idempotencyKey));
  const statusOf = async (claimId: string) => {
    const res = await signedFetch(ep.apiUrl, 'GET', `/v1/claims/${claimId}`);
    return res.status === 200 ? ((await res.json()) as { status: string }).status : `HTTP ${res.status}`;
  };
  const first = await Promise.all(received.map(async (e) => `${e.claimId} ${await statusOf(e.claimId)}`));
  log(
    `${keys.size} storefronts gave up on a cut-off POST; ${received.length} of those claims were accepted all the same: ${first.join(', ')}`,
  );
  const started = Date.now();
  let pending = received.map((e) => e.claimId);
  while (pending.length > 0 && Date.now() < started + UNANSWERED_WAIT_MS) {
    const still: string[] = [];
    for (const claimId of pending) if (['received', 'assessing'].includes(await statusOf(claimId))) still.push(claimId);
    pending = still;
    if (pending.length > 0) await sleep(2000);
  }
  if (received.length > 0)
    log(`they left received/assessing within ${Math.round((Date.now() - started) / 1000)} s (${pending.length} did not)`);
}

/** Violations grouped by invariant, each with its claim, for the report. */
function describeViolations(violations: readonly Violation[]): string {
  const groups = new Map<string, Violation[]>();
  for (const v of violations) groups.set(v.invariant, [...(groups.get(v.invariant) ?? []), v]);
  return [...groups]
    .map(([name, vs]) =>
      [
        `${name}: ${vs.length}`,
        ...vs.slice(0, 25).map((v) => `  ${v.claimId ?? '-'} ${v.detail}`),
        ...(vs.length > 25 ? [`  … ${vs.length - 25} more`] : []),
      ].join('\n'),
    )
    .join('\n');
}

describe('kill -9 at random instants', () => {
  it(`leaves every claim ended or waiting, no entry listed twice, no email twice or lost, and a ledger that verifies (${CLAIMS} claims, ${KILLS} kills)`, async () => {
    // arrange: a data directory, the claims and the kill schedule from the seed, the stack running
    const started = Date.now();
    log(`seed ${SEED}: ${CLAIMS} claims, ${KILLS} kills, ${CLIENTS} clients (replay with MAKEGOOD_CRASH_SEED=${SEED})`);
    const work = await mkdtemp(join(tmpdir(), 'makegood-crash-'));
    const dataDir = join(work, 'data');
    const logDir = join(work, 'logs');
    await mkdir(logDir, { recursive: true });
    log(`data directory ${dataDir}, the stack's output in ${logDir}`);
    const random = seededRandom(SEED);
    const plans = planClaims(random, CLAIMS, `${SEED.toString(36)}`);
    const kills = planKills(random, KILLS, CLAIMS);
    const window = { from: new Date(started - 3_600_000), to: new Date(started + 6 * 3_600_000) };
    stack = new StackProcess(dataDir, logDir, await freePort());
    await stack.start();
    const clients = new Clients(stack, plans, { clients: CLIENTS, stallMs: STALL_MS, requestTimeoutMs: 20_000 });

    // act: the clients drive every claim while the kills land; then everything comes to rest
    let done = false;
    const driving = clients.runAll().finally(() => {
      done = true;
    });
    await runKills(
      stack,
      kills,
      { claimsStarted: () => clients.stats.claimsStarted, done: () => done, nextAbandonableIntake: () => clients.nextAbandonableIntake() },
      log,
    );
    await driving;
    if (stack.startFailure) throw new Error(`the stack did not start again after a kill: ${stack.startFailure}`);
    const ep = await stack.up();
    await awaitUnanswered(ep, clients.runs, window);
    await comeToRest(ep, window.from);
    log(`driven in ${Math.round((Date.now() - started) / 1000)} s; checking`);
    const { violations, tally } = await checkInvariants(ep, clients.runs, window, dataDir);
    await stack.stop();

    // assert (the summary line first, whatever the outcome)
    const seconds = Math.round((Date.now() - started) / 1000);
    const notes = clients.runs.flatMap((r) => r.notes.map((n) => `  ${r.claimId ?? `plan #${r.plan.index}`} ${n}`));
    if (notes.length > 0) log(`answers a storefront would not expect (${notes.length}):\n${notes.slice(0, 40).join('\n')}`);
    const kept = violations.length > 0 || KEEP;
    if (kept) log(`data directory and stack logs kept in ${work}`);
    else await rm(work, { recursive: true, force: true });
    if (violations.length > 0) log(`violations (replay with MAKEGOOD_CRASH_SEED=${SEED}):\n${describeViolations(violations)}`);
    log(summary(tally, stack, clients.stats, violations.length, seconds, clients.runs.filter((r) => r.abandoned).length));
    // One line per violation in the assertion; the details are printed above.
    expect(violations.map((v) => `${v.invariant} ${v.claimId ?? '-'}`)).toEqual([]);
    expect(tally.terminal + tally.waiting).toBe(tally.claims);
    expect(stack.kills).toBe(KILLS);
  });
});

function summary(
  tally: Tally,
  s: StackProcess,
  stats: { requests: number; retried: number; serverErrors: number },
  violations: number,
  seconds: number,
  abandoned: number,
): string {
  return [
    `claims ${tally.claims} (${tally.terminal} ended, ${tally.waiting} waiting, ${tally.unanswered} accepted unanswered; ${abandoned} storefronts gave up)`,
    `kills ${s.kills}`,
    `restarts ${s.starts - 1}`,
    `emails ${tally.emails} (${tally.recordedEmails} recorded)`,
    `ledger entries ${tally.entries}`,
    `requests ${stats.requests} (${stats.retried} retried, ${stats.serverErrors} server errors)`,
    `violations ${violations}`,
    `seed ${SEED}`,
    `duration ${seconds} s`,
  ].join(', ');
}
