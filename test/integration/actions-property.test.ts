import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Action, actionsOf } from '#domain/actions.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import { bootStack, claimBody, postClaim, signedFetch, waitForClaim } from './harness.ts';

/**
 * A property over random sequences of the shop's answers (paid, failed, cash asked for again,
 * the same answer twice, wrong amounts): after every answer, per claim and per account, what was
 * paid plus what is still owed equals what was granted, and cash never exceeds the refund value
 * the claim granted. The oracle reads the claim's ledger as finance would and does not use the
 * code under test beyond `actionsOf`.
 */

const FINANCE_KEY = 'it-actions-property-key';
type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

beforeAll(async () => {
  stack = await bootStack({ financeKey: FINANCE_KEY });
});
afterAll(async () => {
  await stack?.cleanup();
});

async function ledgerOf(claimId: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${stack.apiUrl}/v1/ledger?claim=${claimId}`, { headers: { Authorization: `Bearer ${FINANCE_KEY}` } });
  return ((await res.json()) as { entries: LedgerEntry[] }).entries;
}

/** What the ledger says each account holds: credits less debits. */
function balances(entries: readonly LedgerEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) for (const p of e.postings) out[p.account] = (out[p.account] ?? 0) + p.credit - p.debit;
  return out;
}

const sum = (actions: readonly Action[]) => actions.reduce((n, a) => n + a.amount.amount, 0);

/** Checks the invariants on one claim's ledger; returns what broke, if anything. */
function invariants(entries: readonly LedgerEntry[], refundValue: number): string[] {
  const broken: string[] = [];
  const actions = actionsOf(entries);
  const b = balances(entries);
  const refunds = actions.filter((a) => a.type === 'refund');
  const credits = actions.filter((a) => a.type === 'store_credit');
  const paid = refunds.filter((a) => a.status === 'succeeded').reduce((n, a) => n + (a.result?.amount?.amount ?? 0), 0);
  // Cash granted: every refund asked for, less what a recovery turned into credit.
  const recovered = refunds.filter((a) => a.status === 'failed' && credits.some((c) => c.recovers === a.actionId));
  const grantedCash = sum(refunds) - sum(recovered);
  const owedCash = b.refunds_payable ?? 0;
  if ((b.cash ?? 0) !== paid) broken.push(`cash ${b.cash ?? 0} is not the refunds paid, ${paid}`);
  if (paid + owedCash !== grantedCash) broken.push(`refunds paid ${paid} + owed ${owedCash} ≠ granted ${grantedCash}`);
  if (paid > refundValue) broken.push(`cash ${paid} exceeds the refund value granted, ${refundValue}`);
  // Credit granted: every credit not withdrawn, and not replaced by cash after all.
  const live = credits.filter((c) => c.status !== 'cancelled' && !refunds.some((r) => r.replaces === c.actionId));
  const liability = b.store_credit_liability ?? 0;
  if (liability !== sum(live)) broken.push(`store credit liability ${liability} ≠ live credit ${sum(live)}`);
  const issued = sum(live.filter((c) => c.status === 'succeeded'));
  const toIssue = sum(live.filter((c) => c.status !== 'succeeded'));
  if (issued + toIssue !== liability) broken.push(`credit issued ${issued} + owed ${toIssue} ≠ granted ${liability}`);
  for (const e of entries) {
    const d = e.postings.reduce((n, p) => n + p.debit, 0);
    const c = e.postings.reduce((n, p) => n + p.credit, 0);
    if (d !== c) broken.push(`entry ${e.seq} does not balance`);
  }
  return broken;
}

type Answer =
  | { kind: 'succeed'; target: number; amountOff: number; ref: number }
  | { kind: 'fail'; target: number; ref: number }
  | { kind: 'cash'; target: number }
  | { kind: 'again' };

const answerArb: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({
    kind: fc.constant('succeed' as const),
    target: fc.nat(5),
    amountOff: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -500, max: 500 }) }),
    ref: fc.nat(2),
  }),
  fc.record({ kind: fc.constant('fail' as const), target: fc.nat(5), ref: fc.nat(2) }),
  fc.record({ kind: fc.constant('cash' as const), target: fc.nat(5) }),
  fc.constant({ kind: 'again' as const }),
);

describe('actions: a property over random answers', () => {
  it('keeps paid + owed = granted per account, and cash within the refund value, after every answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(answerArb, { minLength: 1, maxLength: 7 }), async (credit, answers) => {
        // arrange: a crushed box, refunded in cash (27.50) or, when chosen, as store credit (30.25)
        const { json } = await postClaim(stack.apiUrl, claimBody({ complaint: { desiredOutcome: credit ? 'store_credit' : 'refund' } }));
        const claimId = json.claimId;
        await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled');
        const refundValue = 2750;
        let last: (() => Promise<Response>) | undefined;

        for (const answer of answers) {
          // act
          const actions = actionsOf(await ledgerOf(claimId));
          const pick = (target: number) => actions[target % actions.length] as Action;
          let send: (() => Promise<Response>) | undefined;
          if (answer.kind === 'again') send = last;
          else {
            const a = pick(answer.target);
            const path = `/v1/claims/${claimId}/actions/${a.actionId}`;
            if (answer.kind === 'cash') send = () => signedFetch(stack.apiUrl, 'POST', `${path}/cash`, {});
            else {
              const amount = { amount: a.amount.amount + (answer.kind === 'succeed' ? answer.amountOff : 0), currency: a.amount.currency };
              const body =
                answer.kind === 'succeed'
                  ? {
                      status: 'succeeded',
                      provider: 'psp',
                      reference: `ref-${answer.ref}`,
                      ...(a.type === 'replacement' ? {} : { amount }),
                    }
                  : { status: 'failed', provider: 'psp', reference: `ref-${answer.ref}`, amount: a.amount, failureReason: 'declined' };
              send = () => signedFetch(stack.apiUrl, 'POST', path, body);
            }
          }
          if (!send) continue;
          last = send;
          const res = await send();

          // assert
          expect([200, 404, 409, 422]).toContain(res.status);
          const broken = invariants(await ledgerOf(claimId), refundValue);
          expect(broken, `after ${JSON.stringify(answer)} (HTTP ${res.status})`).toEqual([]);
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });
});
