import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { withOutbox } from '#adapters/outbox-ledger.ts';
import { singleKeyRing } from '#domain/key-ring.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import { webhookEventOf } from '#domain/webhook-events.ts';
import type {
  Clock,
  LedgerStore,
  Outbox,
  OutboxEvent,
  OutboxUpdate,
  Secrets,
  StateStore,
  Storefront,
  WebhookSender,
  WebhookSettings,
} from '#ports';
import { deliverWebhooks, retryDelayMs } from '#usecases/deliver-webhooks.ts';
import { claimRef, receivedDraft } from '../handlers/support.ts';

/**
 * The dispatcher against in-memory ports that keep the adapters' rules: an outbox whose lane and
 * leases are conditional (as DynamoOutbox's writes are) and whose due read is ordered by due time
 * then claim and step (as the byOutboxQueue index is), a ledger of hash-chained entries, a sender
 * that answers from a script and counts what is in flight, and a clock the test moves.
 */

const T0 = Date.parse('2026-11-10T12:00:00.000Z');
const SF = 'demo';
const ENDPOINT = 'https://hooks.demo.test/makegood';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const DAY = 24 * 3600 * 1000;

const SETTINGS: WebhookSettings = {
  timeoutMs: 10_000,
  maxInFlight: 2,
  retryForMs: 3 * DAY,
  firstRetryMs: 10_000,
  maxRetryMs: 3_600_000,
};

type Answer = Awaited<ReturnType<WebhookSender['send']>>;
type SendRequest = Parameters<WebhookSender['send']>[0];
const OK: Answer = { kind: 'answered', status: 200 };
const status = (code: number): Answer => ({ kind: 'answered', status: code });
const TIMEOUT: Answer = { kind: 'timeout' };
const UNREACHABLE: Answer = { kind: 'unreachable', message: 'ECONNREFUSED' };

class TestClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** An outbox item as the table holds it: the event plus its lease. */
type Stored = { -readonly [K in keyof OutboxEvent]: OutboxEvent[K] } & { leaseHolder?: string; leaseUntil?: number };

const keyOf = (e: { claimId: string; step: string }) => `${e.claimId}/${e.step}`;

/** The outbox in memory, with DynamoOutbox's conditions: each check and write happens in one tick. */
class MemoryOutbox implements Outbox {
  readonly items = new Map<string, Stored>();
  readonly lanes = new Map<string, { holder: string; until: number }>();
  /** Conditional writes to lane items (taken or released). */
  laneWrites = 0;
  /** Runs before each lease's check: lets a test play another dispatcher's write in between. */
  beforeLease: ((e: OutboxEvent) => void) | undefined;

  item(claimId: string, step: string): Stored {
    const found = this.items.get(keyOf({ claimId, step }));
    if (!found) throw new Error(`no outbox item ${claimId}/${step}`);
    return found;
  }

  private view(s: Stored): OutboxEvent {
    const { leaseHolder: _h, leaseUntil: _u, ...event } = s;
    return structuredClone(event);
  }

  async stage(e: Parameters<Outbox['stage']>[0]): Promise<void> {
    const existing = this.items.get(keyOf(e));
    if (existing && existing.status !== 'voided') return;
    const at = e.at.toISOString();
    this.items.set(keyOf(e), {
      storefrontId: e.storefrontId,
      claimId: e.claimId,
      step: e.step,
      type: e.type,
      status: 'pending',
      stagedAt: at,
      windowStart: at,
      dueAt: at,
      attempts: 0,
    });
  }

  async due(storefrontId: string, now: Date, limit: number): Promise<OutboxEvent[]> {
    const upTo = now.toISOString();
    const sortKey = (s: Stored) => `${s.dueAt}#${s.claimId}#${s.step}`;
    return [...this.items.values()]
      .filter((s) => s.storefrontId === storefrontId && s.status === 'pending' && s.dueAt !== undefined && s.dueAt <= upTo)
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))
      .slice(0, limit)
      .map((s) => this.view(s));
  }

  async list(storefrontId: string, status: 'pending' | 'failed', limit: number): Promise<OutboxEvent[]> {
    return [...this.items.values()]
      .filter((s) => s.storefrontId === storefrontId && s.status === status)
      .slice(0, limit)
      .map((s) => this.view(s));
  }

  async claimEvents(claimId: string): Promise<OutboxEvent[]> {
    return [...this.items.values()].filter((s) => s.claimId === claimId).map((s) => this.view(s));
  }

  async takeLane(storefrontId: string, holder: string, until: Date, now: Date): Promise<boolean> {
    this.laneWrites += 1;
    const lane = this.lanes.get(storefrontId);
    if (lane && lane.until >= now.getTime() && lane.holder !== holder) return false;
    this.lanes.set(storefrontId, { holder, until: until.getTime() });
    return true;
  }

  async releaseLane(storefrontId: string, holder: string): Promise<void> {
    this.laneWrites += 1;
    if (this.lanes.get(storefrontId)?.holder === holder) this.lanes.delete(storefrontId);
  }

  async lease(e: OutboxEvent, holder: string, until: Date, now: Date): Promise<OutboxEvent | undefined> {
    this.beforeLease?.(e);
    const s = this.items.get(keyOf(e));
    if (s?.status !== 'pending') return undefined;
    if (s.dueAt === undefined || s.dueAt > now.toISOString()) return undefined; // not due by the item itself
    if (s.leaseUntil !== undefined && s.leaseUntil >= now.getTime()) return undefined; // another holds it
    s.leaseHolder = holder;
    s.leaseUntil = until.getTime();
    return this.view(s);
  }

  async settle(e: OutboxEvent, holder: string, u: OutboxUpdate): Promise<void> {
    const s = this.items.get(keyOf(e));
    if (!s || s.leaseHolder !== holder) return; // the lease was lost: the write is ignored
    if (u.status === 'pending' && !u.dueAt) throw new Error('a pending event needs a due time');
    s.status = u.status;
    s.attempts = u.attempts;
    if (u.eventId !== undefined) s.eventId = u.eventId;
    if (u.payload !== undefined) s.payload = u.payload;
    if (u.lastAttemptAt) s.lastAttemptAt = u.lastAttemptAt.toISOString();
    if (u.lastResult !== undefined) s.lastResult = u.lastResult;
    if (u.deliveredAt) s.deliveredAt = u.deliveredAt.toISOString();
    if (u.status === 'pending' && u.dueAt) s.dueAt = u.dueAt.toISOString();
    else delete s.dueAt;
    delete s.leaseHolder;
    delete s.leaseUntil;
  }

  async redeliver(e: OutboxEvent, now: Date): Promise<void> {
    const s = this.items.get(keyOf(e));
    if (!s) throw new Error('no such event');
    s.status = 'pending';
    s.dueAt = now.toISOString();
    s.windowStart = now.toISOString();
  }
}

/** A ledger of hash-chained entries by claim, counting its reads. */
class MemoryLedger implements LedgerStore {
  readonly claims = new Map<string, LedgerEntry[]>();
  reads = 0;
  /** When set, every read fails with it. */
  failure: Error | undefined;

  constructor(private readonly clock: Clock) {}

  async entries(claimId: string): Promise<LedgerEntry[]> {
    this.reads += 1;
    if (this.failure) throw this.failure;
    return structuredClone(this.claims.get(claimId) ?? []);
  }
  async append(claim: ClaimRef, draft: EntryDraft): Promise<LedgerEntry> {
    const list = this.claims.get(claim.claimId) ?? [];
    const existing = list.find((e) => e.step === draft.step);
    if (existing) return existing;
    const entry = chainEntry(claim, list.at(-1), draft, this.clock.now());
    this.claims.set(claim.claimId, [...list, entry]);
    return entry;
  }
  customerEntries(): Promise<LedgerEntry[]> {
    throw new Error('the dispatcher never reads by customer');
  }
  orderEntries(): Promise<LedgerEntry[]> {
    throw new Error('the dispatcher never reads by order');
  }
  storefrontEntries(): never {
    throw new Error('the dispatcher never reads by storefront');
  }
}

/**
 * Answers from a script, in order (then `otherwise`, if set). A timeout takes the request's whole
 * bound on the clock. With `hold`, every request waits until the test lets it go.
 */
class ScriptedSender implements WebhookSender {
  readonly calls: SendRequest[] = [];
  readonly script: Answer[] = [];
  otherwise: Answer | undefined;
  hold = false;
  /** Requests waiting to be let go (with `hold`). */
  readonly waiting: (() => void)[] = [];
  inFlight = 0;
  peak = 0;

  constructor(private readonly clock: TestClock) {}

  async send(request: SendRequest): Promise<Answer> {
    this.calls.push(request);
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((resolve) => this.waiting.push(resolve));
      const answer = this.script.shift() ?? this.otherwise;
      if (!answer) throw new Error(`unscripted request ${request.eventId}`);
      if (answer.kind === 'timeout') this.clock.advance(request.timeoutMs);
      return answer;
    } finally {
      this.inFlight -= 1;
    }
  }
}

class World {
  readonly clock = new TestClock(T0);
  readonly outbox = new MemoryOutbox();
  readonly ledger = new MemoryLedger(this.clock);
  readonly sender = new ScriptedSender(this.clock);
  readonly storefronts = new Map<string, Storefront>([[SF, { id: SF, name: 'Demo Shop', webhook: { url: ENDPOINT } }]]);
  /** Each storefront's webhook secrets in force, newest first (two during a rotation). */
  readonly webhookSecrets = new Map<string, string[]>([[SF, [SECRET]]]);
  readonly disabled: { storefrontId: string; url: string; at: Date; reason: string }[] = [];
  settings: WebhookSettings = SETTINGS;

  /** The ledger the use cases append through: each event staged before its entry. */
  readonly recorder = withOutbox(this.ledger, this.outbox, this.clock);

  readonly state = {
    storefront: async (id: string) => structuredClone(this.storefronts.get(id)),
    disableWebhook: async (storefrontId: string, url: string, at: Date, reason: string) => {
      this.disabled.push({ storefrontId, url, at, reason });
      const sf = this.storefronts.get(storefrontId);
      if (sf?.webhook?.url === url) {
        this.storefronts.set(storefrontId, { ...sf, webhook: { url, disabledAt: at.toISOString(), disabledReason: reason } });
      }
    },
  } as unknown as StateStore;

  readonly secrets: Secrets = {
    storefrontSigningSecrets: async () => [],
    approvalKeys: async () => singleKeyRing(Buffer.alloc(32)),
    financeKey: async () => undefined,
    webhookSecrets: async (id) => [...(this.webhookSecrets.get(id) ?? [])],
  };

  deps(): Parameters<typeof deliverWebhooks>[1] {
    return {
      outbox: this.outbox,
      ledger: this.ledger,
      state: this.state,
      secrets: this.secrets,
      clock: this.clock,
      webhookSender: this.sender,
      webhooks: this.settings,
    };
  }

  /** Records a step as the use cases do (its event staged first), at the clock's time. */
  record(claimId: string, draft: EntryDraft, storefrontId = SF): Promise<LedgerEntry> {
    return this.recorder.append(claimRef(claimId, storefrontId), draft);
  }

  /** Claims received, one per id, a millisecond apart (so their due order is theirs). */
  async received(...claimIds: string[]): Promise<void> {
    for (const id of claimIds) {
      await this.record(id, receivedDraft());
      this.clock.advance(1);
    }
  }

  run(options: { random?: () => number; onDisabled?: (storefrontId: string, url: string, reason: string) => void } = {}) {
    return deliverWebhooks({ storefrontId: SF, ...options }, this.deps());
  }
}

/** Lets every promise chain that does not wait on the test run to its next stop. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('deliverWebhooks: a 2xx answer', () => {
  it('POSTs the entry’s body under evt_<claim>_<seq>, signed with the storefront’s secret, and marks it delivered after one attempt', async () => {
    // arrange
    const w = new World();
    const entry = await w.record('clm_a', receivedDraft());
    w.clock.advance(1_000);
    w.sender.script.push(status(204));

    // act
    const run = await w.run();

    // assert
    expect(run).toEqual({ storefrontId: SF, ran: true, delivered: 1, retrying: 0, failed: 0, dropped: 0, waiting: 0 });
    const entries = w.ledger.claims.get('clm_a') ?? [];
    expect(w.sender.calls).toEqual([
      {
        url: ENDPOINT,
        secrets: [SECRET],
        eventId: `evt_clm_a_${entry.seq}`,
        timestamp: new Date(T0 + 1_000),
        body: JSON.stringify(webhookEventOf(entry, entries)),
        timeoutMs: SETTINGS.timeoutMs,
      },
    ]);
    expect(JSON.parse(w.sender.calls[0]?.body ?? '')).toMatchObject({ type: 'claim.received', data: { claimId: 'clm_a', seq: 1 } });
    const item = w.outbox.item('clm_a', 'received');
    expect(item).toMatchObject({
      status: 'delivered',
      attempts: 1,
      eventId: 'evt_clm_a_1',
      payload: w.sender.calls[0]?.body,
      lastResult: 'HTTP 204',
      deliveredAt: new Date(T0 + 1_000).toISOString(),
    });
    expect(item.dueAt).toBeUndefined();
    expect(item.leaseHolder).toBeUndefined();
    expect(w.outbox.lanes.size).toBe(0);
  });

  it('sends a retry with the same id and byte-identical body: the payload is fixed on the first attempt', async () => {
    // arrange: the first attempt gets a 500
    const w = new World();
    await w.record('clm_a', receivedDraft());
    w.sender.script.push(status(500), OK);
    await w.run({ random: () => 0.5 });
    const afterFirst = structuredClone(w.outbox.item('clm_a', 'received'));

    // act: the retry, once due
    w.clock.ms = Date.parse(afterFirst.dueAt ?? '');
    const run = await w.run({ random: () => 0.5 });

    // assert
    const [first, second] = w.sender.calls;
    expect(w.sender.calls).toHaveLength(2);
    expect(second?.eventId).toBe(first?.eventId);
    expect(Buffer.from(second?.body ?? '').equals(Buffer.from(first?.body ?? 'x'))).toBe(true);
    expect(second?.body).toBe(afterFirst.payload);
    expect(w.ledger.reads).toBe(1); // the retry sent the stored payload, not one built again
    expect(run.delivered).toBe(1);
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'delivered', attempts: 2, lastResult: 'HTTP 200' });
  });

  it('sends events oldest due first, and takes at most maxInFlight × 5 of them per run', async () => {
    // arrange: one request at a time, seven claims received in order
    const w = new World();
    w.settings = { ...SETTINGS, maxInFlight: 1 };
    await w.received('clm_g', 'clm_f', 'clm_e', 'clm_d', 'clm_c', 'clm_b', 'clm_a');
    w.sender.otherwise = OK;

    // act
    const first = await w.run();
    const second = await w.run();

    // assert
    expect(w.sender.calls.map((c) => c.eventId)).toEqual([
      'evt_clm_g_1',
      'evt_clm_f_1',
      'evt_clm_e_1',
      'evt_clm_d_1',
      'evt_clm_c_1',
      'evt_clm_b_1',
      'evt_clm_a_1',
    ]);
    expect(first.delivered).toBe(5);
    expect(second.delivered).toBe(2);
  });
});

describe('deliverWebhooks: an attempt that fails', () => {
  it.each([
    { answer: status(500), lastResult: 'HTTP 500', takes: 0 },
    { answer: status(302), lastResult: 'HTTP 302', takes: 0 },
    { answer: TIMEOUT, lastResult: 'timeout after 10000 ms', takes: SETTINGS.timeoutMs },
    { answer: UNREACHABLE, lastResult: 'unreachable: ECONNREFUSED', takes: 0 },
  ])(
    '$lastResult: stays pending, due after a jittered wait from when the attempt ended, one attempt counted',
    async ({ answer, lastResult, takes }) => {
      // arrange
      const w = new World();
      await w.record('clm_a', receivedDraft());
      w.clock.advance(1_000);
      w.sender.script.push(answer);

      // act: the injected draw is a quarter of the first ceiling (10 s)
      const run = await w.run({ random: () => 0.25 });

      // assert
      const ended = T0 + 1_000 + takes;
      expect(run).toMatchObject({ ran: true, delivered: 0, retrying: 1, failed: 0 });
      expect(w.outbox.item('clm_a', 'received')).toMatchObject({
        status: 'pending',
        attempts: 1,
        dueAt: new Date(ended + 2_500).toISOString(),
        lastAttemptAt: new Date(ended).toISOString(),
        lastResult,
        eventId: 'evt_clm_a_1',
      });
    },
  );

  it('doubles the ceiling of the wait with each attempt, and is not sent again before it is due', async () => {
    // arrange
    const w = new World();
    await w.record('clm_a', receivedDraft());
    w.sender.otherwise = status(503);
    const dueTimes: number[] = [];
    const early: number[] = [];

    // act: three attempts, each retried exactly when due, with a look one millisecond early
    for (let i = 0; i < 3; i++) {
      const before = w.clock.ms;
      await w.run({ random: () => 0.5 });
      const due = Date.parse(w.outbox.item('clm_a', 'received').dueAt ?? '');
      dueTimes.push(due - before);
      w.clock.ms = due - 1;
      early.push((await w.run({ random: () => 0.5 })).retrying);
      w.clock.ms = due;
    }

    // assert
    expect(dueTimes).toEqual([5_000, 10_000, 20_000]);
    expect(early).toEqual([0, 0, 0]);
    expect(w.sender.calls).toHaveLength(3);
    expect(w.outbox.item('clm_a', 'received').attempts).toBe(3);
  });

  it.each([
    { nextAt: 'the end of the window', offset: -2_500, expected: 'pending' },
    { nextAt: 'past the window', offset: -2_499, expected: 'failed' },
  ])('a next attempt $nextAt leaves the event $expected', async ({ offset, expected }) => {
    // arrange: staged at T0; the attempt happens so late that a 2.5 s wait ends at `offset` from the window's end
    const w = new World();
    await w.record('clm_a', receivedDraft());
    w.clock.ms = T0 + SETTINGS.retryForMs + offset;
    w.sender.script.push(status(500));

    // act
    const run = await w.run({ random: () => 0.25 });

    // assert
    const item = w.outbox.item('clm_a', 'received');
    expect(item).toMatchObject({ status: expected, attempts: 1, lastResult: 'HTTP 500' });
    expect(run.failed).toBe(expected === 'failed' ? 1 : 0);
    if (expected === 'failed') expect(item.dueAt).toBeUndefined();
  });
});

describe('deliverWebhooks: 410 Gone', () => {
  it.each([
    ['a 500', status(500)],
    ['a timeout', TIMEOUT],
    ['no connection', UNREACHABLE],
  ])('after %s sends no more of the lane’s events in that run: they stay due, untouched, for the next', async (_what, answer) => {
    // arrange: one request at a time, three events due
    const w = new World();
    w.settings = { ...SETTINGS, maxInFlight: 1 };
    await w.received('clm_a', 'clm_b', 'clm_c');
    w.sender.script.push(answer);
    w.sender.otherwise = OK;

    // act
    const first = await w.run();

    // assert: one attempt, the others neither leased nor counted
    expect(w.sender.calls.map((c) => c.eventId)).toEqual(['evt_clm_a_1']);
    expect(first).toMatchObject({ ran: true, delivered: 0, retrying: 1, failed: 0, dropped: 0 });
    for (const claimId of ['clm_b', 'clm_c']) expect(w.outbox.item(claimId, 'received')).toMatchObject({ status: 'pending', attempts: 0 });

    // act: the next run sends them
    const second = await w.run();

    // assert
    expect(second).toMatchObject({ delivered: 2 });
  });

  it('disables the endpoint, tells operators, fails the event, and fails the rest of the lane without sending them', async () => {
    // arrange: one request at a time, three events due
    const w = new World();
    w.settings = { ...SETTINGS, maxInFlight: 1 };
    await w.received('clm_a', 'clm_b', 'clm_c');
    w.sender.script.push(status(410));
    const onDisabled = vi.fn();

    // act
    const run = await w.run({ onDisabled });

    // assert
    expect(run).toMatchObject({ ran: true, delivered: 0, retrying: 0, failed: 3, dropped: 0 });
    expect(w.sender.calls.map((c) => c.eventId)).toEqual(['evt_clm_a_1']);
    expect(w.disabled).toEqual([{ storefrontId: SF, url: ENDPOINT, at: w.clock.now(), reason: expect.stringContaining('410') }]);
    expect(onDisabled).toHaveBeenCalledTimes(1);
    expect(onDisabled).toHaveBeenCalledWith(SF, ENDPOINT, w.disabled[0]?.reason);
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'failed', attempts: 1, lastResult: 'HTTP 410' });
    for (const claimId of ['clm_b', 'clm_c']) {
      const item = w.outbox.item(claimId, 'received');
      expect(item).toMatchObject({ status: 'failed', attempts: 0, eventId: `evt_${claimId}_1` });
      expect(item.lastResult).toBe(`endpoint disabled: ${w.disabled[0]?.reason}`);
      expect(item.payload).toBeDefined();
    }
  });

  it('sends nothing to an endpoint disabled before the run: its events fail with the reason, for redelivery', async () => {
    // arrange
    const w = new World();
    const reason = `${ENDPOINT} answered 410 Gone at 2026-11-09T00:00:00.000Z`;
    w.storefronts.set(SF, {
      id: SF,
      name: 'Demo Shop',
      webhook: { url: ENDPOINT, disabledAt: '2026-11-09T00:00:00.000Z', disabledReason: reason },
    });
    await w.record('clm_a', receivedDraft());

    // act
    const run = await w.run();

    // assert
    expect(w.sender.calls).toEqual([]);
    expect(run.failed).toBe(1);
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({
      status: 'failed',
      attempts: 0,
      lastResult: `endpoint disabled: ${reason}`,
      lastAttemptAt: w.clock.now().toISOString(),
    });
  });
});

describe('deliverWebhooks: nothing to send to', () => {
  it.each([
    {
      case: 'a storefront without settings',
      arrange: (w: World) => {
        w.storefronts.clear();
      },
    },
    {
      case: 'no webhook endpoint',
      arrange: (w: World) => {
        w.storefronts.set(SF, { id: SF, name: 'Demo Shop' });
      },
    },
  ])('$case: the event is skipped and nothing is sent', async ({ arrange }) => {
    // arrange
    const w = new World();
    arrange(w);
    await w.record('clm_a', receivedDraft());

    // act
    const run = await w.run();

    // assert
    expect(w.sender.calls).toEqual([]);
    expect(run).toMatchObject({ ran: true, delivered: 0, retrying: 0, failed: 0, dropped: 1 });
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'skipped', attempts: 0, lastResult: 'no webhook endpoint is set' });
    // Nothing more was read for it: no body was built.
    expect(w.outbox.item('clm_a', 'received').eventId).toBeUndefined();
    expect(w.outbox.item('clm_a', 'received').dueAt).toBeUndefined();
  });

  it('during a rotation signs each delivery with every webhook secret in force, newest first', async () => {
    // arrange: a new secret next to the old one
    const w = new World();
    const NEW_SECRET = 'whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0';
    w.webhookSecrets.set(SF, [NEW_SECRET, SECRET]);
    await w.record('clm_a', receivedDraft());
    w.sender.otherwise = OK;

    // act
    const run = await w.run();

    // assert
    expect(run).toMatchObject({ delivered: 1 });
    expect(w.sender.calls.map((c) => c.secrets)).toEqual([[NEW_SECRET, SECRET]]);
  });

  it('waits for a signing secret that is not set yet (it is set apart from the endpoint), then sends', async () => {
    // arrange
    const w = new World();
    const secrets = new Map(w.webhookSecrets);
    w.webhookSecrets.clear();
    await w.record('clm_a', receivedDraft());

    // act
    const first = await w.run();

    // assert: kept pending, not counted as an attempt, nothing sent
    expect(w.sender.calls).toEqual([]);
    expect(first).toMatchObject({ ran: true, delivered: 0, dropped: 0, waiting: 1 });
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(w.outbox.item('clm_a', 'received').lastResult).toMatch(/no webhook signing secret in force for demo/);

    // act: the operator adds the secret; the event falls due again
    for (const [k, v] of secrets) w.webhookSecrets.set(k, v);
    w.clock.advance(10_000);
    w.sender.otherwise = OK;
    const second = await w.run();

    // assert
    expect(second).toMatchObject({ delivered: 1 });
  });
});

describe('deliverWebhooks: an entry not recorded yet', () => {
  it('is looked at again in two seconds, without an attempt counted or anything sent; once recorded it is sent', async () => {
    // arrange: staged, but the step crashed before its append
    const w = new World();
    await w.outbox.stage({ storefrontId: SF, claimId: 'clm_a', step: 'received', type: 'claim.received', at: w.clock.now() });
    w.clock.advance(1_000);

    // act
    const missing = await w.run();
    const looked = structuredClone(w.outbox.item('clm_a', 'received'));
    await w.ledger.append(claimRef('clm_a'), receivedDraft()); // the retried step appends it
    w.clock.advance(2_000);
    w.sender.script.push(OK);
    const found = await w.run();

    // assert
    expect(missing).toMatchObject({ ran: true, delivered: 0, retrying: 0, failed: 0, dropped: 0, waiting: 1 });
    expect(looked).toMatchObject({
      status: 'pending',
      attempts: 0,
      dueAt: new Date(T0 + 3_000).toISOString(),
      lastResult: 'its ledger entry is not recorded',
    });
    expect(looked.eventId).toBeUndefined();
    expect(looked.payload).toBeUndefined();
    expect(w.sender.calls.map((c) => c.eventId)).toEqual(['evt_clm_a_1']);
    expect(found.delivered).toBe(1);
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('is voided, never sent, when it has not appeared by the end of the retry window', async () => {
    // arrange
    const w = new World();
    await w.outbox.stage({ storefrontId: SF, claimId: 'clm_a', step: 'received', type: 'claim.received', at: w.clock.now() });
    w.clock.ms = T0 + SETTINGS.retryForMs + 1;

    // act
    const run = await w.run();

    // assert
    expect(w.sender.calls).toEqual([]);
    expect(run).toMatchObject({ ran: true, dropped: 1, retrying: 0 });
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'voided', attempts: 0 });
    expect(w.outbox.item('clm_a', 'received').dueAt).toBeUndefined();
  });

  it('is voided without a send when the recorded entry reports nothing (the step produces no event)', async () => {
    // arrange: an event staged for a step whose entry says nothing to the shop
    const w = new World();
    const escalated: EntryDraft = {
      type: 'escalated',
      step: 'approval#1',
      status: 'awaiting_approval',
      actor: { kind: 'system' },
      policyVersion: 1,
      data: { round: 1, from: 'agent', to: 'supervisor' },
    };
    await w.ledger.append(claimRef('clm_a'), receivedDraft());
    await w.ledger.append(claimRef('clm_a'), escalated);
    await w.outbox.stage({ storefrontId: SF, claimId: 'clm_a', step: 'approval#1', type: 'claim.awaiting_approval', at: w.clock.now() });

    // act
    const run = await w.run();

    // assert
    expect(w.sender.calls).toEqual([]);
    expect(run.dropped).toBe(1);
    expect(w.outbox.item('clm_a', 'approval#1')).toMatchObject({ status: 'voided', lastResult: 'the recorded entry reports nothing' });
  });
});

describe('deliverWebhooks: the lane and the leases', () => {
  it('leaves a lane another dispatcher holds alone: ran false, nothing sent or written', async () => {
    // arrange
    const w = new World();
    await w.record('clm_a', receivedDraft());
    w.outbox.lanes.set(SF, { holder: 'other-dispatcher', until: w.clock.ms + 30_000 });
    const before = structuredClone(w.outbox.item('clm_a', 'received'));

    // act
    const run = await w.run();

    // assert
    expect(run).toEqual({ storefrontId: SF, ran: false, delivered: 0, retrying: 0, failed: 0, dropped: 0, waiting: 0 });
    expect(w.sender.calls).toEqual([]);
    expect(w.outbox.item('clm_a', 'received')).toEqual(before);
    expect(w.outbox.lanes.get(SF)?.holder).toBe('other-dispatcher');
  });

  it('takes over a lane whose holder’s time ran out, and releases it after the run', async () => {
    // arrange
    const w = new World();
    await w.record('clm_a', receivedDraft());
    w.outbox.lanes.set(SF, { holder: 'crashed-dispatcher', until: w.clock.ms - 1 });
    w.sender.script.push(OK);

    // act
    const run = await w.run();

    // assert
    expect(run).toMatchObject({ ran: true, delivered: 1 });
    expect(w.outbox.lanes.has(SF)).toBe(false);
  });

  it('with nothing due, reads once and takes no lane (no write at all)', async () => {
    // arrange: one event not due yet, and another storefront's event due now
    const w = new World();
    w.clock.advance(60_000);
    await w.record('clm_later', receivedDraft());
    w.clock.ms = T0;
    await w.record('clm_elsewhere', receivedDraft(), 'other-shop');

    // act
    const run = await w.run();

    // assert
    expect(run).toEqual({ storefrontId: SF, ran: true, delivered: 0, retrying: 0, failed: 0, dropped: 0, waiting: 0 });
    expect(w.outbox.laneWrites).toBe(0);
    expect(w.sender.calls).toEqual([]);
    expect(w.ledger.reads).toBe(0);
  });

  it('keeps at most maxInFlight requests in flight, and keeps that many busy', async () => {
    // arrange: eight events, three requests at a time, every request held until let go
    const w = new World();
    w.settings = { ...SETTINGS, maxInFlight: 3 };
    await w.received('clm_1', 'clm_2', 'clm_3', 'clm_4', 'clm_5', 'clm_6', 'clm_7', 'clm_8');
    w.sender.hold = true;
    w.sender.otherwise = OK;
    const inFlight: number[] = [];

    // act: let the requests go one at a time, looking at what is in flight in between
    const running = w.run();
    for (;;) {
      await flush();
      inFlight.push(w.sender.inFlight);
      const next = w.sender.waiting.shift();
      if (!next) break;
      next();
    }
    const run = await running;

    // assert
    expect(run.delivered).toBe(8);
    expect(w.sender.peak).toBe(3);
    expect(inFlight).toEqual([3, 3, 3, 3, 3, 3, 2, 1, 0]);
  });

  it('does not send an event whose lease another dispatcher holds; the lane’s other events go', async () => {
    // arrange
    const w = new World();
    await w.received('clm_a', 'clm_b');
    Object.assign(w.outbox.item('clm_a', 'received'), { leaseHolder: 'other-dispatcher', leaseUntil: w.clock.ms + 15_000 });
    w.sender.otherwise = OK;

    // act
    const run = await w.run();

    // assert
    expect(w.sender.calls.map((c) => c.eventId)).toEqual(['evt_clm_b_1']);
    expect(run).toMatchObject({ delivered: 1, retrying: 0, failed: 0, dropped: 0 });
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'pending', attempts: 0, leaseHolder: 'other-dispatcher' });
  });

  it('does not send an event another dispatcher delivered between the due read and the lease', async () => {
    // arrange: the other dispatcher's write lands just before our lease
    const w = new World();
    await w.record('clm_a', receivedDraft());
    w.outbox.beforeLease = (e) => {
      Object.assign(w.outbox.item(e.claimId, e.step), { status: 'delivered', attempts: 1 });
    };

    // act
    const run = await w.run();

    // assert
    expect(w.sender.calls).toEqual([]);
    expect(run).toMatchObject({ ran: true, delivered: 0, retrying: 0, failed: 0, dropped: 0 });
    expect(w.outbox.item('clm_a', 'received')).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('releases the lane when the run fails (the ledger cannot be read)', async () => {
    // arrange
    const w = new World();
    await w.record('clm_a', receivedDraft());
    w.ledger.failure = new Error('ledger unavailable');

    // act
    const run = w.run();

    // assert
    await expect(run).rejects.toThrow('ledger unavailable');
    expect(w.outbox.lanes.has(SF)).toBe(false);
    expect(w.sender.calls).toEqual([]);
  });
});

describe('retryDelayMs', () => {
  /** The largest double below 1: the top of Math.random's range. */
  const ALMOST_ONE = 1 - Number.EPSILON / 2;
  const settingsArb = fc.record({ firstRetryMs: fc.integer({ min: 1, max: 600_000 }), maxRetryMs: fc.integer({ min: 1, max: 7 * DAY }) });

  it('is a whole number of milliseconds with 0 ≤ delay < min(max, first·2^(n−1)) for any draw', () => {
    // act / assert
    fc.assert(
      fc.property(
        settingsArb,
        fc.integer({ min: 1, max: 80 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (s, attempts, draw) => {
          const delay = retryDelayMs(s, attempts, () => draw);
          const ceiling = Math.min(s.maxRetryMs, s.firstRetryMs * 2 ** (attempts - 1));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it('reaches the ceiling’s last millisecond as the draw approaches 1, and 0 at a draw of 0', () => {
    // act / assert
    fc.assert(
      fc.property(settingsArb, fc.integer({ min: 1, max: 80 }), (s, attempts) => {
        const ceiling = Math.min(s.maxRetryMs, s.firstRetryMs * 2 ** (attempts - 1));
        expect(retryDelayMs(s, attempts, () => ALMOST_ONE)).toBe(ceiling - 1);
        expect(retryDelayMs(s, attempts, () => 0)).toBe(0);
      }),
    );
  });

  it('doubles its ceiling with each attempt until the cap, then stays there', () => {
    // arrange
    const s = { firstRetryMs: 1_000, maxRetryMs: 30_000 };
    const top = (attempts: number) => retryDelayMs(s, attempts, () => ALMOST_ONE) + 1;

    // act
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8].map(top);

    // assert
    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    fc.assert(
      fc.property(settingsArb, fc.integer({ min: 1, max: 60 }), (settings, n) => {
        const at = (k: number) => retryDelayMs(settings, k, () => ALMOST_ONE) + 1;
        expect(at(n + 1)).toBe(Math.min(settings.maxRetryMs, 2 * at(n)));
      }),
    );
  });

  it('uses the first ceiling for the first attempt (and for none)', () => {
    // act / assert
    expect(retryDelayMs(SETTINGS, 1, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(SETTINGS, 0, () => 0.5)).toBe(5_000);
  });
});
