import type { ClaimRef, EntryDraft, LedgerEntry } from '#domain/ledger.ts';
import { webhookEventTypeOf } from '#domain/webhook-events.ts';
import type { Clock, LedgerStore, Outbox } from '#ports';

/**
 * The ledger, with each entry's webhook event stored in the same step. The event is staged
 * (keyed by claim and step) before the entry is appended, so no crash can leave an entry without
 * its event: a step retried stages nothing twice, and an event whose entry never appears is
 * dropped by the dispatcher rather than sent. A step the caller already sees recorded was staged
 * the first time and is not staged again.
 */
export function withOutbox(ledger: LedgerStore, outbox: Outbox, clock: Clock): LedgerStore {
  return {
    entries: (claimId) => ledger.entries(claimId),
    customerEntries: (storefrontId, customerId, since) => ledger.customerEntries(storefrontId, customerId, since),
    orderEntries: (storefrontId, orderId) => ledger.orderEntries(storefrontId, orderId),
    storefrontEntries: (args) => ledger.storefrontEntries(args),
    async append(claim: ClaimRef, draft: EntryDraft, known?: readonly LedgerEntry[]): Promise<LedgerEntry> {
      const recorded = known?.find((e) => e.step === draft.step);
      if (recorded) return recorded;
      const type = webhookEventTypeOf(draft);
      if (type) await outbox.stage({ storefrontId: claim.storefrontId, claimId: claim.claimId, step: draft.step, type, at: clock.now() });
      return ledger.append(claim, draft, known);
    },
  };
}
