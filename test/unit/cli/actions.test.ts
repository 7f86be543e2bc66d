import { describe, expect, it } from 'vitest';
import { type Action, actionsOf } from '#domain/actions.ts';
import type { ActionReceipt } from '#domain/api/action.ts';
import { singleKeyRing } from '#domain/key-ring.ts';
import { type ClaimRef, type ClaimStatus, chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import { money } from '#domain/money.ts';
import type { LedgerStore, Mailer, OutgoingEmail, Secrets, StateStore, Storefront } from '#ports';
import { type ActionsDeps, type ActionsIo, actionsCommand, parseActionsArgs, USAGE } from '../../../cli/actions.ts';
import { samples } from '../usecases/ledger-fixture.ts';

/**
 * `makegood actions` in-process: its command line (usage errors before any connection), its exit
 * codes, and what it prints and writes, against the real use cases over in-memory ports.
 */

const NOW = new Date('2026-11-23T12:00:00.000Z');
const CLAIM = 'clm_u1';
const REFUND = `act_${CLAIM}_3`;

/**
 * The ledger, the action index and a mailbox in memory, behind the ports the use cases use. The
 * ledger chains real entries and, like the adapter, appends a step once. Every write is recorded.
 */
class World {
  readonly entries = new Map<string, LedgerEntry[]>();
  readonly storefronts = new Map<string, Storefront>([['demo', { id: 'demo', name: 'Demo Shop' }]]);
  /** The storefront's requested actions as the index holds them, oldest first. */
  queue: Action[] = [];
  readonly mails: OutgoingEmail[] = [];
  readonly writes: string[] = [];
  /** The `limit` of each page of the queue asked for. */
  readonly pages: number[] = [];

  /**
   * A claim of `storefrontId` for a crushed box: received, decided, the refund of 27.50 asked,
   * and, once `settled`, the customer told (the outcome email). `assessing` stops before the email.
   */
  claim(claimId: string, status: 'settled' | 'assessing' = 'settled', storefrontId = 'demo'): this {
    const ref: ClaimRef = { claimId, storefrontId, orderId: 'ORD-9', customerId: 'C-9', currency: 'EUR' };
    const steps: [keyof typeof samples, ClaimStatus][] = [
      ['received', 'received'],
      ['decided', 'assessing'],
      ['refund_settled', 'assessing'],
      ...(status === 'settled' ? [['email_sent', 'settled'] as [keyof typeof samples, ClaimStatus]] : []),
    ];
    const chain: LedgerEntry[] = [];
    for (const [type, at] of steps) {
      const draft = { ...samples[type], step: type, status: at, actor: { kind: 'system' }, policyVersion: 3 } as EntryDraft;
      chain.push(chainEntry(ref, chain.at(-1), draft, NOW));
    }
    this.entries.set(claimId, chain);
    return this;
  }

  /** Entries appended since the world was arranged. */
  appended(claimId = CLAIM): LedgerEntry[] {
    return (this.entries.get(claimId) ?? []).filter((e) => e.seq > 4);
  }

  deps(): ActionsDeps {
    const ledger = {
      entries: async (claimId: string) => structuredClone(this.entries.get(claimId) ?? []),
      append: async (ref: ClaimRef, draft: EntryDraft) => {
        const chain = this.entries.get(ref.claimId) ?? [];
        const recorded = chain.find((e) => e.step === draft.step);
        if (recorded) return structuredClone(recorded);
        const entry = chainEntry(ref, chain.at(-1), draft, NOW);
        this.entries.set(ref.claimId, [...chain, entry]);
        this.writes.push(`append ${entry.type}`);
        return structuredClone(entry);
      },
    } as unknown as LedgerStore;
    const state = {
      storefronts: async () => [...this.storefronts.keys()],
      storefront: async (id: string) => this.storefronts.get(id),
      // No policy version: a failed refund is not recovered (`onPayoutFailure` unknown).
      policyVersion: async () => undefined,
      leaseStep: async () => true,
      putAction: async (a: Action) => {
        this.writes.push(`putAction ${a.actionId} ${a.status}`);
      },
      requestedActions: async (storefrontId: string, args: { cursor?: string; limit: number }) => {
        this.pages.push(args.limit);
        const all = this.queue.filter((a) => a.storefrontId === storefrontId);
        const start = Number(args.cursor ?? 0);
        const end = start + args.limit;
        return { actions: all.slice(start, end), next: end < all.length ? String(end) : null };
      },
    } as unknown as StateStore;
    const mailer: Mailer = {
      send: async (m) => {
        this.mails.push(m);
        return { messageId: `m${this.mails.length}` };
      },
      sentBefore: async () => undefined,
      ping: async () => {},
    };
    const secrets = { approvalKeys: async () => singleKeyRing(Buffer.alloc(32, 7)) } as unknown as Secrets;
    return {
      ledger,
      state,
      mailer,
      mailFrom: 'makegood@demo.test',
      clock: { now: () => NOW },
      secrets,
      publicUrl: 'https://makegood.test',
    };
  }
}

/** Runs `makegood actions …` against the world (none: any attempt to connect fails), as `anna`. */
async function actions(world: World | undefined, ...argv: string[]) {
  let out = '';
  let err = '';
  let connected = false;
  const io: ActionsIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    connect: async () => {
      connected = true;
      if (!world) throw new Error('No embedded stack is running from /nowhere');
      return { deps: world.deps(), target: 'the test stack' };
    },
    user: () => 'anna',
  };
  const code = await actionsCommand(io).run(argv);
  return { code, out, err, connected };
}

const paid = ['--provider', 'bank', '--reference', 'STMT-42'];

/** A requested refund of `demo` in the index. */
function queued(n: number): Action {
  const claimId = `clm_q${n}`;
  return actionsOf(new World().claim(claimId).entries.get(claimId) ?? [])[0] as Action;
}

describe('makegood actions: the command line', () => {
  it.each([
    [['pay'], 'actions: unknown subcommand pay'],
    [['succeed', 'nope', ...paid], 'actions succeed: "nope" is not an action id (act_<claimId>_<seq>, as makegood actions list shows it)'],
    [['succeed', 'act_clm_x', ...paid], '"act_clm_x" is not an action id'],
    [['succeed', ...paid], 'actions succeed: expected 1 argument (the action id), not 0'],
    [['succeed', REFUND, '--provider', 'bank'], 'actions succeed: --reference is required'],
    [['succeed', REFUND, '--reference', 'STMT-42'], 'actions succeed: --provider is required'],
    [['succeed', REFUND, ...paid, '--reason', 'x'], 'actions succeed: --reason is for fail (a success has no failure reason)'],
    [
      ['succeed', REFUND, ...paid, '--amount', '27,50.0'],
      '--amount must be an amount in major units as on the statement (27.50), not "27,50.0"',
    ],
    [['succeed', REFUND, ...paid, '--amount=-5'], '--amount must be an amount'],
    [['succeed', REFUND, ...paid, '--amount', '€27.50'], '--amount must be an amount'],
    [['succeed', REFUND, '--provider', 'bank', '--reference', '  '], '  --reference: Too small'],
    [['succeed', REFUND, ...paid, '--by', ' '], '--by must name the person'],
    [['succeed', REFUND, ...paid, '--limit', '5'], 'actions succeed: --limit does not apply'],
    [['fail', REFUND, ...paid], 'actions fail: --reason is required'],
    [['fail', REFUND, ...paid, '--reason', 'closed', '--amount', '1'], 'actions fail: --amount is for succeed'],
    [['fail', REFUND, ...paid, '--reason', 'closed', '--credit-code', 'C'], 'actions fail: --credit-code is for succeed'],
    [['cash'], 'actions cash: expected 1 argument (the store-credit action id), not 0'],
    [['cash', REFUND, ...paid], 'actions cash: --provider does not apply'],
    [['list', '--limit', '0'], '--limit must be a whole number from 1 to 1000, not "0"'],
    [['list', '--limit', '1001'], '--limit must be a whole number from 1 to 1000'],
    [['list', '--claim', CLAIM, '--limit', '5'], '--limit does not apply with --claim'],
    [['list', '--claim', CLAIM, '--storefront', 'demo'], '--claim and --storefront: give one'],
    [['list', '--format', 'xml'], '--format must be text or json, not "xml"'],
    [['list', 'demo'], 'actions list: unexpected argument "demo"'],
    [['list', '--frobnicate'], "Unknown option '--frobnicate'"],
  ])('refuses %j with exit 2 and the usage, before connecting', async (argv, message) => {
    // act
    const r = await actions(new World(), ...argv);

    // assert
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain(USAGE);
    expect(r.connected).toBe(false);
  });

  it('prints the usage with exit 2 without a subcommand, and with exit 0 for --help', async () => {
    // act
    const none = await actions(undefined);
    const help = await actions(undefined, 'succeed', '--help');

    // assert
    expect(none).toMatchObject({ code: 2, out: USAGE, connected: false });
    expect(help).toMatchObject({ code: 0, out: USAGE, connected: false });
    expect(USAGE).toContain('exit codes: 0 done, 1 refused');
  });

  it('names the operator by --by, else the login name, else "operator"', () => {
    // act
    const given = parseActionsArgs(['cash', REFUND, '--by', ' Bob Finance '], 'anna');
    const login = parseActionsArgs(['cash', REFUND], 'anna');
    const nobody = parseActionsArgs(['cash', REFUND], undefined);

    // assert
    expect(given).toMatchObject({ kind: 'cash', by: 'Bob Finance', claimId: CLAIM, actionId: REFUND });
    expect(login).toMatchObject({ by: 'anna' });
    expect(nobody).toMatchObject({ by: 'operator' });
  });

  it('builds the report the API would take, the amount left for the action’s currency', () => {
    // act
    const request = parseActionsArgs(['succeed', REFUND, ...paid, '--amount', ' 20.00 ', '--credit-code', ' GIFT-1 '], 'anna');

    // assert
    expect(request).toEqual({
      kind: 'report',
      actionId: REFUND,
      claimId: CLAIM,
      by: 'anna',
      format: 'text',
      report: { status: 'succeeded', provider: 'bank', reference: 'STMT-42', creditCode: 'GIFT-1' },
      amount: '20.00',
    });
  });

  it('refuses with exit 1 when there is no stack to talk to', async () => {
    // act
    const r = await actions(undefined, 'list');

    // assert
    expect(r).toMatchObject({ code: 1, err: 'No embedded stack is running from /nowhere\n', connected: true });
  });
});

describe('makegood actions succeed|fail', () => {
  it('records the refund paid as the operator, for its own amount, and says what it recorded', async () => {
    // arrange
    const world = new World().claim(CLAIM);

    // act
    const r = await actions(world, 'succeed', REFUND, ...paid);

    // assert
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(
      `Recorded ${REFUND} as succeeded in the test stack: refund 27.50 EUR of claim ${CLAIM} (storefront demo), bank reference STMT-42, by operator:anna.\n`,
    );
    const [entry] = world.appended();
    expect(entry).toMatchObject({
      type: 'action_succeeded',
      actor: { kind: 'operator', name: 'anna' },
      data: { actionId: REFUND, provider: 'bank', reference: 'STMT-42', amount: { amount: 2750, currency: 'EUR' } },
      postings: [
        { account: 'refunds_payable', debit: 2750, credit: 0 },
        { account: 'cash', debit: 0, credit: 2750 },
      ],
    });
    expect(entry?.data).not.toHaveProperty('expected');
    expect(world.writes).toEqual(['append action_succeeded', `putAction ${REFUND} succeeded`]);
  });

  it('prints the receipt with --format json, and what it did on stderr', async () => {
    // arrange
    const world = new World().claim(CLAIM);

    // act
    const r = await actions(world, 'succeed', REFUND, ...paid, '--format', 'json', '--by', 'Bob');

    // assert
    expect(r.code).toBe(0);
    const receipt = JSON.parse(r.out) as ActionReceipt;
    expect(receipt).toMatchObject({
      action: { actionId: REFUND, status: 'succeeded', reference: 'STMT-42', result: { by: 'operator:Bob', provider: 'bank' } },
      created: [],
    });
    expect(Object.keys(receipt)).toEqual(['action', 'created']);
    expect(r.err).toContain(`Recorded ${REFUND} as succeeded in the test stack`);
  });

  it('records a lower --amount for a refund, read in its currency, and warns that the rest stays owed', async () => {
    // arrange
    const world = new World().claim(CLAIM);

    // act
    const r = await actions(world, 'succeed', REFUND, ...paid, '--amount', '20');

    // assert
    expect(r.code).toBe(0);
    expect(r.out).toContain('bank reference STMT-42, 20.00 EUR paid, by operator:anna.\n');
    expect(r.err).toBe(
      `warning: ${REFUND} is recorded as succeeded for 20.00 EUR, not the 27.50 EUR it asked; the other 7.50 EUR stays owed to the customer. ` +
        'makegood ledger verify and ledger report list it as recorded for another amount.\n',
    );
    expect(world.appended()[0]?.data).toMatchObject({ amount: money(2000, 'EUR'), expected: money(2750, 'EUR') });
  });

  it('refuses a higher --amount with exit 1 and the problem by option, writing nothing', async () => {
    // arrange
    const world = new World().claim(CLAIM);

    // act
    const higher = await actions(world, 'succeed', REFUND, ...paid, '--amount', '27.51');
    const decimals = await actions(world, 'succeed', REFUND, ...paid, '--amount', '27.505');

    // assert
    expect(higher.code).toBe(1);
    expect(higher.err).toBe(
      `The report does not fit action ${REFUND}; nothing was recorded\n  --amount: may differ only for a refund, in EUR, above 0 and not above 2750 (€27.50)\n`,
    );
    expect(decimals.code).toBe(2);
    expect(decimals.err).toContain('--amount 27.505: EUR has 2 decimals at most');
    expect(world.writes).toEqual([]);
  });

  it('refuses another answer of an answered action with exit 1, and answers the same one again with exit 0, writing nothing', async () => {
    // arrange
    const world = new World().claim(CLAIM);
    await actions(world, 'succeed', REFUND, ...paid);
    world.writes.length = 0;

    // act
    const other = await actions(world, 'succeed', REFUND, '--provider', 'bank', '--reference', 'STMT-43');
    const failed = await actions(world, 'fail', REFUND, ...paid, '--reason', 'bounced');
    const same = await actions(world, 'succeed', REFUND, ...paid);

    // assert
    expect(other.code).toBe(1);
    expect(other.err).toBe(`Action ${REFUND} already succeeded with reference STMT-42; an action has one answer; nothing was recorded\n`);
    expect(failed.code).toBe(1);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(
      /was already recorded as succeeded at 2026-11-23T12:00:00\.000Z in the test stack: .* Nothing was written\.\n$/,
    );
    // Only the index put again at the revision it has, which changes nothing.
    expect(world.writes).toEqual([`putAction ${REFUND} succeeded`]);
  });

  it('says that an --amount given with an answer already recorded was not recorded', async () => {
    // arrange
    const world = new World().claim(CLAIM);
    await actions(world, 'succeed', REFUND, ...paid);

    // act
    const r = await actions(world, 'succeed', REFUND, ...paid, '--amount', '20.00');

    // assert
    expect(r.code).toBe(0);
    expect(r.out).toContain('was already recorded as succeeded');
    expect(r.err).toBe('warning: --amount 20.00 EUR was not recorded: the answer recorded before, with this reference, has 27.50 EUR.\n');
    expect(world.appended()).toHaveLength(1);
  });

  it('refuses with exit 1 an action of no claim, one the claim does not have, and another storefront’s', async () => {
    // arrange
    const world = new World().claim(CLAIM);

    // act
    const noClaim = await actions(world, 'succeed', 'act_nope_1', ...paid);
    const noAction = await actions(world, 'succeed', `act_${CLAIM}_9`, ...paid);
    const otherShop = await actions(world, 'succeed', REFUND, ...paid, '--storefront', 'shop2');

    // assert
    expect(noClaim).toMatchObject({ code: 1, err: 'No action act_nope_1: there is no claim nope\n' });
    expect(noAction).toMatchObject({ code: 1, err: `Claim ${CLAIM} has no action act_${CLAIM}_9; nothing was recorded\n` });
    expect(otherShop).toMatchObject({
      code: 1,
      err: `Action ${REFUND} is of claim ${CLAIM} of storefront demo, not shop2; nothing was recorded\n`,
    });
    expect(world.writes).toEqual([]);
  });

  it('refuses with exit 1 while the claim is still settling (the customer not yet told)', async () => {
    // arrange
    const world = new World().claim(CLAIM, 'assessing');

    // act
    const r = await actions(world, 'succeed', REFUND, ...paid);

    // assert
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Claim ${CLAIM} is still settling; send the answer of ${REFUND} again in a moment`);
    expect(world.writes).toEqual([]);
  });

  it('records a failed refund, and says so when the policy gives nothing instead', async () => {
    // arrange
    const world = new World().claim(CLAIM);

    // act
    const r = await actions(world, 'fail', REFUND, ...paid, '--reason', 'account closed');

    // assert
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `Recorded ${REFUND} as failed in the test stack: refund 27.50 EUR of claim ${CLAIM} (storefront demo), bank reference STMT-42 (account closed), by operator:anna.\n`,
    );
    expect(r.out).toContain('nothing was given instead');
    expect(world.appended()[0]).toMatchObject({ type: 'action_failed', data: { failureReason: 'account closed' } });
  });

  it('refuses cash for an action that is not a recovery credit, with exit 1 and its problem', async () => {
    // arrange
    const world = new World().claim(CLAIM);

    // act
    const r = await actions(world, 'cash', REFUND);

    // assert
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `Action ${REFUND} is not store credit given for a failed refund; nothing was recorded\n  actionId: must name the store credit that recovered a failed refund\n`,
    );
    expect(world.writes).toEqual([]);
  });
});

describe('makegood actions list', () => {
  it('pages through the storefront’s requested actions up to --limit and says when more exist', async () => {
    // arrange: five requested refunds; pages of at most what is still wanted, and one more
    const world = new World();
    world.queue = [1, 2, 3, 4, 5].map(queued);

    // act
    const r = await actions(world, 'list', '--limit', '3');

    // assert
    expect(r.code).toBe(0);
    expect(world.pages).toEqual([4]);
    expect(r.out).toContain('Requested actions in the test stack (oldest first, at most 3 per storefront):\n\ndemo:\n');
    expect(r.out).toMatch(/^ {2}ACTION +CLAIM +TYPE +AMOUNT +ITEMS +REQUESTED +STATUS +REFERENCE$/m);
    expect(r.out).toMatch(/^ {2}act_clm_q1_3 +clm_q1 +refund +27\.50 EUR +1 × BOX +2026-11-23T12:00:00\.000Z +requested +—$/m);
    expect(r.out).not.toContain('act_clm_q4_3');
    expect(r.out).toContain('  … more requested actions than the 3 shown');
    expect(r.out).toContain('  3+ requested action(s)\n');
  });

  it('reads page after page when the storefront has more than a page', async () => {
    // arrange
    const world = new World();
    world.queue = Array.from({ length: 150 }, (_, i) => queued(i + 1));

    // act
    const r = await actions(world, 'list', '--storefront', 'demo', '--format', 'json', '--limit', '120');

    // assert
    expect(r.code).toBe(0);
    expect(world.pages).toEqual([100, 21]);
    const { storefronts } = JSON.parse(r.out) as {
      storefronts: { storefrontId: string; actions: { actionId: string }[]; more: boolean }[];
    };
    expect(storefronts).toHaveLength(1);
    expect(storefronts[0]?.actions).toHaveLength(120);
    expect(storefronts[0]?.more).toBe(true);
    expect(r.err).toBe('actions list: the test stack\n');
  });

  it('says a storefront has none, and refuses one that is not there', async () => {
    // arrange
    const world = new World();

    // act
    const none = await actions(world, 'list');
    const missing = await actions(world, 'list', '--storefront', 'nope');

    // assert
    expect(none.out).toContain('\ndemo:\n  no requested actions\n');
    expect(missing).toMatchObject({ code: 1, err: 'No storefront nope\n' });
  });

  it('shows every action of a claim with its answer, as text and as JSON', async () => {
    // arrange
    const world = new World().claim(CLAIM);
    await actions(world, 'succeed', REFUND, ...paid, '--amount', '20.00');

    // act
    const text = await actions(world, 'list', '--claim', CLAIM);
    const json = await actions(world, 'list', '--claim', CLAIM, '--format', 'json');
    const missing = await actions(world, 'list', '--claim', 'clm_nope');

    // assert
    expect(text.out).toContain(`Actions of claim ${CLAIM} (storefront demo, settled) in the test stack:\n`);
    expect(text.out).toMatch(new RegExp(`^ {2}${REFUND} +${CLAIM} +refund +27\\.50 EUR +1 × BOX +\\S+ +succeeded +STMT-42$`, 'm'));
    expect(text.out).toContain(
      `  ${REFUND}: succeeded 2026-11-23T12:00:00.000Z by operator:anna: bank STMT-42, 20.00 EUR of the 27.50 EUR asked\n`,
    );
    expect(text.out).toContain('  1 action(s): 1 succeeded\n');
    const { claim } = JSON.parse(json.out) as {
      claim: { storefrontId: string; status: string; actions: { result: { amount: unknown } }[] };
    };
    expect(claim).toMatchObject({ storefrontId: 'demo', status: 'settled' });
    expect(claim.actions[0]?.result.amount).toEqual({ amount: 2000, currency: 'EUR' });
    expect(missing).toMatchObject({ code: 1, err: 'No claim clm_nope\n' });
  });
});
