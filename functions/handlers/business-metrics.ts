/**
 * The business metrics the functions emit (observability.ts) and the alarms watch
 * (infra/operations.ts): namespace `makegood`, dimension `service = makegood`. Plain data, like
 * registry.ts, so the CDK app reads the names without loading Powertools.
 */
export const businessMetrics = {
  namespace: 'makegood',
  service: 'makegood',
  /** An approval tier's wait ended unanswered (the workflow's Escalate step). */
  approvalsOverdue: 'ApprovalsOverdue',
  /** Webhook events given up after their last attempt, and endpoints disabled by a 410 Gone. */
  webhookDeliveriesFailed: 'WebhookDeliveriesFailed',
} as const;

/** The name of a business metric. */
export type BusinessMetric = (typeof businessMetrics)['approvalsOverdue' | 'webhookDeliveriesFailed'];
