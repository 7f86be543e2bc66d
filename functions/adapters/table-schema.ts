/**
 * Key schema of makegood's two DynamoDB tables, shared by the adapters and the CDK app so the
 * deployed tables and the code that reads them cannot drift apart. Plain data, no SDK.
 *
 * Ledger table: append-only entries, one partition per claim (`pk = CLAIM#<claimId>`,
 * `sk = E#<seq>`), with three indexes for finance and customer history. Every index shares the
 * sort key `at#claimId#seq`, so each one reads oldest first.
 *
 * State table: operational items that do change (idempotency records, the per-order running
 * total, policy versions, storefront settings, callback tokens, approval-link use markers, the
 * webhook outbox, the index of actions). Its two indexes are sparse: only webhook events still
 * pending or failed carry the outbox index's keys, so the dispatcher reads what is due, per
 * storefront, without a scan; only actions still waiting for the shop's answer carry the action
 * index's, for `GET /v1/actions`.
 */
export const ledgerTableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    byOrder: { partitionKey: 'orderKey', sortKey: 'timeKey' },
    byCustomer: { partitionKey: 'customerKey', sortKey: 'timeKey' },
    byStorefrontDay: { partitionKey: 'dayKey', sortKey: 'timeKey' },
  },
} as const;

export const stateTableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    byOutboxQueue: { partitionKey: 'outboxQueue', sortKey: 'outboxDue' },
    byActionQueue: { partitionKey: 'actionQueue', sortKey: 'actionAt' },
  },
  /** Epoch seconds; DynamoDB TTL removes expired idempotency records. */
  ttlAttribute: 'expiresAt',
} as const;
