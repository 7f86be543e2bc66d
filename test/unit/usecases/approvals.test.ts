import { describe, expect, it } from 'vitest';
import { approvalSchedule } from '#domain/approval-schedule.ts';
import { type ApprovalGrant, signApprovalToken, verifyApprovalToken } from '#domain/approval-token.ts';
import { ApprovalAnsweredError, TransientError } from '#domain/errors.ts';
import { singleKeyRing } from '#domain/key-ring.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry, type StoredDecision } from '#domain/ledger.ts';
import { money } from '#domain/money.ts';
import { type Policy, type PolicyVersion, parsePolicy, type Role } from '#domain/policy.ts';
import type { ApprovalUse, Deps, LedgerStore, Mailer, OutgoingEmail, PendingCallback, StateStore, Workflow, WorkItem } from '#ports';
import {
  type ApprovalAnswer,
  answerApproval,
  approvalStep,
  escalate,
  lookupApproval,
  remindApprovers,
  requestApproval,
} from '#usecases/approvals.ts';
import { decidedDraft, demoPolicyDocument, receivedDraft } from '../handlers/support.ts';

/**
 * The approval use cases against in-memory ports: a real hash-chained ledger, a state store
 * whose conditional write is atomic (as DynamoDB's is), a mailbox, a workflow that counts its
 * resumes, and a clock the test moves. Every attack on a link is checked to change nothing.
 */

// Task tokens long and distinctive enough that no link or email can contain them by chance.
const TOKEN_1 = 'task-token-1-AAAAAAAAAAAAAAAAAAAA';
const TOKEN_2 = 'task-token-2-BBBBBBBBBBBBBBBBBBBB';
const KEY = singleKeyRing(Buffer.from('k'.repeat(64), 'utf8'));
const T0 = new Date('2026-11-10T12:00:00.000Z');
const HOUR = 3600 * 1000;
const CLAIM = 'clm_approvals';
const ref: ClaimRef = { claimId: CLAIM, storefrontId: 'demo', orderId: 'ORD-1001', customerId: 'C-42', currency: 'EUR' };

class World {
  now = T0;
  readonly entries = new Map<string, LedgerEntry[]>();
  readonly callbacks = new Map<string, PendingCallback>();
  readonly uses = new Map<string, ApprovalUse>();
  readonly mails: OutgoingEmail[] = [];
  /** Task tokens the workflow is waiting on. */
  readonly waiting = new Set<string>();
  readonly resumes: { token: string; output: object }[] = [];
  stateWrites = 0;
  policies: PolicyVersion[] = [];

  readonly ledger: LedgerStore = {
    entries: async (claimId: string) => structuredClone(this.entries.get(claimId) ?? []),
    append: async (claim: ClaimRef, draft: EntryDraft) => {
      const list = this.entries.get(claim.claimId) ?? [];
      const existing = list.find((e) => e.step === draft.step);
      if (existing) return existing;
      const entry = chainEntry(claim, list.at(-1), draft, this.now);
      this.entries.set(claim.claimId, [...list, entry]);
      return entry;
    },
    customerEntries: async () => [],
  } as unknown as LedgerStore;

  readonly work = new Map<string, WorkItem>();
  readonly state = {
    currentPolicy: async () => this.policies.at(-1),
    storefront: async (id: string) => ({ id, name: 'Demo Shop' }),
    orderGranted: async (_s: string, _o: string, currency: string) => money(0, currency),
    putCallback: async (cb: PendingCallback) => {
      this.stateWrites += 1;
      this.callbacks.set(cb.claimId, structuredClone(cb));
    },
    callback: async (claimId: string) => structuredClone(this.callbacks.get(claimId)),
    useApproval: async (use: ApprovalUse) => {
      const key = `${use.claimId}#${use.round}`;
      const existing = this.uses.get(key);
      // One check and one set in the same tick: as atomic as DynamoDB's conditional put.
      if (existing) return { first: false as const, existing };
      this.stateWrites += 1;
      this.uses.set(key, use);
      return { first: true as const };
    },
    approvalUse: async (claimId: string, round: number) => this.uses.get(`${claimId}#${round}`),
    putWork: async (item: WorkItem) => {
      this.stateWrites += 1;
      this.work.set(`${item.claimId}#${item.kind}#${item.id}`, structuredClone(item));
    },
    // Nobody is on the suppression list (usecases/mail-feedback.ts): every email goes out.
    suppression: async () => undefined,
  } as unknown as StateStore;

  readonly mailer: Mailer = {
    send: async (m) => {
      this.mails.push(m);
      return { messageId: `m${this.mails.length}` };
    },
    sentBefore: async () => undefined,
    ping: async () => {},
  };

  readonly workflow: Workflow = {
    start: async () => {},
    status: async () => undefined,
    succeed: async (token, output) => {
      if (!this.waiting.delete(token)) return 'gone';
      this.resumes.push({ token, output });
      return 'ok';
    },
  };

  deps(): Omit<Deps, 'outbox' | 'webhookSender' | 'webhooks' | 'autoRetry'> {
    return {
      ledger: this.ledger,
      state: this.state,
      mailer: this.mailer,
      workflow: this.workflow,
      secrets: {
        approvalKeys: async () => KEY,
        storefrontSigningSecrets: async () => [],
        financeKey: async () => undefined,
        webhookSecrets: async () => [],
      },
      clock: { now: () => this.now },
      mailFrom: 'makegood@demo.test',
      publicUrl: 'https://api.demo.test',
    };
  }

  /** Everything a link could change: item writes, ledger entries, mail, resumes. */
  footprint() {
    return {
      stateWrites: this.stateWrites,
      entries: [...this.entries.values()].flat().length,
      mails: this.mails.length,
      resumes: this.resumes.length,
    };
  }

  at(ms: number): void {
    this.now = new Date(T0.getTime() + ms);
  }
}

function policyWith(
  edit: (doc: { approval: { tiers: { role: string; limit: number | null; approvers: string[] }[] } }) => void = () => {},
): Policy {
  const doc = structuredClone(demoPolicyDocument) as Parameters<typeof edit>[0];
  edit(doc);
  return parsePolicy(doc);
}

function decisionOf(cash: number, tier: Role, returnRequired = false): StoredDecision {
  return {
    outcome: returnRequired ? 'return_and_refund' : 'refund_without_return',
    cash: { amount: cash, currency: 'EUR' },
    storeCredit: { amount: 0, currency: 'EUR' },
    goodwill: { amount: 0, currency: 'EUR' },
    returnRequired,
    tier,
    policyVersion: 1,
    rules: [{ id: 'perishable', text: 'Food is not sent back' }],
    units: [{ sku: 'CHOC-BOX', quantity: 1 }],
  };
}

/** A claim decided at `tier` for `cash`, its round 1 requested with task token `t1`. */
async function claimAwaitingApproval(opts: { cash?: number; tier?: Role; returnRequired?: boolean; policy?: Policy } = {}) {
  const w = new World();
  const policy = opts.policy ?? policyWith();
  w.policies.push({ storefrontId: 'demo', version: 1, policy, publishedAt: '2026-11-01T00:00:00.000Z' });
  const tier = opts.tier ?? 'agent';
  for (const d of [receivedDraft(), decidedDraft(decisionOf(opts.cash ?? 9000, tier, opts.returnRequired))] as EntryDraft[]) {
    await w.ledger.append(ref, d);
  }
  const approval = approvalStep(1, tier, policy);
  w.waiting.add(TOKEN_1);
  await requestApproval({ claimId: CLAIM, storefrontId: 'demo', approval, taskToken: TOKEN_1 }, w.deps());
  return { w, approval, policy, link: linkIn(w.mails.at(-1)) };
}

/** The grant a token opens to (at T0, before any expiry). */
function openGrant(token: string): ApprovalGrant {
  const opened = verifyApprovalToken(token, KEY, T0);
  if (!opened.ok) throw new Error(`token does not open: ${opened.problem}`);
  return opened.grant;
}

function linkIn(mail: OutgoingEmail | undefined): string {
  const m = /\/approvals\/([A-Za-z0-9._~-]+)/.exec(mail?.text ?? '');
  if (!m?.[1]) throw new Error('no link in the email');
  return m[1];
}

async function pageNonce(w: World, token: string): Promise<string> {
  const found = await lookupApproval(token, w.deps());
  if (!found.ok) throw new Error(`no form: ${found.problem}`);
  return found.view.nonce;
}

function answer(over: Partial<ApprovalAnswer>): ApprovalAnswer {
  return { decision: 'approve', amount: undefined, note: undefined, nonce: undefined, ip: '203.0.113.7', userAgent: 'vitest', ...over };
}

describe('requesting an approval', () => {
  it('stores the task token server-side, records the round, and emails each approver a link to it', async () => {
    // arrange / act
    const { w, approval, link } = await claimAwaitingApproval();

    // assert
    const deadline = new Date(T0.getTime() + 48 * HOUR);
    expect(approval).toMatchObject({ waitSeconds: 48 * 3600, remindAfterSeconds: 36 * 3600, afterReminderSeconds: 12 * 3600 });
    expect(w.callbacks.get(CLAIM)).toMatchObject({ taskToken: TOKEN_1, round: 1, role: 'agent', approvers: ['agent@demo.test'] });
    // The customer hears first that a person decides, and by when; then the approver gets the link.
    expect(w.mails.map((m) => m.to)).toEqual(['ann@example.com', 'agent@demo.test']);
    expect(w.mails[0]?.subject).toContain('ORD-');
    expect(w.mails[1]?.text).not.toContain(TOKEN_1);
    expect(verifyApprovalToken(link, KEY, T0)).toEqual({
      ok: true,
      grant: { claimId: CLAIM, round: 1, role: 'agent', approver: 'agent@demo.test', expiresAt: deadline.getTime() / 1000 },
    });
  });
});

describe('the reminder', () => {
  it('reminds the same approvers once, keeps their links working, and the answer resumes the reminder’s task', async () => {
    // arrange: the first wait times out at the reminder point
    const { w, approval, link } = await claimAwaitingApproval();
    w.waiting.delete(TOKEN_1);
    w.at(36 * HOUR);
    w.waiting.add(TOKEN_2);

    // act: the reminder runs, and runs again as after a restart
    await remindApprovers({ claimId: CLAIM, storefrontId: 'demo', approval, taskToken: TOKEN_2 }, w.deps());
    await remindApprovers({ claimId: CLAIM, storefrontId: 'demo', approval, taskToken: TOKEN_2 }, w.deps());
    const reminderLink = linkIn(w.mails.at(-1));
    const first = await lookupApproval(link, w.deps());
    const second = await lookupApproval(reminderLink, w.deps());
    const outcome = await answerApproval(link, answer({ nonce: await pageNonce(w, link) }), w.deps());

    // assert
    expect(w.mails.map((m) => [m.to, m.subject.startsWith('Reminder:')])).toEqual([
      ['ann@example.com', false],
      ['agent@demo.test', false],
      ['agent@demo.test', true],
    ]);
    expect(w.mails[2]?.subject).toContain('12 Nov 2026, 12:00 UTC');
    expect(openGrant(reminderLink)).toEqual(openGrant(link));
    expect(reminderLink).not.toBe(link);
    expect(first.ok && second.ok).toBe(true);
    expect(outcome.ok).toBe(true);
    expect(w.resumes.map((r) => r.token)).toEqual([TOKEN_2]);
    expect(w.entries.get(CLAIM)?.filter((e) => e.type === 'approval_requested')).toHaveLength(1);
  });

  it('splits every wait into a reminder and the rest, in whole seconds that add up', () => {
    // act / assert
    expect(approvalSchedule(48)).toEqual({ waitSeconds: 172800, remindAfterSeconds: 129600, afterReminderSeconds: 43200 });
    expect(approvalSchedule(2 / 3600)).toEqual({ waitSeconds: 2, remindAfterSeconds: 1, afterReminderSeconds: 1 });
    expect(approvalSchedule(1 / 3600)).toEqual({ waitSeconds: 2, remindAfterSeconds: 1, afterReminderSeconds: 1 });
    for (const hours of [0.001, 0.5, 1, 7, 48, 24 * 90]) {
      const s = approvalSchedule(hours);
      expect(s.remindAfterSeconds + s.afterReminderSeconds).toBe(s.waitSeconds);
      expect(s.remindAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(s.afterReminderSeconds).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('looking at a link (GET/HEAD)', () => {
  it('changes nothing, however many times scanners prefetch it', async () => {
    // arrange
    const { w, link } = await claimAwaitingApproval();
    const before = w.footprint();

    // act: 100 prefetches at once
    const found = await Promise.all(Array.from({ length: 100 }, () => lookupApproval(link, w.deps())));

    // assert
    expect(found.every((f) => f.ok)).toBe(true);
    expect(w.footprint()).toEqual(before);
  });
});

describe('answering', () => {
  it('records an approval of a lower amount with who, when, from where and the note, and resumes once', async () => {
    // arrange
    const { w, link } = await claimAwaitingApproval({ cash: 9000 });
    w.at(HOUR);

    // act
    const outcome = await answerApproval(
      link,
      answer({ amount: '60.00', note: 'Partial: one unit', nonce: await pageNonce(w, link) }),
      w.deps(),
    );

    // assert
    expect(outcome).toMatchObject({ ok: true, decision: 'approve', approved: { amount: 6000, currency: 'EUR' }, next: 'conclude' });
    const entry = w.entries.get(CLAIM)?.find((e) => e.type === 'approved');
    expect(entry?.actor).toEqual({ kind: 'approver', email: 'agent@demo.test', role: 'agent', ip: '203.0.113.7', userAgent: 'vitest' });
    expect(entry?.at).toBe(new Date(T0.getTime() + HOUR).toISOString());
    expect(entry?.data).toMatchObject({
      note: 'Partial: one unit',
      approved: { cash: { amount: 6000 } },
      proposal: { cash: { amount: 9000 } },
    });
    expect(w.resumes).toEqual([{ token: TOKEN_1, output: { claimId: CLAIM, storefrontId: 'demo', next: 'conclude' } }]);
  });

  it('sends an approved claim that needs its goods back to the return, and a rejection with its note to Conclude', async () => {
    // arrange
    const a = await claimAwaitingApproval({ returnRequired: true });
    const b = await claimAwaitingApproval({ returnRequired: true });

    // act
    await answerApproval(a.link, answer({ nonce: await pageNonce(a.w, a.link) }), a.w.deps());
    await answerApproval(
      b.link,
      answer({ decision: 'reject', note: 'Customer admitted misuse', nonce: await pageNonce(b.w, b.link) }),
      b.w.deps(),
    );

    // assert
    expect(a.w.resumes[0]?.output).toMatchObject({ next: 'return', returnWaitSeconds: 30 * 86400 });
    expect(b.w.resumes[0]?.output).toMatchObject({ next: 'conclude' });
    expect(b.w.entries.get(CLAIM)?.find((e) => e.type === 'rejected')?.data).toMatchObject({ note: 'Customer admitted misuse' });
  });

  it('of two (or ten) simultaneous posts, exactly one is recorded and resumes the workflow', async () => {
    // arrange
    const { w, link } = await claimAwaitingApproval();
    const nonce = await pageNonce(w, link);

    // act
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => answerApproval(link, answer({ nonce }), w.deps())));

    // assert
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok && o.problem === 'used')).toHaveLength(9);
    expect(w.resumes).toHaveLength(1);
    expect(w.entries.get(CLAIM)?.filter((e) => e.type === 'approved')).toHaveLength(1);
  });

  it('refuses a replay with a “used” page that says who decided, and changes nothing', async () => {
    // arrange
    const { w, link } = await claimAwaitingApproval();
    const nonce = await pageNonce(w, link);
    await answerApproval(link, answer({ nonce }), w.deps());
    const before = w.footprint();

    // act
    const replay = await answerApproval(link, answer({ nonce, decision: 'reject', note: 'changed my mind' }), w.deps());
    const look = await lookupApproval(link, w.deps());

    // assert
    expect(replay).toMatchObject({ ok: false, problem: 'used', use: { approver: 'agent@demo.test', decision: 'approve' } });
    expect(look).toMatchObject({ ok: false, problem: 'used' });
    expect(w.footprint()).toEqual(before);
  });

  it.each([
    ['a reject without a note', { decision: 'reject' }, 'note_required'],
    ['a reject with a blank note', { decision: 'reject', note: '   \n ' }, 'note_required'],
    ['an amount above the proposal', { amount: '90.01' }, 'above_proposal'],
    ['an amount of zero', { amount: '0.00' }, 'bad_form'],
    ['an amount with a currency sign', { amount: '€60' }, 'bad_form'],
    ['an amount with three decimals', { amount: '60.001' }, 'bad_form'],
    ['a negative amount', { amount: '-10' }, 'bad_form'],
    ['no decision', { decision: undefined }, 'bad_form'],
    ['an unknown decision', { decision: 'escalate' }, 'bad_form'],
  ])('refuses %s and changes nothing', async (_what, over, problem) => {
    // arrange
    const { w, link } = await claimAwaitingApproval({ cash: 9000 });
    const nonce = await pageNonce(w, link);
    const before = w.footprint();

    // act
    const outcome = await answerApproval(link, answer({ nonce, ...(over as Partial<ApprovalAnswer>) }), w.deps());

    // assert
    expect(outcome).toMatchObject({ ok: false, problem });
    expect(w.footprint()).toEqual(before);
    expect(w.uses.size).toBe(0);
  });

  it('refuses an amount above the approver’s limit (the limit was lowered while the link was out), and takes one within it', async () => {
    // arrange: a 150.00 proposal for the agent; then the shop lowers the agent's limit to 100.00
    const { w, link } = await claimAwaitingApproval({ cash: 15000 });
    const lowered = policyWith((doc) => {
      const agent = doc.approval.tiers.find((t) => t.role === 'agent');
      if (agent) agent.limit = 10000;
    });
    w.policies.push({ storefrontId: 'demo', version: 2, policy: lowered, publishedAt: '2026-11-10T13:00:00.000Z' });
    const nonce = await pageNonce(w, link);
    const before = w.footprint();

    // act
    const full = await answerApproval(link, answer({ nonce }), w.deps());
    const above = await answerApproval(link, answer({ nonce, amount: '100.01' }), w.deps());
    const unchanged = w.footprint();
    const within = await answerApproval(link, answer({ nonce, amount: '100.00' }), w.deps());

    // assert
    expect(full).toMatchObject({ ok: false, problem: 'above_limit' });
    expect(above).toMatchObject({ ok: false, problem: 'above_limit' });
    expect(unchanged).toEqual(before);
    expect(within).toMatchObject({ ok: true, approved: { amount: 10000 } });
  });

  it('refuses a form carrying another link’s nonce, or none', async () => {
    // arrange: two claims, the approver opens the other one's page
    const a = await claimAwaitingApproval();
    const b = await claimAwaitingApproval();
    const otherNonce = await pageNonce(b.w, b.link);
    const otherLink = signApprovalToken(
      { claimId: 'clm_other', round: 1, role: 'agent', approver: 'agent@demo.test', expiresAt: 9e9 },
      KEY,
    );
    const before = a.w.footprint();

    // act
    const results = [
      await answerApproval(a.link, answer({ nonce: undefined }), a.w.deps()),
      await answerApproval(a.link, answer({ nonce: otherNonce }), a.w.deps()),
      await answerApproval(
        a.link,
        answer({ nonce: (await pageNonce(a.w, a.link)).replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }),
        a.w.deps(),
      ),
      await answerApproval(otherLink, answer({ nonce: await pageNonce(a.w, a.link) }), a.w.deps()),
    ];

    // assert
    expect(results.map((r) => (r.ok ? 'ok' : r.problem))).toEqual(['bad_form', 'bad_form', 'bad_form', 'unknown_claim']);
    expect(a.w.footprint()).toEqual(before);
  });
});

describe('links that must not work', () => {
  it('expires exactly at the deadline (fake clock), for the page and the post alike', async () => {
    // arrange
    const { w, link } = await claimAwaitingApproval();
    const nonce = await pageNonce(w, link);
    w.at(48 * HOUR - 1000);
    const stillOpen = await lookupApproval(link, w.deps());
    w.at(48 * HOUR);
    const before = w.footprint();

    // act
    const look = await lookupApproval(link, w.deps());
    const post = await answerApproval(link, answer({ nonce }), w.deps());

    // assert
    expect(stillOpen.ok).toBe(true);
    expect(look).toEqual({ ok: false, problem: 'expired' });
    expect(post).toEqual({ ok: false, problem: 'expired' });
    expect(w.footprint()).toEqual(before);
  });

  it('refuses every changed character of a link, page and post, and changes nothing', async () => {
    // arrange
    const { w, link } = await claimAwaitingApproval();
    const nonce = await pageNonce(w, link);
    const before = w.footprint();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const changedAt = (at: number) => `${link.slice(0, at)}${alphabet[(alphabet.indexOf(link[at] ?? 'A') + 1) % 64]}${link.slice(at + 1)}`;
    // `v2.k1.<body>`: every character of the body, and each of the key id and its dot
    const prefix = 'v2.k1.';
    expect(link.startsWith(prefix)).toBe(true);
    const changed = Array.from({ length: link.length - prefix.length }, (_, i) => changedAt(i + prefix.length));
    // `l1.` (no key id), `k2.` (a key not in the ring), `k1A` (no dot: two parts, read as a token of
    // before key ids, which does not authenticate as one)
    const keyIdChanged = [3, 4, 5].map(changedAt);

    // act
    const looks = await Promise.all([...changed, ...keyIdChanged].map((t) => lookupApproval(t, w.deps())));
    const posts = await Promise.all([...changed, ...keyIdChanged].map((t) => answerApproval(t, answer({ nonce }), w.deps())));

    // assert
    const expected = [
      ...changed.map(() => ({ ok: false, problem: 'tampered' })),
      { ok: false, problem: 'malformed' },
      { ok: false, problem: 'tampered' },
      { ok: false, problem: 'tampered' },
    ];
    expect(looks).toEqual(expected);
    expect(posts).toEqual(expected);
    expect(w.footprint()).toEqual(before);
  });

  it.each<[string, (g: ApprovalGrant) => Partial<ApprovalGrant>, string]>([
    ['another approver (a forwarded or forged grant)', () => ({ approver: 'mallory@evil.test' }), 'foreign'],
    ['another tier', () => ({ role: 'finance' }), 'foreign'],
    ['another expiry', (g) => ({ expiresAt: g.expiresAt + 3600 }), 'foreign'],
    ['another round', () => ({ round: 2 }), 'superseded'],
    ['another claim that does not exist', () => ({ claimId: 'clm_nope' }), 'unknown_claim'],
  ])('refuses a server-sealed link for %s: the binding is checked, not only the seal', async (_what, change, problem) => {
    // arrange
    const { w, link } = await claimAwaitingApproval();
    const grant = openGrant(link);
    const forged = signApprovalToken({ ...grant, ...change(grant) }, KEY);
    const before = w.footprint();

    // act
    const look = await lookupApproval(forged, w.deps());
    const post = await answerApproval(forged, answer({ nonce: 'whatever' }), w.deps());

    // assert
    expect(look).toMatchObject({ ok: false, problem });
    expect(post).toMatchObject({ ok: false, problem });
    expect(w.footprint()).toEqual(before);
  });

  it('retires a tier’s links when the claim escalates: the agent’s link is superseded, the supervisor’s works', async () => {
    // arrange
    const { w, approval, link } = await claimAwaitingApproval();
    w.waiting.delete(TOKEN_1);
    w.at(48 * HOUR - 5000);
    const agentNonce = await pageNonce(w, link);
    w.at(48 * HOUR);

    // act
    const next = await escalate({ claimId: CLAIM, storefrontId: 'demo', approval }, w.deps());
    w.waiting.add('t3');
    if (next.next !== 'approval' || !next.approval) throw new Error('expected a next round');
    await requestApproval({ claimId: CLAIM, storefrontId: 'demo', approval: next.approval, taskToken: 't3' }, w.deps());
    const supervisorLink = linkIn(w.mails.at(-1));
    const agentLinkStillInTime = signApprovalToken({ ...openGrant(link), expiresAt: Math.floor(w.now.getTime() / 1000) + 60 }, KEY);
    const before = w.footprint();
    const stale = await answerApproval(agentLinkStillInTime, answer({ nonce: agentNonce }), w.deps());

    // assert
    expect(next.approval).toMatchObject({ round: 2, role: 'supervisor' });
    expect(w.mails.at(-1)?.to).toBe('supervisor@demo.test');
    expect(stale).toMatchObject({ ok: false, problem: 'superseded' });
    expect(await lookupApproval(link, w.deps())).toMatchObject({ ok: false, problem: 'expired' });
    expect(w.footprint()).toEqual(before);
    expect((await lookupApproval(supervisorLink, w.deps())).ok).toBe(true);
  });

  it('shows “ended” for a claim that has ended, and changes nothing', async () => {
    // arrange: the claim was closed meanwhile (for example by an operator)
    const { w, link } = await claimAwaitingApproval();
    const nonce = await pageNonce(w, link);
    await w.ledger.append(ref, {
      type: 'closed',
      step: 'closed',
      status: 'closed',
      actor: { kind: 'system' },
      policyVersion: 1,
      data: { reason: 'return_not_received' },
    });
    const before = w.footprint();

    // act
    const look = await lookupApproval(link, w.deps());
    const post = await answerApproval(link, answer({ nonce }), w.deps());

    // assert
    expect(look).toEqual({ ok: false, problem: 'ended' });
    expect(post).toEqual({ ok: false, problem: 'ended' });
    expect(w.footprint()).toEqual(before);
  });
});

describe('an answer racing a timeout', () => {
  it('resumes the reminder’s new task when the token read with the link has just timed out', async () => {
    // arrange: the answer has read the link (and the callback, with t1) when the first wait
    // times out and the reminder stores t2: that happens inside the answer's conditional write
    const { w, approval, link } = await claimAwaitingApproval();
    const nonce = await pageNonce(w, link);
    const useApproval = w.state.useApproval;
    w.state.useApproval = async (use) => {
      w.waiting.delete(TOKEN_1);
      w.waiting.add(TOKEN_2);
      w.at(36 * HOUR);
      await remindApprovers({ claimId: CLAIM, storefrontId: 'demo', approval, taskToken: TOKEN_2 }, w.deps());
      return useApproval(use);
    };
    const tried: string[] = [];
    const succeed = w.workflow.succeed;
    w.workflow.succeed = async (token, output) => {
      tried.push(token);
      return succeed(token, output);
    };

    // act
    const outcome = await answerApproval(link, answer({ nonce }), w.deps());

    // assert
    expect(outcome.ok).toBe(true);
    expect(tried).toEqual([TOKEN_1, TOKEN_2]);
    expect(w.resumes.map((r) => r.token)).toEqual([TOKEN_2]);
  });

  it('lets a wait that finds its round answered hand over to Escalate, which continues as answered', async () => {
    // arrange: the answer is recorded, but its resume reached the task that had timed out
    const { w, approval, link } = await claimAwaitingApproval({ returnRequired: true });
    w.waiting.delete(TOKEN_1);
    await answerApproval(link, answer({ nonce: await pageNonce(w, link) }), w.deps());
    w.waiting.add(TOKEN_2);

    // act
    const reminder = remindApprovers({ claimId: CLAIM, storefrontId: 'demo', approval, taskToken: TOKEN_2 }, w.deps());
    await expect(reminder).rejects.toBeInstanceOf(ApprovalAnsweredError);
    const next = await escalate({ claimId: CLAIM, storefrontId: 'demo', approval }, w.deps());

    // assert
    expect(next).toEqual({ claimId: CLAIM, storefrontId: 'demo', next: 'return', returnWaitSeconds: 30 * 86400 });
    expect(w.entries.get(CLAIM)?.some((e) => e.type === 'escalated')).toBe(false);
    expect(w.mails.filter((m) => m.subject.startsWith('Reminder:'))).toHaveLength(0);
  });

  it('finishes an answer that stopped between its use and its entry, from the use: in Escalate, and in the approver’s retry', async () => {
    // arrange: two claims whose answer is recorded as used, and then the process dies before the entry
    const crash = async () => {
      const { w, approval, link } = await claimAwaitingApproval();
      const append = w.ledger.append;
      w.ledger.append = async (claim, draft, known) => {
        if (draft.step.startsWith('approval-decision#')) throw new Error('the process died here');
        return append(claim, draft, known);
      };
      const nonce = await pageNonce(w, link);
      await expect(answerApproval(link, answer({ amount: '20.00', note: 'one unit', nonce }), w.deps())).rejects.toThrow(/died/);
      w.ledger.append = append;
      return { w, approval, link, nonce };
    };
    const viaEscalate = await crash();
    const viaRetry = await crash();

    // act: Escalate at once; the approver's retry a minute later (a younger use may still be finishing)
    const next = await escalate({ claimId: CLAIM, storefrontId: 'demo', approval: viaEscalate.approval }, viaEscalate.w.deps());
    viaRetry.w.at(60_000);
    const retried = await answerApproval(
      viaRetry.link,
      answer({ amount: '20.00', note: 'one unit', nonce: viaRetry.nonce }),
      viaRetry.w.deps(),
    );

    // assert: the answer as given, once, in both; the workflow resumed by the retry
    for (const w of [viaEscalate.w, viaRetry.w]) {
      const approved = w.entries.get(CLAIM)?.filter((e) => e.type === 'approved') ?? [];
      expect(approved).toHaveLength(1);
      expect(approved[0]?.data).toMatchObject({ note: 'one unit', approved: { cash: { amount: 2000 } } });
      expect(w.entries.get(CLAIM)?.some((e) => e.type === 'escalated')).toBe(false);
    }
    expect(next).toEqual({ claimId: CLAIM, storefrontId: 'demo', next: 'conclude' });
    expect(retried).toMatchObject({ ok: false, problem: 'used' });
    expect(viaRetry.w.resumes).toEqual([{ token: TOKEN_1, output: { claimId: CLAIM, storefrontId: 'demo', next: 'conclude' } }]);
  });

  it('makes Escalate retry while an answer from before uses carried their entry is between its use and its ledger entry', async () => {
    // arrange
    const { w, approval } = await claimAwaitingApproval();
    await w.state.useApproval({ claimId: CLAIM, round: 1, decision: 'approve', approver: 'agent@demo.test', at: T0.toISOString() });

    // act
    const result = escalate({ claimId: CLAIM, storefrontId: 'demo', approval }, w.deps());

    // assert
    await expect(result).rejects.toBeInstanceOf(TransientError);
    expect(w.entries.get(CLAIM)?.some((e) => e.type === 'escalated')).toBe(false);
  });
});
