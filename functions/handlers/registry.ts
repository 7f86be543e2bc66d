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
  /** Reads the secrets document (storefront secrets, approval key, finance key). */
  readonly secrets: boolean;
}

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
  /** @default 25 s for a workflow task, 29 s for an API function */
  readonly timeoutSeconds?: number;
  readonly access: FunctionAccess;
}

export const functionSpecs: readonly FunctionSpec[] = [
  {
    id: 'Intake',
    entry: 'functions/handlers/intake.ts',
    routes: [{ method: 'POST', path: '/v1/claims' }],
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['start'], secrets: true },
  },
  {
    id: 'ClaimStatus',
    entry: 'functions/handlers/claim-status.ts',
    routes: [{ method: 'GET', path: '/v1/claims/{claimId}' }],
    access: { ledger: 'read', state: 'none', mail: 'none', workflow: [], secrets: true },
  },
  {
    id: 'Returns',
    entry: 'functions/handlers/returns.ts',
    routes: [{ method: 'POST', path: '/v1/claims/{claimId}/returns' }],
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['callback'], secrets: true },
  },
  {
    id: 'ActionList',
    entry: 'functions/handlers/actions.ts',
    routes: [{ method: 'GET', path: '/v1/actions' }],
    access: { ledger: 'none', state: 'read', mail: 'none', workflow: [], secrets: true },
  },
  {
    id: 'ActionReport',
    entry: 'functions/handlers/action-report.ts',
    routes: [
      { method: 'POST', path: '/v1/claims/{claimId}/actions/{actionId}' },
      { method: 'POST', path: '/v1/claims/{claimId}/actions/{actionId}/cash' },
    ],
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
  {
    id: 'ApprovalPage',
    entry: 'functions/handlers/approval-page.ts',
    routes: [
      { method: 'GET', path: '/approvals/{token}' },
      { method: 'HEAD', path: '/approvals/{token}' },
      { method: 'POST', path: '/approvals/{token}' },
    ],
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['callback'], secrets: true },
  },
  {
    id: 'CustomerStatus',
    entry: 'functions/handlers/status-page.ts',
    routes: [
      { method: 'GET', path: '/c/{token}' },
      { method: 'HEAD', path: '/c/{token}' },
    ],
    access: { ledger: 'read', state: 'read', mail: 'none', workflow: [], secrets: true },
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
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: ['callback'], secrets: true },
  },
  {
    id: 'Ledger',
    entry: 'functions/handlers/ledger.ts',
    routes: [{ method: 'GET', path: '/v1/ledger' }],
    access: { ledger: 'read', state: 'read', mail: 'none', workflow: [], secrets: true },
  },
  {
    id: 'Health',
    entry: 'functions/handlers/health.ts',
    // Public, so it calls nothing: a flood of it costs no table read and no SES call.
    routes: [{ method: 'GET', path: '/health' }],
    access: { ledger: 'none', state: 'none', mail: 'none', workflow: [], secrets: false },
  },
  {
    id: 'HealthDeep',
    entry: 'functions/handlers/health-deep.ts',
    routes: [{ method: 'GET', path: '/health/deep' }],
    // `secrets`: the finance key it requires.
    access: { ledger: 'read', state: 'read', mail: 'status', workflow: [], secrets: true },
  },
  {
    id: 'ApiDocs',
    entry: 'functions/handlers/api-docs.ts',
    routes: [
      { method: 'GET', path: '/openapi.json' },
      { method: 'GET', path: '/docs' },
    ],
    access: { ledger: 'none', state: 'none', mail: 'none', workflow: [], secrets: false },
  },
  {
    id: 'Assess',
    entry: 'functions/handlers/assess.ts',
    aslPlaceholder: 'AssessFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: false },
  },
  {
    id: 'RequestApproval',
    entry: 'functions/handlers/request-approval.ts',
    aslPlaceholder: 'RequestApprovalFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
  {
    id: 'RemindApprovers',
    entry: 'functions/handlers/remind-approvers.ts',
    aslPlaceholder: 'RemindApproversFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
  {
    id: 'Escalate',
    entry: 'functions/handlers/escalate.ts',
    aslPlaceholder: 'EscalateFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
  {
    id: 'AwaitReturn',
    entry: 'functions/handlers/await-return.ts',
    aslPlaceholder: 'AwaitReturnFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
  {
    id: 'CloseUnreturned',
    entry: 'functions/handlers/close-unreturned.ts',
    aslPlaceholder: 'CloseUnreturnedFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
  {
    id: 'Conclude',
    entry: 'functions/handlers/conclude.ts',
    aslPlaceholder: 'ConcludeFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
  {
    id: 'RecordFailure',
    entry: 'functions/handlers/record-failure.ts',
    aslPlaceholder: 'RecordFailureFunctionArn',
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: false },
  },
  {
    id: 'ExecutionEnded',
    entry: 'functions/handlers/execution-ended.ts',
    onExecutionEnd: true,
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: false },
  },
  {
    id: 'DispatchWebhooks',
    entry: 'functions/handlers/dispatch-webhooks.ts',
    wakes: { onLedgerEntries: true, everyMinutes: 1, pollMs: 250 },
    // A lane run sends at most five rounds of attempts, each bounded by the delivery timeout.
    timeoutSeconds: 300,
    access: { ledger: 'read', state: 'readwrite', mail: 'none', workflow: [], secrets: true },
  },
  {
    id: 'SweepClaims',
    entry: 'functions/handlers/sweep-claims.ts',
    wakes: { onLedgerEntries: false, everyMinutes: 5, pollMs: 5_000 },
    // `describe`: an automatic retry recorded but not started (a crash in between) asks for its execution.
    access: { ledger: 'append', state: 'readwrite', mail: 'none', workflow: ['start', 'describe'], secrets: false },
  },
  {
    id: 'RemindFollowUps',
    entry: 'functions/handlers/remind-followups.ts',
    wakes: { onLedgerEntries: false, everyMinutes: 5, pollMs: 2_000 },
    access: { ledger: 'append', state: 'readwrite', mail: 'send', workflow: [], secrets: true },
  },
];
