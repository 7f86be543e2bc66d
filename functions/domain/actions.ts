import { actorLabel, currentDecision, type EntryOf, type LedgerEntry, type Posting } from './ledger.ts';
import { type Money, money } from './money.ts';

/**
 * What the shop must do for a claim, and what it answered: the actions. makegood decides and
 * records; the storefront moves the money and the goods.
 *
 * An action is a ledger entry that asks something of the shop (`refund_settled`, `credit_issued`,
 * `replacement_requested`), named by that entry (`act_<claim>_<seq>`), and at most one entry that
 * answers it (`action_succeeded`, `action_failed`, `action_cancelled`), appended as the step
 * `action#<seq>` so that two answers cannot both be recorded. Everything here is read from the
 * entries: the ledger is the only record of an action.
 */

export const actionTypes = ['refund', 'store_credit', 'replacement'] as const;
export type ActionType = (typeof actionTypes)[number];

/** `cancelled`: withdrawn before the shop answered (the customer asked for cash instead of the credit). */
export const actionStatuses = ['requested', 'succeeded', 'failed', 'cancelled'] as const;
export type ActionStatus = (typeof actionStatuses)[number];

/** Units of one order line. */
export interface ActionUnits {
  readonly sku: string;
  readonly quantity: number;
}

/** What the shop answered. */
export interface ActionResult {
  readonly status: Exclude<ActionStatus, 'requested'>;
  readonly at: string;
  readonly seq: number;
  /** Who answered: `storefront:<id>` or `operator:<name>`. */
  readonly by: string;
  readonly provider?: string;
  readonly reference?: string;
  readonly amount?: Money;
  readonly creditCode?: string;
  readonly tracking?: string;
  readonly failureReason?: string;
}

/** One action of a claim, as its entries record it. */
export interface Action {
  readonly actionId: string;
  readonly claimId: string;
  readonly storefrontId: string;
  readonly orderId: string;
  readonly type: ActionType;
  readonly status: ActionStatus;
  /** Cash to refund, or store credit to issue; zero for a replacement. */
  readonly amount: Money;
  /** For store credit: the part that is goodwill (a bonus), not refund value. */
  readonly goodwill?: Money;
  readonly items: readonly ActionUnits[];
  readonly requestedAt: string;
  /** The sequence number of the entry that asked for it. */
  readonly seq: number;
  /** A refund given instead of this store-credit action (the customer asked for cash again). */
  readonly replaces?: string;
  /** The credit code the shop must void before paying this refund (the replaced credit was issued). */
  readonly revokeCreditCode?: string;
  /** A store credit given instead of this failed refund. */
  readonly recovers?: string;
  /** For a failed refund: the credit that recovered it. For a credit: the refund that replaced it. */
  readonly followedBy?: string;
  readonly result?: ActionResult;
}

/** The id of the action an entry asks for. */
export function actionIdOf(claimId: string, seq: number): string {
  return `act_${claimId}_${seq}`;
}

/** The claim and sequence number an action id names, or undefined when it is not one. */
export function parseActionId(actionId: string): { claimId: string; seq: number } | undefined {
  const m = /^act_([A-Za-z0-9_-]{1,128})_(\d{1,8})$/.exec(actionId);
  return m?.[1] && m[2] ? { claimId: m[1], seq: Number(m[2]) } : undefined;
}

/** The ledger step that records an action's one answer. */
export function actionResultStep(seq: number): string {
  return `action#${seq}`;
}

/** The action type an entry asks for, if it asks for one. */
export function actionTypeOf(type: LedgerEntry['type']): ActionType | undefined {
  if (type === 'refund_settled') return 'refund';
  if (type === 'credit_issued') return 'store_credit';
  if (type === 'replacement_requested') return 'replacement';
  return undefined;
}

function resultOf(e: EntryOf<'action_succeeded'> | EntryOf<'action_failed'> | EntryOf<'action_cancelled'>): ActionResult {
  const base = { at: e.at, seq: e.seq, by: actorLabel(e.actor) };
  if (e.type === 'action_cancelled') return { ...base, status: 'cancelled' };
  const common = {
    ...base,
    provider: e.data.provider,
    reference: e.data.reference,
    amount: money(e.data.amount.amount, e.data.amount.currency),
  };
  if (e.type === 'action_failed') return { ...common, status: 'failed', failureReason: e.data.failureReason };
  return {
    ...common,
    status: 'succeeded',
    ...(e.data.creditCode !== undefined ? { creditCode: e.data.creditCode } : {}),
    ...(e.data.tracking !== undefined ? { tracking: e.data.tracking } : {}),
  };
}

/** Every action of a claim, oldest first, each with its answer and what followed it. */
export function actionsOf(entries: readonly LedgerEntry[]): Action[] {
  const actions: Action[] = [];
  const results = new Map<string, ActionResult>();
  entries.forEach((e, i) => {
    if (e.type === 'action_succeeded' || e.type === 'action_failed' || e.type === 'action_cancelled') {
      if (!results.has(e.data.actionId)) results.set(e.data.actionId, resultOf(e));
      return;
    }
    const type = actionTypeOf(e.type);
    if (!type) return;
    const base = {
      actionId: actionIdOf(e.claimId, e.seq),
      claimId: e.claimId,
      storefrontId: e.storefrontId,
      orderId: e.orderId,
      type,
      requestedAt: e.at,
      seq: e.seq,
    };
    // Entries written before actions named their units: the units of the decision they settled.
    const decided = () => (currentDecision(entries.slice(0, i))?.units ?? []).map((u) => ({ sku: u.sku, quantity: u.quantity }));
    if (e.type === 'refund_settled') {
      actions.push({
        ...base,
        status: 'requested',
        amount: money(e.data.amount.amount, e.data.amount.currency),
        items: e.data.items ?? decided(),
        ...(e.data.replaces !== undefined ? { replaces: e.data.replaces } : {}),
        ...(e.data.revokeCreditCode !== undefined ? { revokeCreditCode: e.data.revokeCreditCode } : {}),
      });
    } else if (e.type === 'credit_issued') {
      const refundPart = e.data.amount.amount - e.data.goodwill.amount;
      actions.push({
        ...base,
        status: 'requested',
        amount: money(e.data.amount.amount, e.data.amount.currency),
        goodwill: money(e.data.goodwill.amount, e.data.goodwill.currency),
        items: e.data.items ?? (refundPart > 0 ? decided() : []),
        ...(e.data.recovers !== undefined ? { recovers: e.data.recovers } : {}),
      });
    } else if (e.type === 'replacement_requested') {
      actions.push({ ...base, status: 'requested', amount: money(0, e.currency), items: e.data.items.map((u) => ({ ...u })) });
    }
  });
  const followers = new Map<string, string>();
  for (const a of actions) {
    const before = a.recovers ?? a.replaces;
    if (before !== undefined && !followers.has(before)) followers.set(before, a.actionId);
  }
  return actions.map((a) => {
    const result = results.get(a.actionId);
    const next = followers.get(a.actionId);
    return { ...a, status: result?.status ?? 'requested', ...(result ? { result } : {}), ...(next ? { followedBy: next } : {}) };
  });
}

/** Postings of a refund the shop paid: the money owed leaves as cash. */
export function payoutPostings(paid: Money): Posting[] {
  return paid.amount > 0
    ? [
        { account: 'refunds_payable', debit: paid.amount, credit: 0 },
        { account: 'cash', debit: 0, credit: paid.amount },
      ]
    : [];
}

/**
 * Postings of a failed refund recovered as store credit: the cash no longer owed becomes credit
 * owed, and the bonus on top is goodwill.
 */
export function recoveryPostings(refund: Money, bonus: Money): Posting[] {
  return [
    { account: 'refunds_payable', debit: refund.amount, credit: 0 },
    ...(bonus.amount > 0 ? [{ account: 'goodwill_expense' as const, debit: bonus.amount, credit: 0 }] : []),
    { account: 'store_credit_liability', debit: 0, credit: refund.amount + bonus.amount },
  ];
}

/**
 * Postings of cash asked for again instead of a recovery credit: the credit (bonus included) is
 * no longer owed, the refund is owed again, and the bonus is taken back.
 */
export function cashAgainPostings(credit: Money, bonus: Money): Posting[] {
  return [
    { account: 'store_credit_liability', debit: credit.amount, credit: 0 },
    { account: 'refunds_payable', debit: 0, credit: credit.amount - bonus.amount },
    ...(bonus.amount > 0 ? [{ account: 'goodwill_expense' as const, debit: 0, credit: bonus.amount }] : []),
  ];
}
