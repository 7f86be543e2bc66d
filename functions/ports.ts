import type { Action } from '#domain/actions.ts';
import type { OrderFacts } from '#domain/claim.ts';
import type { EmailOverrides } from '#domain/email-templates.ts';
import type { FollowUpReason } from '#domain/followups.ts';
import type { KeyRing } from '#domain/key-ring.ts';
import type { ClaimRef, EntryDraft, LedgerEntry, SuppressionCause } from '#domain/ledger.ts';
import type { Money } from '#domain/money.ts';
import type { Policy, PolicyVersion, Role } from '#domain/policy.ts';
import type { WebhookEventType } from '#domain/webhook-events.ts';

/**
 * The interfaces the use cases need. Adapters implement them (DynamoDB, SES, Step Functions,
 * Secrets Manager or a file); unit tests pass fakes.
 */

/** The time. */
export interface Clock {
  now(): Date;
}

/** The append-only ledger. */
export interface LedgerStore {
  /** A claim's entries, oldest first (strongly consistent). */
  entries(claimId: string): Promise<LedgerEntry[]>;
  /**
   * Appends the next entry of a claim's hash chain. Idempotent by `draft.step`: when that step
   * is already recorded, returns the recorded entry and writes nothing. `known` are the claim's
   * entries as the caller last read them: the first attempt chains onto them without a read, and
   * only a lost race makes the ledger read again.
   */
  append(claim: ClaimRef, draft: EntryDraft, known?: readonly LedgerEntry[]): Promise<LedgerEntry>;
  /** A customer's entries since a time, oldest first (by the customer index, never a scan). */
  customerEntries(storefrontId: string, customerId: string, since: Date): Promise<LedgerEntry[]>;
  /** An order's entries, oldest first (by the order index). */
  orderEntries(storefrontId: string, orderId: string): Promise<LedgerEntry[]>;
  /**
   * A storefront's entries with `from <= at < to`, oldest first, one page at a time (by the
   * storefront-day index). `next` is an opaque cursor for the following page, null at the end.
   * Throws InvalidRequestError for a cursor it did not issue. With `withFiling`, the page also
   * says where each entry is filed (for the audit).
   */
  storefrontEntries(args: {
    storefrontId: string;
    from: Date;
    to: Date;
    cursor?: string;
    limit?: number;
    withFiling?: boolean;
  }): Promise<LedgerPage>;
}

/** Where an entry is stored: the claim and sequence number its key names. */
export interface EntryFiling {
  readonly claimId: string;
  readonly seq: number;
}

/** One page of ledger entries. */
export interface LedgerPage {
  readonly entries: LedgerEntry[];
  readonly next: string | null;
  /** Only when asked (`withFiling`): for each entry, in the same order, where it is filed. */
  readonly filed?: readonly EntryFiling[];
}

/** An idempotency record: the first response to a storefront's key. */
export interface IdempotencyRecord {
  readonly storefrontId: string;
  readonly key: string;
  /** SHA-256 of method, path and body: a different request under the same key is refused. */
  readonly requestHash: string;
  readonly claimId: string;
  readonly statusCode: number;
  readonly body: string;
  readonly createdAt: string;
}

/** A callback the workflow is waiting on. The task token never leaves the server. */
export interface PendingCallback {
  readonly claimId: string;
  readonly kind: 'approval' | 'return';
  readonly taskToken: string;
  /** For approvals: which round and tier the current links are for, and who holds them. */
  readonly round?: number;
  readonly role?: Role;
  readonly approvers?: readonly string[];
  /** When the wait times out (ISO). */
  readonly deadline: string;
  /** What to send back to the workflow when the callback succeeds (besides `next`). */
  readonly resume: { readonly claimId: string; readonly storefrontId: string; readonly returnWaitSeconds?: number };
}

/** How an approval link was used, recorded once. */
export interface ApprovalUse {
  readonly claimId: string;
  readonly round: number;
  readonly decision: 'approve' | 'reject';
  readonly approver: string;
  readonly at: string;
  /**
   * The `approved` or `rejected` entry the answer appends next. Kept with the use, so that when the
   * answer stops between the two writes (a crash), whoever finds the use appends it.
   */
  readonly entry?: Extract<EntryDraft, { type: 'approved' | 'rejected' }>;
}

/** Automatic retries of claims failed on a transient error: the first delay, tripled each round, for so many rounds. */
export interface AutoRetrySettings {
  readonly firstDelayMs: number;
  readonly rounds: number;
}

/** A failed claim waiting for its automatic retry (see `usecases/retry-claim.ts`). */
export interface ScheduledRetry {
  readonly claimId: string;
  readonly storefrontId: string;
  /** Which failure of the claim it retries (1 for its first). */
  readonly round: number;
  readonly at: string;
}

/** A storefront's settings. Its secret lives in {@link Secrets}. */
export interface Storefront {
  readonly id: string;
  readonly name: string;
  readonly mailFrom?: string;
  readonly replyTo?: string;
  /** The shop's wording of its customer emails, per locale and outcome (validated by `parseEmailOverrides`). */
  readonly emailOverrides?: EmailOverrides;
  /** Where customers send returned goods (multi-line postal address), named in the return instructions. */
  readonly returnAddress?: string;
  /** Where the storefront's webhook events go; the signing secret is in {@link Secrets}. */
  readonly webhook?: WebhookEndpoint;
}

/** A storefront's webhook endpoint. */
export interface WebhookEndpoint {
  /** `https://…` (or `http://` on loopback, for the embedded mode). */
  readonly url: string;
  /** Set when the receiver answered 410 Gone: nothing is sent until the endpoint is set again. */
  readonly disabledAt?: string;
  readonly disabledReason?: string;
}

/** Which claims hold which units of an order: by coverage key (a sku, or `goodwill#<reason>`), units per claim. */
export type OrderCoverage = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** One line of a claim's holding: `quantity` units of `key`, of which the order has `limit`. */
export interface UnitHold {
  readonly key: string;
  readonly quantity: number;
  readonly limit: number;
}

/** One goodwill grant to a customer, as the stored budget keeps it. */
export interface GoodwillGrant {
  readonly grantId: string;
  readonly amount: number;
  readonly at: string;
}

/** An order's running total: what was granted on it, by which claims. */
export interface OrderTotal {
  readonly granted: number;
  readonly paid: number;
  readonly currency: string;
  /** The claims whose grants are in `granted`. */
  readonly claims: readonly string[];
}

/** Operational state that changes: never ledger entries. */
export interface StateStore {
  /**
   * Records the first response to a key; returns the existing record when the key was used. A new
   * record also enters the storefront's queue of unstarted claims, until {@link workflowStarted}.
   */
  rememberIdempotencyKey(record: IdempotencyRecord): Promise<{ created: true } | { created: false; existing: IdempotencyRecord }>;
  /** Takes a claim out of the queue of unstarted claims: its workflow has started. Harmless when it is not queued. */
  workflowStarted(storefrontId: string, idempotencyKey: string): Promise<void>;
  /**
   * Claims whose workflow was not yet known to have started, recorded before `before`, oldest
   * first, at most `limit` (by the sparse index, never a scan).
   */
  unstartedClaims(storefrontId: string, before: Date, limit: number): Promise<IdempotencyRecord[]>;
  /** Queues a failed claim for an automatic retry at `at` (replacing one queued before). */
  scheduleRetry(retry: ScheduledRetry): Promise<void>;
  /** Failed claims whose automatic retry is due by `now`, soonest first, at most `limit`. */
  dueRetries(storefrontId: string, now: Date, limit: number): Promise<ScheduledRetry[]>;
  /** Takes a claim's automatic retry out of the queue (it ran, or is no longer wanted). */
  retryDone(claimId: string): Promise<void>;
  /**
   * Adds a grant of refund value (cash plus credit instead of cash, never goodwill) to the order's
   * running total, with a conditional write that refuses to go above `paid` (the pinned facts').
   * Idempotent per `grantId` (the claim id, with `#<round>` for a later round of the same claim).
   * Throws OverRefundError when it would exceed.
   */
  grantOnOrder(args: { storefrontId: string; orderId: string; grantId: string; amount: Money; paid: Money }): Promise<void>;
  /** Refund value granted on an order so far. */
  orderGranted(storefrontId: string, orderId: string, currency: string): Promise<Money>;
  /** The facts the order's first accepted claim pinned, if any. */
  orderFacts(storefrontId: string, orderId: string): Promise<OrderFacts | undefined>;
  /** Many orders' pinned facts at once (batched reads), by order id; orders without any are absent. */
  orderFactsMany(storefrontId: string, orderIds: readonly string[]): Promise<Map<string, OrderFacts>>;
  /**
   * Pins an order's facts when none are (a conditional put), or adds a `deliveredAt` that the
   * pinned facts lack. Returns the facts as pinned afterwards; the caller compares.
   */
  pinOrderFacts(storefrontId: string, facts: OrderFacts): Promise<OrderFacts>;
  /** Which claims hold which units of the order. */
  orderCoverage(storefrontId: string, orderId: string): Promise<OrderCoverage>;
  /**
   * Sets, in one conditional write over the order's coverage, how many units of each key the
   * claim holds (0 releases). Every line must fit: other claims' units plus `quantity` at most
   * `limit`; when one does not, nothing is written and the keys that did not fit are returned.
   * Idempotent: setting what is already held succeeds.
   */
  holdUnits(args: {
    storefrontId: string;
    orderId: string;
    claimId: string;
    lines: readonly UnitHold[];
  }): Promise<{ ok: true } | { ok: false; full: string[] }>;
  /** A customer's goodwill grants in one currency (the stored budget), oldest first. */
  goodwillGrants(storefrontId: string, customerId: string, currency: string): Promise<GoodwillGrant[]>;
  /**
   * Records a goodwill grant against the customer's rolling budget by a conditional write: the
   * grants of the last `windowDays` (this `grantId` left out) plus `amount` may not pass `budget`.
   * Idempotent per `grantId`; a grant under the same id with another amount replaces it (a
   * settlement refused and decided again). Throws OverRefundError when the budget would be passed.
   */
  grantGoodwill(args: {
    storefrontId: string;
    customerId: string;
    grantId: string;
    amount: Money;
    at: Date;
    windowDays: number;
    budget: Money | undefined;
  }): Promise<void>;
  /** The order's running total as stored (for the ledger audit), undefined when nothing was granted. */
  orderTotal(storefrontId: string, orderId: string): Promise<OrderTotal | undefined>;
  /** Many orders' running totals at once (batched reads), by order id; orders without one are absent. */
  orderTotals(storefrontId: string, orderIds: readonly string[]): Promise<Map<string, OrderTotal>>;
  /** The storefront's newest policy. */
  currentPolicy(storefrontId: string): Promise<PolicyVersion | undefined>;
  /** Publishes a new policy version (the previous ones stay). */
  publishPolicy(storefrontId: string, policy: Policy, at: Date): Promise<PolicyVersion>;
  /** One published version of the storefront's policy (by Query on its key, never a scan). */
  policyVersion(storefrontId: string, version: number): Promise<PolicyVersion | undefined>;
  /** Every published version of the storefront's policy, oldest first (by Query, never a scan). */
  listPolicyVersions(storefrontId: string): Promise<PolicyVersion[]>;
  storefront(storefrontId: string): Promise<Storefront | undefined>;
  putStorefront(storefront: Storefront): Promise<void>;
  /**
   * Disables the storefront's webhook endpoint (the receiver answered 410 Gone), only while it is
   * still `url`: an endpoint set again meanwhile stays enabled.
   */
  disableWebhook(storefrontId: string, url: string, at: Date, reason: string): Promise<void>;
  /** The ids of every storefront with settings. */
  storefronts(): Promise<string[]>;
  /** Stores (or replaces) the callback a claim is waiting on. */
  putCallback(callback: PendingCallback): Promise<void>;
  callback(claimId: string): Promise<PendingCallback | undefined>;
  /** Records an approval link's use once; returns the existing use when it was already used. */
  useApproval(use: ApprovalUse): Promise<{ first: true } | { first: false; existing: ApprovalUse }>;
  /** Reads a recorded approval use. */
  approvalUse(claimId: string, round: number): Promise<ApprovalUse | undefined>;
  /**
   * Keeps the index of a claim's action current: the action as its entries now describe it, under
   * `revision` (how many of its entries it reflects: asked, answered, followed). A put with an
   * older revision than the stored one changes nothing, so a late writer cannot undo a newer
   * state. Only `requested` actions are in the storefront's queue.
   */
  putAction(action: Action, revision: number): Promise<void>;
  /**
   * A page of a storefront's actions still `requested`, oldest first (by a sparse index, never a
   * scan; the index may trail the ledger by a moment). Throws InvalidRequestError for a cursor it
   * did not issue.
   */
  requestedActions(storefrontId: string, args: { cursor?: string; limit: number }): Promise<{ actions: Action[]; next: string | null }>;
  /**
   * Takes a claim's step for `holder` until `until`, so that of several requests doing the same
   * step at once (the same report sent twice) one does it: an email sent once, a bonus granted
   * once. False while another holds it; a lease that ran out (its holder crashed) can be taken.
   */
  leaseStep(claimId: string, step: string, holder: string, until: Date, now: Date): Promise<boolean>;
  /**
   * Keeps a claim's entry in a work queue of people current: an approval round waiting for a
   * tier, or a follow-up task. Like {@link putAction}, a put at an older `revision` than the
   * stored one changes nothing; only `open` items are in the storefront's queue (a sparse index,
   * soonest `due` first).
   */
  putWork(item: WorkItem, revision: number): Promise<void>;
  /** Every open item of one kind in a storefront's queue, soonest due first (by the sparse index, never a scan). */
  openWork(storefrontId: string, kind: WorkItem['kind']): Promise<WorkItem[]>;
  /** The work items a claim has (open or not). */
  claimWork(claimId: string): Promise<WorkItem[]>;
  /**
   * Spends a single-use id (a sign-in link, a form nonce) by a conditional write: true the first
   * time, false ever after. The record is kept until `expiresAt`, past which the id's token no
   * longer opens anyway.
   */
  useOnce(id: string, expiresAt: Date): Promise<boolean>;
  /** Whether {@link useOnce} spent this id already (a consistent read; writes nothing). */
  wasUsed(id: string): Promise<boolean>;
  /** Stores a console session (it lasts until `expiresAt`, or until {@link endSession}). */
  putSession(session: StoredSession): Promise<void>;
  /** A console session that has not ended, or undefined. */
  session(sessionId: string): Promise<StoredSession | undefined>;
  endSession(sessionId: string): Promise<void>;
  /** A cheap read that proves the table answers. */
  ping(): Promise<void>;
  /** The address's entry on the suppression list (by `addressKey`, never the address), if it is on it. */
  suppression(addressKey: string): Promise<Suppression | undefined>;
  /** Puts an address on the suppression list by a conditional put: its first suppression is kept, a later one changes nothing. */
  suppress(suppression: Suppression): Promise<void>;
}

/**
 * An address makegood no longer mails, for every storefront: it bounced for good or its owner
 * complained (see `usecases/mail-feedback.ts`). Kept by the address's hash, with the email that
 * caused it.
 */
export interface Suppression {
  /** `addressKey(address)`: SHA-256 of the normalised address. */
  readonly addressKey: string;
  readonly cause: SuppressionCause;
  /** When the bounce or complaint happened (ISO). */
  readonly since: string;
  /** The claim and ledger step of the email that bounced or was complained about. */
  readonly claimId: string;
  readonly step: string;
}

/**
 * An item in a work queue of people: an approval round waiting for a tier (`approval`, one per
 * claim, rewritten each round), or a follow-up task (`followup`, one per task). `due` orders the
 * queue; `role` and `approvers` say whose it is.
 */
export interface WorkItem {
  readonly kind: 'approval' | 'followup';
  /** The claim's `approval`, or the follow-up's id. */
  readonly id: string;
  readonly claimId: string;
  readonly storefrontId: string;
  readonly orderId: string;
  readonly role: Role;
  readonly approvers: readonly string[];
  readonly due: string;
  readonly status: 'open' | 'done';
  /** approval: the round; followup: its reason. */
  readonly round?: number;
  readonly reason?: FollowUpReason;
  /** The value at stake (approval: the proposal). */
  readonly value?: Money;
  /** followup: when its approvers were reminded. */
  readonly remindedAt?: string;
}

/** A console session as stored: who, for which storefront, until when. */
export interface StoredSession {
  readonly sessionId: string;
  readonly storefrontId: string;
  readonly email: string;
  readonly expiresAt: number;
}

/** Where an event stands: waiting to be sent, sent, given up on, or not to be sent at all. */
export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'voided' | 'skipped';

/**
 * A webhook event waiting in (or gone through) the outbox. It is staged, keyed by claim and step,
 * before the ledger entry it reports is appended; the event id and body are fixed from that entry
 * on the first attempt, so every attempt sends the same bytes.
 */
export interface OutboxEvent {
  readonly storefrontId: string;
  readonly claimId: string;
  /** The ledger step whose entry this event reports. */
  readonly step: string;
  readonly type: WebhookEventType;
  readonly status: OutboxStatus;
  /** When it was staged (ISO). */
  readonly stagedAt: string;
  /** Retries stop this long after `windowStart` (staging, or the last redelivery). */
  readonly windowStart: string;
  /** When it is next due, while pending (ISO). */
  readonly dueAt?: string;
  readonly attempts: number;
  /** `evt_<claim>_<seq>` once its entry was found. */
  readonly eventId?: string;
  /** The exact body sent, once fixed. */
  readonly payload?: string;
  readonly lastAttemptAt?: string;
  /** What the last attempt got: `HTTP 500`, `timeout after 10000 ms`, … */
  readonly lastResult?: string;
  readonly deliveredAt?: string;
}

/** What a dispatcher writes back after working on an event it holds the lease of. */
export interface OutboxUpdate {
  readonly status: OutboxStatus;
  readonly dueAt?: Date;
  readonly attempts: number;
  readonly eventId?: string;
  readonly payload?: string;
  readonly lastAttemptAt?: Date;
  readonly lastResult?: string;
  readonly deliveredAt?: Date;
}

/** The durable store of webhook events, and the leases that keep two dispatchers apart. */
export interface Outbox {
  /**
   * Stages the event of a claim's step, once: a step staged again changes nothing, except that an
   * event voided because its entry never appeared is pending again.
   */
  stage(event: { storefrontId: string; claimId: string; step: string; type: WebhookEventType; at: Date }): Promise<void>;
  /** A storefront's pending events due by `now`, oldest due first. */
  due(storefrontId: string, now: Date, limit: number): Promise<OutboxEvent[]>;
  /** A storefront's events in one state (`pending` or `failed`), oldest first. */
  list(storefrontId: string, status: 'pending' | 'failed', limit: number): Promise<OutboxEvent[]>;
  /** Every event of a claim. */
  claimEvents(claimId: string): Promise<OutboxEvent[]>;
  /**
   * Takes the storefront's delivery lane until `until`, so that one dispatcher at a time sends to
   * an endpoint (which bounds the work in flight per endpoint). False when another holds it.
   */
  takeLane(storefrontId: string, holder: string, until: Date, now: Date): Promise<boolean>;
  releaseLane(storefrontId: string, holder: string): Promise<void>;
  /**
   * Takes one pending event that is due by `now` until `until`, and returns it as stored (the
   * index it was found by may lag behind); undefined when it is no longer pending, not due yet, or
   * another holds it.
   */
  lease(event: OutboxEvent, holder: string, until: Date, now: Date): Promise<OutboxEvent | undefined>;
  /** Writes back the result of an attempt; ignored when the lease was lost meanwhile. */
  settle(event: OutboxEvent, holder: string, update: OutboxUpdate): Promise<void>;
  /** Makes an event pending again, due now, with a new retry window and its attempts counted from nought. */
  redeliver(event: OutboxEvent, now: Date): Promise<void>;
}

/** Sends one signed webhook request. */
export interface WebhookSender {
  /**
   * POSTs `body` to `url` with the Standard Webhooks headers, signed with each of `secrets` (one
   * signature per secret in `webhook-signature`, as during a rotation), giving up after
   * `timeoutMs`. Never throws for the receiver's faults: they are results.
   */
  send(request: {
    url: string;
    secrets: readonly string[];
    eventId: string;
    timestamp: Date;
    body: string;
    timeoutMs: number;
  }): Promise<
    | { readonly kind: 'answered'; readonly status: number }
    | { readonly kind: 'timeout' }
    | { readonly kind: 'unreachable'; readonly message: string }
  >;
}

/** How webhooks are delivered (configuration). */
export interface WebhookSettings {
  /** How long one attempt may take. */
  readonly timeoutMs: number;
  /** Requests in flight per endpoint at most. */
  readonly maxInFlight: number;
  /** Retries stop this long after the event was staged (3 days by default). */
  readonly retryForMs: number;
  /** The first retry waits up to this long; each later one up to twice the one before (full jitter). */
  readonly firstRetryMs: number;
  /** No wait between attempts is longer than this. */
  readonly maxRetryMs: number;
}

/** One outgoing email. */
export interface OutgoingEmail {
  readonly from: string;
  readonly replyTo?: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Names the email among all makegood sends (`<claimId>/<step>`): sent as a header, and asked for by {@link Mailer.sentBefore}. */
  readonly idempotencyKey?: string;
}

/** Sends email. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  /**
   * The message id of an email sent before under this key, when the mail service can tell (the
   * embedded mailbox can; SES cannot, and says undefined): a step re-run after a crash between
   * its send and its record finds its email sent instead of sending it again.
   */
  sentBefore(idempotencyKey: string): Promise<string | undefined>;
  /** A cheap call that proves the mail service answers. */
  ping(): Promise<void>;
}

/** The workflow engine (Step Functions, or the embedded runner behind the same API). */
export interface Workflow {
  /** Starts the claim's execution, named by the claim id; starting it again is harmless. */
  start(name: string, input: object): Promise<void>;
  /** Resumes a waiting task; `gone` when the task no longer waits (timed out, already answered). */
  succeed(taskToken: string, output: object): Promise<'ok' | 'gone'>;
  /** Where the execution of that name stands (`RUNNING`, `SUCCEEDED`, `FAILED`, …); undefined when none was started. */
  status(name: string): Promise<string | undefined>;
}

/** Secrets: storefront signing and webhook secrets, the approval keys and the finance key. */
export interface Secrets {
  /** The storefront's request-signing secrets in force (two during a rotation's grace period); none for an unknown storefront. */
  storefrontSigningSecrets(storefrontId: string): Promise<string[]>;
  /** The keys that seal and open links, cookies and form nonces. */
  approvalKeys(): Promise<KeyRing>;
  /** Undefined until configured: nothing may then authenticate as finance. */
  financeKey(): Promise<string | undefined>;
  /** The storefront's webhook signing secrets in force (`whsec_…`, newest first); each signs every delivery. */
  webhookSecrets(storefrontId: string): Promise<string[]>;
}

/** Everything a use case may need; each takes only what it uses. */
export interface Deps {
  readonly ledger: LedgerStore;
  readonly state: StateStore;
  readonly mailer: Mailer;
  readonly workflow: Workflow;
  readonly secrets: Secrets;
  readonly clock: Clock;
  readonly outbox: Outbox;
  readonly webhookSender: WebhookSender;
  readonly webhooks: WebhookSettings;
  /** How a claim that failed on a transient error is retried by itself (see `automaticRetryAt`). */
  readonly autoRetry: AutoRetrySettings;
  /** Sender used when a storefront sets none. */
  readonly mailFrom: string;
  /** Public base URL of the API, for links in emails. */
  readonly publicUrl: string | undefined;
}
