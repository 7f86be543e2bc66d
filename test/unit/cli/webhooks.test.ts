import { describe, expect, it } from 'vitest';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import { assertWebhookUrl, type WebhookEventType } from '#domain/webhook-events.ts';
import type { OutboxEvent, OutboxStatus, Storefront } from '#ports';
import { parseWebhooksArgs, USAGE, type WebhooksIo, webhooksCommand } from '../../../cli/webhooks.ts';
import type { WebhooksDeps } from '../../../cli/webhooks-ops.ts';
import { samples } from '../usecases/ledger-fixture.ts';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const CLAIM = 'clm_a1';

/** An outbox event as the adapter returns it; a fixed id unless `eventId: undefined`. */
function event(over: Partial<OutboxEvent> & { step: string; status: OutboxStatus }): OutboxEvent {
  return {
    storefrontId: 'demo',
    claimId: CLAIM,
    type: 'claim.received' as WebhookEventType,
    stagedAt: '2026-11-20T09:00:00.000Z',
    windowStart: '2026-11-20T09:00:00.000Z',
    attempts: 0,
    ...over,
  };
}

/**
 * The outbox, storefront settings and ledger in memory, behind the ports the command uses. The
 * lists come in the index's order (pending by due time, failed by when they failed); every write
 * is recorded. With `failAgain`, a redelivered event is failed again at once, as a dispatcher
 * racing the command could.
 */
class Fakes {
  readonly events = new Map<string, OutboxEvent>();
  readonly storefronts = new Map<string, Storefront>();
  readonly entries = new Map<string, LedgerEntry[]>();
  readonly writes: string[] = [];
  failAgain = false;

  add(...events: OutboxEvent[]): this {
    for (const e of events) this.events.set(`${e.claimId}#${e.step}`, e);
    return this;
  }

  /** Appends real, chained entries of these types (step = type) to a claim of `demo`. */
  ledger(claimId: string, types: readonly (keyof typeof samples)[]): this {
    const ref: ClaimRef = { claimId, storefrontId: 'demo', orderId: 'ORD-1', customerId: 'C-1', currency: 'EUR' };
    const chain: LedgerEntry[] = [];
    for (const type of types) {
      const draft = { ...samples[type], step: type, status: 'assessing', actor: { kind: 'system' }, policyVersion: 3 } as EntryDraft;
      chain.push(chainEntry(ref, chain.at(-1), draft, NOW));
    }
    this.entries.set(claimId, chain);
    return this;
  }

  deps(): WebhooksDeps {
    const sortKey = (e: OutboxEvent) => (e.status === 'pending' ? (e.dueAt ?? '') : (e.lastAttemptAt ?? e.stagedAt));
    return {
      outbox: {
        list: async (storefrontId, status, limit) =>
          [...this.events.values()]
            .filter((e) => e.storefrontId === storefrontId && e.status === status)
            .sort((a, b) => sortKey(a).localeCompare(sortKey(b)))
            .slice(0, limit),
        claimEvents: async (claimId) =>
          [...this.events.values()].filter((e) => e.claimId === claimId).sort((a, b) => a.step.localeCompare(b.step)),
        redeliver: async (e, now) => {
          const key = `${e.claimId}#${e.step}`;
          const stored = this.events.get(key);
          if (!stored) throw new Error(`no event ${key}`);
          this.writes.push(`redeliver ${key}`);
          const at = now.toISOString();
          this.events.set(
            key,
            this.failAgain
              ? { ...stored, status: 'failed', lastAttemptAt: at }
              : { ...stored, status: 'pending', dueAt: at, windowStart: at },
          );
        },
      },
      state: {
        storefronts: async () => [...this.storefronts.keys()],
        storefront: async (id) => this.storefronts.get(id),
        putStorefront: async (s) => {
          // As the adapter does: the URL is checked where every storefront is written.
          if (s.webhook) assertWebhookUrl(s.webhook.url);
          this.writes.push(`putStorefront ${s.id}`);
          this.storefronts.set(s.id, s);
        },
      },
      ledger: { entries: async (claimId) => this.entries.get(claimId) ?? [] },
    };
  }
}

/** Runs `makegood webhooks …` in-process against the fakes (none: any attempt to connect fails). */
async function webhooks(
  fakes: Fakes | undefined,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string; connected: boolean }> {
  let out = '';
  let err = '';
  let connected = false;
  const io: WebhooksIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    connect: async () => {
      connected = true;
      if (!fakes) throw new Error('No embedded stack is running from /nowhere');
      return { deps: fakes.deps(), target: 'the test stack' };
    },
    now: () => NOW,
  };
  const code = await webhooksCommand(io).run(argv);
  return { code, out, err, connected };
}

/** `demo` with a working endpoint, `shop2` disabled by a 410, `quiet` without one. */
function threeStorefronts(): Fakes {
  const fakes = new Fakes();
  fakes.storefronts.set('demo', {
    id: 'demo',
    name: 'Demo Shop',
    mailFrom: 'care@demo.test',
    webhook: { url: 'https://hooks.demo.test/in' },
  });
  fakes.storefronts.set('shop2', {
    id: 'shop2',
    name: 'Shop 2',
    webhook: {
      url: 'https://shop2.test/hooks',
      disabledAt: '2026-11-22T08:00:00.000Z',
      disabledReason: 'https://shop2.test/hooks answered 410 Gone at 2026-11-22T08:00:00.000Z',
    },
  });
  fakes.storefronts.set('quiet', { id: 'quiet', name: 'Quiet' });
  return fakes;
}

const failedReceived = event({
  step: 'received',
  status: 'failed',
  eventId: `evt_${CLAIM}_1`,
  attempts: 41,
  lastAttemptAt: '2026-11-23T09:00:01.000Z',
  lastResult: 'HTTP 500',
});
const failedDecided = event({
  step: 'decided',
  type: 'claim.decided',
  status: 'failed',
  eventId: `evt_${CLAIM}_2`,
  attempts: 40,
  lastAttemptAt: '2026-11-23T09:00:02.000Z',
  lastResult: 'timeout after 10000 ms',
});
const pendingSettled = event({
  step: 'email#outcome',
  type: 'claim.settled',
  status: 'pending',
  stagedAt: '2026-11-20T09:00:05.000Z',
  dueAt: '2026-11-23T12:00:30.000Z',
});

describe('makegood webhooks: the command line', () => {
  it('reads list, redeliver and set-endpoint with their options and defaults', () => {
    // act
    const parsed = [
      parseWebhooksArgs(['list']),
      parseWebhooksArgs(['list', '--failed', '--storefront', 'shop2', '--limit', '5', '--format', 'json', '--data-dir', 'd']),
      parseWebhooksArgs(['list', '--claim', CLAIM]),
      parseWebhooksArgs(['redeliver', `evt_${CLAIM}_3`]),
      parseWebhooksArgs(['redeliver', '--failed', '--storefront', 'demo']),
      parseWebhooksArgs(['set-endpoint', 'demo', '--url', 'https://x.test/h']),
      parseWebhooksArgs(['list', '--help']),
      parseWebhooksArgs([]),
    ];
    // assert
    expect(parsed).toEqual([
      { kind: 'list', failedOnly: false, limit: 100, format: 'text' },
      { kind: 'list', storefrontId: 'shop2', failedOnly: true, limit: 5, format: 'json', dataDir: 'd' },
      { kind: 'list', claimId: CLAIM, failedOnly: false, limit: 100, format: 'text' },
      { kind: 'redeliver-event', eventId: `evt_${CLAIM}_3` },
      { kind: 'redeliver-failed', storefrontId: 'demo' },
      { kind: 'set-endpoint', storefrontId: 'demo', url: 'https://x.test/h' },
      { kind: 'help' },
      undefined,
    ]);
  });

  it('answers each usage mistake with exit 2, an error naming the argument, and no connection', async () => {
    // arrange
    const cases: [string[], string][] = [
      [['list', '--limit', '0'], '--limit must be a whole number from 1 to 1000, not "0"'],
      [['list', '--limit', '1001'], '--limit must be a whole number from 1 to 1000, not "1001"'],
      [['list', '--limit', 'all'], '--limit must be a whole number from 1 to 1000, not "all"'],
      [['list', '--format', 'csv'], '--format must be text or json, not "csv"'],
      [['list', '--storefront', 'a b'], '--storefront must be a storefront id'],
      [['list', '--claim', 'x#y'], '--claim must be a claim id (clm_…), not "x#y"'],
      [['list', '--claim', CLAIM, '--storefront', 'demo'], '--claim and --storefront: give one'],
      [['list', '--claim', CLAIM, '--limit', '3'], '--limit does not apply with --claim'],
      [['list', '--url', 'https://x.test'], 'webhooks list: --url does not apply'],
      [['list', 'demo'], 'webhooks list: unexpected argument "demo"'],
      [['list', '--colour'], "Unknown option '--colour'"],
      [['redeliver'], 'webhooks redeliver: give an event id (evt_<claimId>_<seq>) or --failed'],
      [['redeliver', `evt_${CLAIM}_1`, '--failed'], `give an event id or --failed, not both (evt_${CLAIM}_1)`],
      [['redeliver', `evt_${CLAIM}_1`, `evt_${CLAIM}_2`], 'one event id at a time, not 2'],
      [['redeliver', 'nope'], 'webhooks redeliver: "nope" is not an event id (evt_<claimId>_<seq>'],
      [['redeliver', `evt_${CLAIM}_1`, '--storefront', 'demo'], '--storefront goes with --failed'],
      [['redeliver', '--failed', '--format', 'json'], 'webhooks redeliver: --format does not apply'],
      [['set-endpoint', 'demo'], 'webhooks set-endpoint: --url is required'],
      [['set-endpoint', '--url', 'https://x.test'], 'webhooks set-endpoint: expected 1 argument (the storefront id), not 0'],
      [['set-endpoint', 'de mo', '--url', 'https://x.test'], '"de mo" is not a storefront id'],
      [['frobnicate'], 'webhooks: unknown subcommand frobnicate'],
    ];
    // act
    const results = await Promise.all(cases.map(([argv]) => webhooks(threeStorefronts(), ...argv)));
    // assert
    results.forEach((r, i) => {
      const [argv, message] = cases[i] as [string[], string];
      expect({ argv, code: r.code, connected: r.connected }).toEqual({ argv, code: 2, connected: false });
      expect(r.err).toContain(message);
      expect(r.err).toContain('makegood webhooks redeliver --failed [--storefront id]');
    });
  });

  it('prints the help with exit 0 for --help, and with exit 2 without a subcommand', async () => {
    // act
    const help = await webhooks(undefined, '--help');
    const bare = await webhooks(undefined);
    // assert
    expect(help.code).toBe(0);
    expect(bare.code).toBe(2);
    expect(bare.out).toBe(help.out);
    expect(help.out).toBe(USAGE);
    // What an operator must know before redelivering or setting an endpoint.
    expect(USAGE).toContain('the receiver dedupes by webhook-id');
    expect(USAGE).toMatch(/unset or DISABLED .*\n.*are not redelivered/);
    expect(USAGE).toContain('set the endpoint first with\n              set-endpoint');
    expect(USAGE).toContain('The signing secret (whsec_…) is not changed');
    expect(USAGE).toContain('every minute and on new ledger entries, in the embedded stack every 250 ms');
  });

  it('reports a stack it cannot reach with exit 1', async () => {
    // act
    const r = await webhooks(undefined, 'list');
    // assert
    expect(r.code).toBe(1);
    expect(r.err).toBe('No embedded stack is running from /nowhere\n');
  });
});

describe('makegood webhooks list', () => {
  it('shows every storefront: its endpoint, then failed and pending events with id, type, status, attempts, when and last result', async () => {
    // arrange
    const fakes = threeStorefronts().add(
      pendingSettled,
      failedDecided,
      failedReceived,
      event({ step: 'closed', storefrontId: 'shop2', claimId: 'clm_b2', eventId: 'evt_clm_b2_4', status: 'failed', attempts: 1 }),
      event({ step: 'approved', status: 'delivered', eventId: `evt_${CLAIM}_3` }),
    );
    // act
    const r = await webhooks(fakes, 'list');
    // assert
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'Pending and failed webhook events in the test stack (oldest first, at most 100 per storefront and status):',
        '',
        'demo: endpoint https://hooks.demo.test/in',
        '  EVENT                 TYPE            STATUS   ATTEMPTS  WHEN                             LAST RESULT',
        '  evt_clm_a1_1          claim.received  failed         41  failed 2026-11-23T09:00:01.000Z  HTTP 500',
        '  evt_clm_a1_2          claim.decided   failed         40  failed 2026-11-23T09:00:02.000Z  timeout after 10000 ms',
        '  clm_a1/email#outcome  claim.settled   pending         0  due 2026-11-23T12:00:30.000Z     —',
        '  2 failed, 1 pending; send the failed ones again with makegood webhooks redeliver --failed --storefront demo',
        '',
        'quiet: endpoint none',
        '  no pending or failed events',
        '',
        'shop2: endpoint https://shop2.test/hooks DISABLED since 2026-11-22T08:00:00.000Z (https://shop2.test/hooks answered 410 Gone at 2026-11-22T08:00:00.000Z)',
        '  nothing is sent to it until it is set again: makegood webhooks set-endpoint shop2 --url <url>, then makegood webhooks redeliver --failed --storefront shop2',
        '  EVENT         TYPE            STATUS  ATTEMPTS  WHEN                             LAST RESULT',
        '  evt_clm_b2_4  claim.received  failed         1  failed 2026-11-20T09:00:00.000Z  —',
        '  1 failed, 0 pending',
        '',
      ].join('\n'),
    );
    expect(fakes.writes).toEqual([]);
  });

  it('with --failed shows only failed events, and with --limit says when more exist', async () => {
    // arrange
    const fakes = threeStorefronts().add(pendingSettled, failedDecided, failedReceived);
    // act
    const r = await webhooks(fakes, 'list', '--failed', '--storefront', 'demo', '--limit', '1');
    // assert
    expect(r.code).toBe(0);
    expect(r.out).toContain('Failed webhook events in the test stack (oldest first, at most 1 per storefront and status):\n');
    expect(r.out).toContain('evt_clm_a1_1');
    expect(r.out).not.toContain('evt_clm_a1_2');
    expect(r.out).not.toContain('pending');
    expect(r.out).toContain('  … more failed events than the 1 shown (raise --limit, or look at one claim with --claim)\n');
    expect(r.out).toContain('  1+ failed; send the failed ones again');
    expect(r.out).not.toContain('quiet');
  });

  it('with --claim shows every event of the claim in the order of its entries, whatever its status', async () => {
    // arrange: the settled event's entry is not recorded yet
    const fakes = threeStorefronts()
      .ledger(CLAIM, ['received', 'decided', 'approved'])
      .add(
        pendingSettled,
        failedDecided,
        failedReceived,
        event({
          step: 'approved',
          type: 'claim.approved',
          status: 'delivered',
          eventId: `evt_${CLAIM}_3`,
          stagedAt: '2026-11-20T09:00:03.000Z',
          attempts: 1,
          lastResult: 'HTTP 204',
          deliveredAt: '2026-11-20T09:00:04.000Z',
        }),
        event({ step: 'received', claimId: 'clm_other', status: 'failed' }),
      );
    // act
    const all = await webhooks(fakes, 'list', '--claim', CLAIM);
    const failed = await webhooks(fakes, 'list', '--claim', CLAIM, '--failed');
    // assert
    expect(all.code).toBe(0);
    const rows = all.out.split('\n').filter((l) => /^ {2}(evt_|clm_)/.test(l));
    expect(rows.map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      ['evt_clm_a1_1', 'claim.received', 'failed'],
      ['evt_clm_a1_2', 'claim.decided', 'failed'],
      ['evt_clm_a1_3', 'claim.approved', 'delivered'],
      ['clm_a1/email#outcome', 'claim.settled', 'pending'],
    ]);
    expect(all.out).toContain('delivered 2026-11-20T09:00:04.000Z');
    expect(all.out).toMatch(/^Webhook events of claim clm_a1 in the test stack:\n\ndemo: endpoint https:\/\/hooks\.demo\.test\/in\n/);
    expect(all.out).toContain('  4 event(s): 2 failed, 1 delivered, 1 pending\n');
    expect(failed.out.split('\n').filter((l) => /^ {2}(evt_|clm_)/.test(l))).toHaveLength(2);
  });

  it('prints JSON with --format json: endpoints, events without their bodies, and whether more exist', async () => {
    // arrange
    const fakes = threeStorefronts().add({ ...failedReceived, payload: '{"type":"claim.received"}' }, pendingSettled);
    // act
    const r = await webhooks(fakes, 'list', '--format', 'json', '--storefront', 'demo');
    const claim = await webhooks(fakes, 'list', '--format', 'json', '--claim', CLAIM);
    // assert
    expect(r.code).toBe(0);
    expect(r.err).toBe('webhooks list: the test stack\n');
    expect(JSON.parse(r.out)).toEqual({
      storefronts: [
        {
          storefrontId: 'demo',
          endpoint: { url: 'https://hooks.demo.test/in' },
          failed: { events: [{ ...failedReceived }], more: false },
          pending: { events: [{ ...pendingSettled, eventId: null }], more: false },
        },
      ],
    });
    expect(JSON.parse(claim.out).claim).toMatchObject({
      claimId: CLAIM,
      storefrontId: 'demo',
      events: [{ step: 'received' }, { step: 'email#outcome' }],
    });
  });

  it('refuses a storefront or a claim that does not exist with exit 1; a claim without events has none to show', async () => {
    // arrange
    const fakes = threeStorefronts().ledger('clm_old', ['received']);
    // act
    const storefront = await webhooks(fakes, 'list', '--storefront', 'nobody');
    const claim = await webhooks(fakes, 'list', '--claim', 'clm_nobody');
    const old = await webhooks(fakes, 'list', '--claim', 'clm_old');
    // assert
    expect(storefront.code).toBe(1);
    expect(storefront.err).toBe('No storefront nobody\n');
    expect(claim.code).toBe(1);
    expect(claim.err).toBe('No claim clm_nobody\n');
    expect(old.code).toBe(0);
    expect(old.out).toContain('demo: endpoint https://hooks.demo.test/in\n  no events\n');
  });
});

describe('makegood webhooks redeliver', () => {
  it('makes a failed event pending again, due now, and says what it was', async () => {
    // arrange
    const fakes = threeStorefronts().add(failedReceived, failedDecided);
    // act
    const r = await webhooks(fakes, 'redeliver', `evt_${CLAIM}_1`);
    // assert
    expect(r.code).toBe(0);
    expect(fakes.writes).toEqual([`redeliver ${CLAIM}#received`]);
    expect(fakes.events.get(`${CLAIM}#received`)).toMatchObject({
      status: 'pending',
      dueAt: NOW.toISOString(),
      windowStart: NOW.toISOString(),
    });
    expect(fakes.events.get(`${CLAIM}#decided`)?.status).toBe('failed');
    expect(r.out).toBe(
      `Redelivered evt_${CLAIM}_1 (claim.received, storefront demo) in the test stack: it failed 2026-11-23T09:00:01.000Z after 41 attempt(s), last HTTP 500. ` +
        'It is pending, due now, with a fresh retry window; the dispatcher sends it on its next run (on AWS every minute and on new ledger entries, in the embedded stack every 250 ms).\n',
    );
  });

  it('redelivers a delivered event too, saying that the receiver dedupes it by webhook-id', async () => {
    // arrange
    const fakes = threeStorefronts().add(
      event({ step: 'approved', status: 'delivered', eventId: `evt_${CLAIM}_3`, deliveredAt: '2026-11-20T09:00:04.000Z' }),
    );
    // act
    const r = await webhooks(fakes, 'redeliver', `evt_${CLAIM}_3`);
    // assert
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'it was delivered at 2026-11-20T09:00:04.000Z; it is sent again under the same webhook-id (the receiver dedupes by it)',
    );
    expect(fakes.events.get(`${CLAIM}#approved`)?.status).toBe('pending');
  });

  it('finds an event whose id no attempt has fixed yet through the ledger entry its sequence names', async () => {
    // arrange: entry 2 is the `decided` step; its event has no id yet
    const fakes = threeStorefronts()
      .ledger(CLAIM, ['received', 'decided'])
      .add(event({ step: 'decided', type: 'claim.decided', status: 'pending', dueAt: '2026-11-23T13:00:00.000Z', attempts: 3 }));
    // act
    const r = await webhooks(fakes, 'redeliver', `evt_${CLAIM}_2`);
    // assert
    expect(r.code).toBe(0);
    expect(fakes.writes).toEqual([`redeliver ${CLAIM}#decided`]);
    expect(r.out).toContain(
      `Redelivered ${CLAIM}/decided (claim.decided, storefront demo) in the test stack: it was pending (due 2026-11-23T13:00:00.000Z, 3 attempt(s))`,
    );
  });

  it('refuses an unknown event with exit 1, naming it and why, and writes nothing', async () => {
    // arrange: the claim has entries 1 and 2; entry 2 (an email sent) produces no event
    const fakes = threeStorefronts().ledger(CLAIM, ['received', 'email_sent']).add(failedReceived);
    // act
    const results = await Promise.all([
      webhooks(fakes, 'redeliver', 'evt_nope_1'),
      webhooks(fakes, 'redeliver', `evt_${CLAIM}_9`),
      webhooks(fakes, 'redeliver', `evt_${CLAIM}_2`),
    ]);
    // assert
    expect(results.map((r) => [r.code, r.err])).toEqual([
      [1, 'No webhook event evt_nope_1: there is no claim nope\n'],
      [1, `No webhook event evt_${CLAIM}_9: claim ${CLAIM} has no entry 9 (its entries are 1 to 2)\n`],
      [1, `No webhook event evt_${CLAIM}_2: entry 2 of claim ${CLAIM} (email_sent) produces none\n`],
    ]);
    expect(results.every((r) => r.out === '')).toBe(true);
    expect(fakes.writes).toEqual([]);
  });

  it('refuses, writing nothing, while the endpoint is disabled or unset, and says to set it first', async () => {
    // arrange
    const fakes = threeStorefronts().add(
      event({ step: 'received', storefrontId: 'shop2', claimId: 'clm_b2', eventId: 'evt_clm_b2_1', status: 'failed' }),
      event({ step: 'received', storefrontId: 'quiet', claimId: 'clm_c3', eventId: 'evt_clm_c3_1', status: 'skipped' }),
    );
    // act
    const disabled = await webhooks(fakes, 'redeliver', 'evt_clm_b2_1');
    const unset = await webhooks(fakes, 'redeliver', 'evt_clm_c3_1');
    // assert
    expect(disabled.code).toBe(1);
    expect(disabled.err).toBe(
      'the webhook endpoint of shop2 is https://shop2.test/hooks DISABLED since 2026-11-22T08:00:00.000Z (https://shop2.test/hooks answered 410 Gone at 2026-11-22T08:00:00.000Z): ' +
        'evt_clm_b2_1 was not redelivered. Set the endpoint first: makegood webhooks set-endpoint shop2 --url <url>\n',
    );
    expect(unset.code).toBe(1);
    expect(unset.err).toContain('storefront quiet has no webhook endpoint: evt_clm_c3_1 was not redelivered.');
    expect(fakes.writes).toEqual([]);
  });

  it('with --failed redelivers every failed event it can, counts them, names what it left and exits 1 for it', async () => {
    // arrange
    const fakes = threeStorefronts().add(
      failedReceived,
      failedDecided,
      pendingSettled,
      event({ step: 'received', storefrontId: 'shop2', claimId: 'clm_b2', eventId: 'evt_clm_b2_1', status: 'failed' }),
    );
    // act
    const r = await webhooks(fakes, 'redeliver', '--failed');
    // assert
    expect(r.code).toBe(1);
    expect(fakes.writes).toEqual([`redeliver ${CLAIM}#received`, `redeliver ${CLAIM}#decided`]);
    expect(r.out).toBe(
      [
        'Redelivering failed webhook events in the test stack:',
        '  demo: 2 redelivered',
        `    evt_${CLAIM}_1  claim.received`,
        `    evt_${CLAIM}_2  claim.decided`,
        '  shop2: 1 failed event(s) left as they are: the webhook endpoint of shop2 is https://shop2.test/hooks DISABLED since 2026-11-22T08:00:00.000Z ' +
          '(https://shop2.test/hooks answered 410 Gone at 2026-11-22T08:00:00.000Z). Set the endpoint first: makegood webhooks set-endpoint shop2 --url <url>, then run this again',
        'Redelivered 2 failed event(s): each is pending, due now, with a fresh retry window; the dispatcher sends them on its next run ' +
          '(on AWS every minute and on new ledger entries, in the embedded stack every 250 ms)',
        '',
      ].join('\n'),
    );
  });

  it('with --failed --storefront redelivers only that storefront, each event once even when it fails again meanwhile', async () => {
    // arrange: 150 failed events (more than one batch), and a dispatcher that fails each again at once
    const fakes = threeStorefronts();
    for (let i = 0; i < 150; i++) {
      fakes.add(
        event({
          step: `s${String(i).padStart(3, '0')}`,
          status: 'failed',
          eventId: `evt_${CLAIM}_${i + 1}`,
          lastAttemptAt: `2026-11-23T09:${String(i % 60).padStart(2, '0')}:00.000Z`,
        }),
      );
    }
    fakes.add(event({ step: 'received', storefrontId: 'shop2', claimId: 'clm_b2', status: 'failed' }));
    fakes.failAgain = true;
    // act
    const r = await webhooks(fakes, 'redeliver', '--failed', '--storefront', 'demo');
    // assert
    expect(r.code).toBe(0);
    expect(fakes.writes).toHaveLength(150);
    expect(new Set(fakes.writes).size).toBe(150);
    expect(r.out).toContain('  demo: 150 redelivered\n');
    expect(r.out).toContain('    … and 130 more\n');
    expect(r.out).toContain('Redelivered 150 failed event(s)');
    expect(r.out).not.toContain('shop2');
  });

  it('with --failed and nothing failed says so, exit 0; an unknown storefront is refused with exit 1', async () => {
    // act
    const none = await webhooks(threeStorefronts().add(pendingSettled), 'redeliver', '--failed');
    const unknown = await webhooks(threeStorefronts(), 'redeliver', '--failed', '--storefront', 'nobody');
    // assert
    expect(none.code).toBe(0);
    expect(none.out).toBe('Redelivering failed webhook events in the test stack:\n  no failed events\nRedelivered 0 failed event(s)\n');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('No storefront nobody\n');
  });
});

describe('makegood webhooks set-endpoint', () => {
  it('sets the URL, keeping the other settings and clearing the disabled mark, and leaves the secret alone', async () => {
    // arrange
    const fakes = threeStorefronts();
    // act
    const r = await webhooks(fakes, 'set-endpoint', 'shop2', '--url', 'https://shop2.test/hooks/v2');
    // assert
    expect(r.code).toBe(0);
    expect(fakes.storefronts.get('shop2')).toEqual({ id: 'shop2', name: 'Shop 2', webhook: { url: 'https://shop2.test/hooks/v2' } });
    expect(r.out).toContain(
      'Set the webhook endpoint of shop2 to https://shop2.test/hooks/v2 in the test stack (was: https://shop2.test/hooks DISABLED since 2026-11-22T08:00:00.000Z',
    );
    expect(r.out).toContain('Its webhook signing secret was not changed (makegood storefront set-webhook makes one when there is none)');
    expect(r.out).toContain('makegood webhooks redeliver --failed --storefront shop2\n');
  });

  it('refuses a URL the storefront settings do not allow, showing the problem by path, and an unknown storefront, exit 1', async () => {
    // arrange
    const fakes = threeStorefronts();
    // act
    const plain = await webhooks(fakes, 'set-endpoint', 'demo', '--url', 'http://hooks.demo.test/in');
    const unknown = await webhooks(fakes, 'set-endpoint', 'nobody', '--url', 'https://x.test/h');
    // assert
    expect(plain.code).toBe(1);
    expect(plain.err).toBe(
      'The webhook URL is not one makegood can send to: http://hooks.demo.test/in; nothing was changed\n' +
        '  webhook.url: must be an absolute https:// URL without credentials (http:// only to 127.0.0.1 or localhost)\n',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('No storefront nobody\n');
    expect(fakes.writes).toEqual([]);
    expect(fakes.storefronts.get('demo')?.webhook).toEqual({ url: 'https://hooks.demo.test/in' });
  });
});
