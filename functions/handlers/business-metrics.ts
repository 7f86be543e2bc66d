import type { GrantKind } from '#usecases/conclude.ts';

/**
 * The business metrics the functions emit (observability.ts) and the alarms and the dashboard
 * read (infra/operations.ts): namespace `makegood`, dimension `service = makegood`. Plain data,
 * like registry.ts, so the CDK app reads the names without loading Powertools.
 *
 * A dimension's values come from a closed set (a decision's outcome, an ISO-4217 currency, a
 * grant's kind), so each metric has a bounded number of series; no id, customer or order is ever
 * a dimension.
 */
export const businessMetrics = {
  namespace: 'makegood',
  service: 'makegood',
  /** An approval tier's wait ended unanswered (the workflow's Escalate step). */
  approvalsOverdue: 'ApprovalsOverdue',
  /** Webhook events given up after their last attempt, and endpoints disabled by a 410 Gone. */
  webhookDeliveriesFailed: 'WebhookDeliveriesFailed',
  /**
   * Claims whose outcome was told to the customer for the first time (Conclude's first outcome
   * email), one per claim, by `outcome`: a decision's outcome (domain/decide.ts `outcomes`).
   */
  claimsConcluded: 'ClaimsConcluded',
  /**
   * Value granted by Conclude, in minor units, by `currency` and `kind` ({@link grantKinds}):
   * each settlement entry once. A later change of a grant's form (a failed refund recovered as
   * credit, a credit taken back as cash) grants no new value and is not counted.
   */
  valueGranted: 'ValueGranted',
} as const;

/**
 * The kinds of value granted, by the account the grant is owed from: cash paid back to the
 * payment method, store credit instead of a refund, and goodwill (bonus, compensation, apology).
 */
export const grantKinds = ['cash_refund', 'store_credit', 'goodwill'] as const satisfies readonly GrantKind[];

/** The name of a business metric counted under the `service` dimension alone. */
export type BusinessMetric = (typeof businessMetrics)['approvalsOverdue' | 'webhookDeliveriesFailed'];
