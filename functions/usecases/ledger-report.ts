import type { LedgerEntry } from '#domain/ledger.ts';
import { type LedgerTotals, ledgerTotals } from '#domain/ledger-report.ts';
import { assertStaleDays } from '#domain/reconcile.ts';
import { type AuditDeps, type AuditScope, claimsInWindow, mapLimit } from './ledger-verify.ts';

/**
 * Totals of the ledger over a window, for `makegood ledger report`.
 *
 * What happens:
 * 1. The storefront-day index lists the claims with entries in the window (Query, never Scan).
 * 2. Each claim's whole chain is read by its key, so that its reason (from `received`) and its
 *    current decision are known even when they were recorded before the window.
 * 3. The domain sums the chains by account, reason, outcome, approval tier and day, and
 *    reconciles their actions as of the window's end (stale after `scope.staleDays` days).
 */
export async function ledgerReport(scope: AuditScope, deps: AuditDeps): Promise<LedgerTotals> {
  if (scope.staleDays !== undefined) assertStaleDays(scope.staleDays);
  const storefronts = scope.storefrontId ? [scope.storefrontId] : (await deps.state.storefronts()).sort();
  const chains: LedgerEntry[][] = [];
  for (const storefrontId of storefronts) {
    const { claims } = await claimsInWindow(deps.ledger, storefrontId, scope.from, scope.to);
    chains.push(...(await mapLimit(claims, scope.concurrency ?? 16, (c) => deps.ledger.entries(c.claimId))));
  }
  return ledgerTotals({
    chains,
    from: scope.from,
    to: scope.to,
    storefronts,
    ...(scope.staleDays !== undefined ? { staleDays: scope.staleDays } : {}),
  });
}
