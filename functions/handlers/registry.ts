/**
 * The one list of makegood's functions. The CDK app builds a Lambda function from each entry and
 * the embedded runtime imports the same module, so a function added here exists in both modes.
 * This file is plain data: no AWS SDK, no CDK.
 */

/** What a function may touch; the CDK grants exactly this and nothing more. */
export interface FunctionAccess {
  /** `append` may read and PutItem new entries; no role may ever update or delete an entry. */
  readonly ledger: 'none' | 'read' | 'append';
  /**
   * Operational items: idempotency keys, order totals, policies, callback tokens, the webhook
   * outbox. Every function that appends to the ledger writes here too: it stages each entry's event.
   */
  readonly state: 'none' | 'read' | 'readwrite';
  /** `send`: sends email through SES. `status`: only reads SES's account status (the deep health check). */
  readonly mail: 'none' | 'send' | 'status';
  /** `start` starts executions; `callback` answers task tokens; `describe` reads an execution's status. */
  readonly workflow: ReadonlyArray<'start' | 'callback' | 'describe'>;
  /**
   * The secrets it reads (functions/adapters/secrets.ts): `storefronts`, every storefront's
   * signing and webhook secrets; `approval`, the keys of links, cookies and form nonces;
   * `finance`, the finance API's key.
   */
  readonly secrets: readonly SecretKind[];
}

/** A kind of secret, each kept apart so that a function is granted only the kinds it reads. */
export type SecretKind = 'storefronts' | 'approval' | 'finance';

/** An HTTP route in API Gateway HTTP API syntax. */
export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'HEAD';
  readonly path: string;
}

/** One Lambda function. */
export interface FunctionSpec {
  /** Stable PascalCase construct id. */
  readonly id: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** HTTP routes this function serves, if it is an API function. */
  readonly routes?: readonly HttpRoute[];
  /** The `${…}` placeholder that stands for this function's ARN in the ASL, if it is a workflow task. */
  readonly aslPlaceholder?: string;
  /**
   * What else invokes it: new ledger entries (the table's stream) and a schedule. The embedded
   * runtime invokes it every `pollMs` instead.
   */
  readonly wakes?: { readonly onLedgerEntries: boolean; readonly everyMinutes: number; readonly pollMs: number };
  /**
   * Invoked with Step Functions' status change event when an execution fails, times out or is
   * aborted: by an EventBridge rule on AWS, by the engine embedded.
   */
  readonly onExecutionEnd?: true;
  /**
   * Invoked with SES's bounce and complaint events for the emails makegood sent: by an EventBridge
   * rule on AWS (infra/email.ts), by the SES emulator embedded.
   */
  readonly onMailFeedback?: true;
  /** @default 25 s for a workflow task, 29 s for an API function */
  readonly timeoutSeconds?: number;
  /**
   * What it may hold of the account's concurrency when the deployment reserves concurrency
   * (context `makegood:reservedConcurrency`, infra/makegood-app.ts); {@link concurrencyOf}.
   * @default `capped` for an API function, `shared` for every other
   */
  readonly concurrency?: FunctionConcurrency;
  readonly access: FunctionAccess;
}

/**
 * - `single`: one copy at a time (reserved concurrency 1): a sweep whose copies would race each
 *   other, should EventBridge deliver its schedule twice.
 * - `capped`: at most the deployment's cap (reserved concurrency N), so that a flood of it
 *   cannot take the concurrency the workflow's steps need.
 * - `shared`: nothing reserved; it draws on the account's unreserved pool, which the caps protect
 *   (the workflow's tasks: a cap of their own would throttle claims).
 */
export type FunctionConcurrency = 'single' | 'capped' | 'shared';

/** A function's concurrency: its own, or the default by its kind. */
export function concurrencyOf(spec: FunctionSpec): FunctionConcurrency {
  return spec.concurrency ?? (spec.routes !== undefined && spec.routes.length > 0 ? 'capped' : 'shared');
}

/** Every function's memory in MB: what Lambda bills its duration at (GB-s), and what the cost benchmark prices. */
export const FUNCTION_MEMORY_MB = 256;

export const functionSpecs: readonly FunctionSpec[] = [
  {
    id: 'Intake',
    entry: 'functions/handlers/intake.ts',
    routes: [{ method: 'POST', path: '/v1/claims' }],
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['start'], secrets: ['storefronts'] },
  },
  {
    id: 'ClaimStatus',
    entry: 'functions/handlers/claim-status.ts',
    routes: [{ method: 'GET', path: '/v1/claims/{claimId}' }],
    access: { ledger: 'read', state: 'none', mail: 'none', workflow: [], secrets: ['storefronts'] },
  },
  {
    id: 'Returns',
    entry: 'functions/handlers/returns.ts',
    routes: [{ method: 'POST', path: '/v1/claims/{claimId}/returns' }],
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['callback'], secrets: ['storefronts'] },
  },
  {
    id: 'ActionList',
    entry: 'functions/handlers/actions.ts',
    routes: [{ method: 'GET', path: '/v1/actions' }],
    access: { ledger: 'none', state: 'read', mail: 'none', workflow: [], secrets: ['storefronts'] },
  },
  {
    id: 'ActionReport',
    entry: 'functions/handlers/action-report.ts',
    routes: [
      { method: 'POST', path: '/v1/claims/{claimId}/actions/{actionId}' },
      { method: 'POST', path: '/v1/claims/{claimId}/actions/{actionId}/cash' },
    ],
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['storefronts', 'approval'] },
  },
  {
    id: 'ApprovalPage',
    entry: 'functions/handlers/approval-page.ts',
    routes: [
      { method: 'GET', path: '/approvals/{token}' },
      { method: 'HEAD', path: '/approvals/{token}' },
      { method: 'POST', path: '/approvals/{token}' },
    ],
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['callback'], secrets: ['approval'] },
  },
  {
    id: 'CustomerStatus',
    entry: 'functions/handlers/status-page.ts',
    routes: [
      { method: 'GET', path: '/c/{token}' },
      { method: 'HEAD', path: '/c/{token}' },
    ],
    access: { ledger: 'read', state: 'read', mail: 'none', workflow: [], secrets: ['approval'] },
  },
  {
    id: 'Console',
    entry: 'functions/handlers/console.ts',
    routes: [
      { method: 'GET', path: '/console' },
      { method: 'HEAD', path: '/console' },
      { method: 'POST', path: '/console/login' },
      { method: 'GET', path: '/console/login/{token}' },
      { method: 'HEAD', path: '/console/login/{token}' },
      { method: 'POST', path: '/console/login/{token}' },
      { method: 'POST', path: '/console/logout' },
      { method: 'GET', path: '/console/claims/{claimId}' },
      { method: 'HEAD', path: '/console/claims/{claimId}' },
      { method: 'POST', path: '/console/claims/{claimId}/decision' },
      { method: 'POST', path: '/console/followups/{followUpId}/close' },
    ],
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: ['callback'], secrets: ['approval'] },
  },
  {
    id: 'Ledger',
    entry: 'functions/handlers/ledger.ts',
    routes: [{ method: 'GET', path: '/v1/ledger' }],
    access: { ledger: 'read', state: 'read', mail: 'none', workflow: [], secrets: ['finance'] },
  },
  {
    id: 'Health',
    entry: 'functions/handlers/health.ts',
    // Public, so it calls nothing: a flood of it costs no table read and no SES call.
    routes: [{ method: 'GET', path: '/health' }],
    access: { ledger: 'none', state: 'none', mail: 'none', workflow: [], secrets: [] },
  },
  {
    id: 'HealthDeep',
    entry: 'functions/handlers/health-deep.ts',
    routes: [{ method: 'GET', path: '/health/deep' }],
    // `secrets`: the finance key it requires.
    access: { ledger: 'read', state: 'read', mail: 'status', workflow: [], secrets: ['finance'] },
  },
  {
    id: 'ApiDocs',
    entry: 'functions/handlers/api-docs.ts',
    routes: [
      { method: 'GET', path: '/openapi.json' },
      { method: 'GET', path: '/docs' },
    ],
    access: { ledger: 'none', state: 'none', mail: 'none', workflow: [], secrets: [] },
  },
  {
    id: 'Assess',
    entry: 'functions/handlers/assess.ts',
    aslPlaceholder: 'AssessFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: [] },
  },
  {
    id: 'RequestApproval',
    entry: 'functions/handlers/request-approval.ts',
    aslPlaceholder: 'RequestApprovalFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['approval'] },
  },
  {
    id: 'RemindApprovers',
    entry: 'functions/handlers/remind-approvers.ts',
    aslPlaceholder: 'RemindApproversFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['approval'] },
  },
  {
    id: 'Escalate',
    entry: 'functions/handlers/escalate.ts',
    aslPlaceholder: 'EscalateFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['approval'] },
  },
  {
    id: 'AwaitReturn',
    entry: 'functions/handlers/await-return.ts',
    aslPlaceholder: 'AwaitReturnFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['approval'] },
  },
  {
    id: 'CloseUnreturned',
    entry: 'functions/handlers/close-unreturned.ts',
    aslPlaceholder: 'CloseUnreturnedFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['approval'] },
  },
  {
    id: 'Conclude',
    entry: 'functions/handlers/conclude.ts',
    aslPlaceholder: 'ConcludeFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['approval'] },
  },
  {
    id: 'RecordFailure',
    entry: 'functions/handlers/record-failure.ts',
    aslPlaceholder: 'RecordFailureFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: [] },
  },
  {
    id: 'ExecutionEnded',
    entry: 'functions/handlers/execution-ended.ts',
    onExecutionEnd: true,
    // Invoked asynchronously, so a throttled event waits in Lambda's queue: a burst of failed
    // executions (a bad deploy) is recorded at the cap's pace instead of starving the live claims.
    concurrency: 'capped',
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: [] },
  },
  {
    id: 'MailFeedback',
    entry: 'functions/handlers/mail-feedback.ts',
    onMailFeedback: true,
    // Appends the bounce or complaint and writes the suppression list (state); sends nothing.
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: [] },
  },
  {
    id: 'DispatchWebhooks',
    entry: 'functions/handlers/dispatch-webhooks.ts',
    wakes: { onLedgerEntries: true, everyMinutes: 1, pollMs: 250 },
    // A lane run sends at most five rounds of attempts, each bounded by the delivery timeout.
    timeoutSeconds: 300,
    // Up to ten stream batches per shard at once, each up to 5 minutes on hanging receivers: capped,
    // so slow receivers cannot take the workflow's concurrency. The outbox is the record: a
    // throttled wake-up loses nothing, and the minute schedule runs the lanes again.
    concurrency: 'capped',
    access: { ledger: 'read', state: 'readwrite', mail: 'none', workflow: [], secrets: ['storefronts'] },
  },
  {
    id: 'SweepClaims',
    entry: 'functions/handlers/sweep-claims.ts',
    wakes: { onLedgerEntries: false, everyMinutes: 5, pollMs: 5_000 },
    concurrency: 'single',
    // `describe`: an automatic retry recorded but not started (a crash in between) asks for its execution.
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['start', 'describe'], secrets: [] },
  },
  {
    id: 'RemindFollowUps',
    entry: 'functions/handlers/remind-followups.ts',
    wakes: { onLedgerEntries: false, everyMinutes: 5, pollMs: 2_000 },
    // Two copies at once could both email a reminder before either records it.
    concurrency: 'single',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: ['approval'] },
  },
];
