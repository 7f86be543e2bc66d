import { customerEmail } from '#domain/email.ts';
import { OverRefundError } from '#domain/errors.ts';
import { currentDecision, settlementPostings, statusOf } from '#domain/ledger.ts';
import { add, money, subtract } from '#domain/money.ts';
import type { Deps } from '#ports';
import { emailShop, loadClaim, record, sendOnce, type TaskInput } from './common.ts';

/**
 * Grants what the claim's decision grants and tells the customer.
 *
 * What happens:
 * 1. A rejection is recorded (unless an approver already did) and explained to the customer,
 *    with the alternative the policy offers.
 * 2. Otherwise the grant is added to the order's running total by a conditional write that
 *    refuses to exceed what the order paid. When it would, `settlement_refused` is appended and
 *    OverRefundError thrown: the workflow sends the claim back to Assess, which decides again
 *    with what is left.
 * 3. `refund_settled` and `credit_issued` are appended with balanced postings.
 * 4. The outcome email is sent and recorded; the claim is `settled`.
 * Every step is idempotent, so a retried Conclude grants nothing twice.
 */
export async function conclude(
  input: TaskInput,
  deps: Pick<Deps, 'ledger' | 'state' | 'mailer' | 'mailFrom'>,
): Promise<{ status: string }> {
  const loaded = await loadClaim(deps, input.claimId);
  const status = statusOf(loaded.entries);
  if (status === 'settled' || status === 'rejected' || status === 'closed') return { status };
  const decision = currentDecision(loaded.entries);
  if (!decision) throw new Error(`Claim ${input.claimId} has no decision`);
  const shop = await emailShop(deps, loaded.ref.storefrontId);
  const pv = decision.policyVersion;

  if (decision.outcome === 'rejected') {
    if (!loaded.entries.some((e) => e.type === 'rejected')) {
      await record(deps, loaded, {
        type: 'rejected',
        step: 'rejected',
        status: 'assessing',
        actor: { kind: 'system' },
        policyVersion: pv,
        data: { by: 'policy' },
      });
    }
    await sendOnce(deps, loaded, {
      step: 'email:outcome',
      kind: 'outcome',
      to: loaded.claim.customer.email,
      content: customerEmail('outcome', { claim: loaded.claim, decision, ...shop, claimId: input.claimId }),
      status: 'rejected',
      policyVersion: pv,
    });
    return { status: 'rejected' };
  }

  const currency = loaded.ref.currency;
  const granted = add(decision.cash, decision.storeCredit);
  if (granted.amount > 0) {
    try {
      await deps.state.grantOnOrder({
        storefrontId: loaded.ref.storefrontId,
        orderId: loaded.ref.orderId,
        claimId: input.claimId,
        amount: granted,
        paid: money(loaded.claim.order.paid, currency),
      });
    } catch (err) {
      if (err instanceof OverRefundError) {
        const round = loaded.entries.filter((e) => e.type === 'decided').length;
        await record(deps, loaded, {
          type: 'settlement_refused',
          step: `settlement-refused#${round}`,
          status: 'assessing',
          actor: { kind: 'system' },
          policyVersion: pv,
          data: { reason: err.message, requested: { ...granted } },
        });
      }
      throw err;
    }
  }
  const postings = settlementPostings(decision.cash, subtract(decision.storeCredit, decision.goodwill), decision.goodwill);
  if (decision.cash.amount > 0) {
    await record(deps, loaded, {
      type: 'refund_settled',
      step: 'refund-settled',
      status: 'assessing',
      actor: { kind: 'system' },
      policyVersion: pv,
      data: { amount: { ...decision.cash }, method: 'original_payment' },
      postings: postings.refund,
    });
  }
  if (decision.storeCredit.amount > 0) {
    await record(deps, loaded, {
      type: 'credit_issued',
      step: 'credit-issued',
      status: 'assessing',
      actor: { kind: 'system' },
      policyVersion: pv,
      data: { amount: { ...decision.storeCredit }, goodwill: { ...decision.goodwill } },
      postings: postings.credit,
    });
  }
  await sendOnce(deps, loaded, {
    step: 'email:outcome',
    kind: 'outcome',
    to: loaded.claim.customer.email,
    content: customerEmail('outcome', { claim: loaded.claim, decision, ...shop, claimId: input.claimId }),
    status: 'settled',
    policyVersion: pv,
  });
  return { status: 'settled' };
}

/**
 * A workflow step failed after its retries: the claim is marked `failed` with the error, so an
 * operator can find it, and the execution then fails.
 */
export async function recordFailure(
  input: TaskInput & { error?: { Error?: string; Cause?: string } },
  deps: Pick<Deps, 'ledger'>,
): Promise<{ status: string }> {
  const loaded = await loadClaim(deps, input.claimId);
  const round = loaded.entries.filter((e) => e.type === 'failed').length + 1;
  await record(deps, loaded, {
    type: 'failed',
    step: `failed#${round}`,
    status: 'failed',
    actor: { kind: 'system' },
    policyVersion: currentDecision(loaded.entries)?.policyVersion ?? null,
    data: { error: input.error?.Error ?? 'Unknown', cause: (input.error?.Cause ?? '').slice(0, 2000) },
  });
  return { status: 'failed' };
}
