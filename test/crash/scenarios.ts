import { claimBody, daysAgo } from '../integration/harness.ts';
import type { Random } from './random.ts';

/**
 * The claims the crash suite files, each with what the people around it will do (the approver's
 * answer, the parcel the shop reports) and how it must end under the demo policy
 * (policies/demo.json). Every plan is one path through the workflow:
 *
 * | plan             | the claim                                          | path                                   |
 * | ---------------- | -------------------------------------------------- | -------------------------------------- |
 * | `auto-refund`    | a crushed chocolate box, €25.00 + shipping share   | refunded without return, automatically |
 * | `auto-credit`    | the same, the customer asks for store credit       | credit with the 10 % bonus, automatic  |
 * | `auto-goodwill`  | a late delivery, the customer asks for an apology  | goodwill credit, automatic             |
 * | `approval`       | a crushed €65.00 cake (perishable, no return)      | the agent approves, lowers or rejects  |
 * | `return-auto`    | a faulty €30.00 mug                                | sent back, then refunded               |
 * | `return-graded`  | a €30.00 mug, change of mind, comes back used      | sent back, refunded less 10 %          |
 * | `return-approval`| a faulty €89.00 kettle                             | the agent answers, then sent back      |
 *
 * A few claims that wait for a person or a parcel are left waiting on purpose (`leaveWaiting`):
 * at the end they must still wait, with the approver's link or the customer's return instructions
 * in the mailbox, which is what "legitimately waiting" means here. About half the automatic ones
 * belong to a storefront that does not retry a POST that a kill cut off (`abandonIfCut`).
 */
export type PlanKind = 'auto-refund' | 'auto-credit' | 'auto-goodwill' | 'approval' | 'return-auto' | 'return-graded' | 'return-approval';

/** How the approver answers the claim's approval round. */
export type ApproverAnswer =
  | { readonly decision: 'approve' }
  | { readonly decision: 'lower'; readonly amount: string; readonly cash: number }
  | { readonly decision: 'reject'; readonly note: string };

/** One claim to file, with the answers it will get and how it must end. */
export interface ClaimPlan {
  readonly index: number;
  readonly kind: PlanKind;
  readonly idempotencyKey: string;
  readonly body: ReturnType<typeof claimBody>;
  readonly answer?: ApproverAnswer;
  /** What the shop reports back, when the claim waits for a return. */
  readonly returned?: { readonly sku: string; readonly quantity: number; readonly condition: 'as_new' | 'used' | 'damaged' };
  /** Left waiting for its approver or its parcel on purpose (see above). */
  readonly leaveWaiting?: 'approval' | 'return';
  /**
   * The storefront gives up on this claim if a kill cuts its first POST off (its own process
   * died with the request, say), and never sends it again. If the intake got as far as the
   * `received` entry, the claim was accepted all the same and must end on its own. Only
   * automatic plans, which need nobody once they have started.
   */
  readonly abandonIfCut?: true;
  /** The status it must end in, and its decision's cash (minor units) when it ends settled. */
  readonly expected: { readonly status: string; readonly cash?: number; readonly storeCredit?: number };
}

const weights: Record<PlanKind, number> = {
  'auto-refund': 18,
  'auto-credit': 8,
  'auto-goodwill': 8,
  approval: 24,
  'return-auto': 16,
  'return-graded': 10,
  'return-approval': 16,
};

const locales = ['en', 'uk', 'ru', 'eo'] as const;

/** The approver's answer, from the seed: mostly approve, some lowered, some rejected. */
function answerFor(random: Random, loweredCash: number): ApproverAnswer {
  const d = random.weighted({ approve: 3, lower: 1, reject: 1 });
  if (d === 'approve') return { decision: 'approve' };
  if (d === 'lower') return { decision: 'lower', amount: (loweredCash / 100).toFixed(2), cash: loweredCash };
  return { decision: 'reject', note: 'The photos do not show the damage described.' };
}

/** The `count` claims of a run, from the seed. */
export function planClaims(random: Random, count: number, runTag: string): ClaimPlan[] {
  return Array.from({ length: count }, (_, index) => planClaim(random, index, runTag));
}

function planClaim(random: Random, index: number, runTag: string): ClaimPlan {
  const kind = random.weighted(weights);
  const id = `${runTag}-${index}-${random.id()}`;
  const customer = { id: `C-${id}`, email: `c-${id}@example.com`, name: 'Ann', locale: random.pick(locales) };
  const idempotencyKey = `crash-${id}`;
  const leave = random.next() < 0.08;
  const abandon = random.next() < 0.5 && kind.startsWith('auto-');
  const base = { index, kind, idempotencyKey, ...(abandon ? { abandonIfCut: true as const } : {}) };
  switch (kind) {
    case 'auto-refund':
      return { ...base, body: claimBody({ order: { id: `ORD-${id}` }, customer }), expected: { status: 'settled', cash: 2750 } };
    case 'auto-credit':
      return {
        ...base,
        body: claimBody({ order: { id: `ORD-${id}` }, customer, complaint: { desiredOutcome: 'store_credit' } }),
        expected: { status: 'settled', cash: 0, storeCredit: 3025 },
      };
    case 'auto-goodwill':
      return {
        ...base,
        body: claimBody({
          order: { id: `ORD-${id}`, placedAt: daysAgo(9), deliveredAt: daysAgo(1) },
          customer,
          complaint: { reason: 'late_delivery', desiredOutcome: 'apology', message: 'It arrived four days late.', evidence: [] },
        }),
        expected: { status: 'settled', cash: 0, storeCredit: 550 },
      };
    case 'approval': {
      const answer = answerFor(random, 5000);
      return {
        ...base,
        body: claimBody({
          order: {
            id: `ORD-${id}`,
            paid: 6999,
            shipping: 499,
            items: [{ sku: 'CAKE-1', name: 'Birthday cake', category: 'food', quantity: 1, unitPrice: 6500 }],
          },
          customer,
          complaint: { items: [{ sku: 'CAKE-1', quantity: 1 }], message: 'The cake arrived squashed.' },
        }),
        answer,
        ...(leave ? { leaveWaiting: 'approval' as const } : {}),
        expected: leave ? { status: 'awaiting_approval' } : settledOrRejected(answer, 6999),
      };
    }
    case 'return-auto':
      return {
        ...base,
        body: mugClaim(id, customer, 'defective'),
        returned: { sku: 'MUG-1', quantity: 1, condition: 'as_new' },
        ...(leave ? { leaveWaiting: 'return' as const } : {}),
        expected: leave ? { status: 'awaiting_return' } : { status: 'settled', cash: 3499 },
      };
    case 'return-graded':
      return {
        ...base,
        body: mugClaim(id, customer, 'changed_mind'),
        returned: { sku: 'MUG-1', quantity: 1, condition: 'used' },
        ...(leave ? { leaveWaiting: 'return' as const } : {}),
        expected: leave ? { status: 'awaiting_return' } : { status: 'settled', cash: 2700 },
      };
    case 'return-approval': {
      const answer = answerFor(random, 8000);
      const waits = leave ? random.pick(['approval', 'return'] as const) : undefined;
      return {
        ...base,
        body: claimBody({
          order: {
            id: `ORD-${id}`,
            placedAt: daysAgo(12),
            deliveredAt: daysAgo(10),
            paid: 9399,
            shipping: 499,
            items: [{ sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 }],
          },
          customer,
          complaint: {
            reason: 'defective',
            items: [{ sku: 'KETTLE-1', quantity: 1 }],
            message: 'It switches itself off after a few seconds.',
            channel: 'email',
            evidence: [],
          },
        }),
        answer,
        returned: { sku: 'KETTLE-1', quantity: 1, condition: 'used' },
        ...(waits && !(waits === 'return' && answer.decision === 'reject') ? { leaveWaiting: waits } : {}),
        expected:
          waits === 'approval'
            ? { status: 'awaiting_approval' }
            : waits === 'return' && answer.decision !== 'reject'
              ? { status: 'awaiting_return' }
              : settledOrRejected(answer, 9399),
      };
    }
  }
}

function settledOrRejected(answer: ApproverAnswer, proposed: number): ClaimPlan['expected'] {
  if (answer.decision === 'reject') return { status: 'rejected' };
  return { status: 'settled', cash: answer.decision === 'lower' ? answer.cash : proposed };
}

function mugClaim(id: string, customer: Record<string, string>, reason: 'defective' | 'changed_mind') {
  return claimBody({
    order: {
      id: `ORD-${id}`,
      paid: 3499,
      shipping: 499,
      items: [{ sku: 'MUG-1', name: 'Enamel mug', category: 'kitchen', quantity: 1, unitPrice: 3000 }],
    },
    customer,
    complaint: {
      reason,
      items: [{ sku: 'MUG-1', quantity: 1 }],
      message: reason === 'defective' ? 'The handle came off.' : 'I do not like the colour.',
      evidence: [],
    },
  });
}
