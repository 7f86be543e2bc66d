import type { OrderFacts } from '#domain/claim.ts';
import type { EmailOverrides } from '#domain/email-templates.ts';
import type { ClaimRef, EntryDraft, LedgerEntry } from '#domain/ledger.ts';
import type { Money } from '#domain/money.ts';
import type { Policy, PolicyVersion, Role } from '#domain/policy.ts';

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
  /** Records the first response to a key; returns the existing record when the key was used. */
  rememberIdempotencyKey(record: IdempotencyRecord): Promise<{ created: true } | { created: false; existing: IdempotencyRecord }>;
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
  /** The ids of every storefront with settings. */
  storefronts(): Promise<string[]>;
  /** Stores (or replaces) the callback a claim is waiting on. */
  putCallback(callback: PendingCallback): Promise<void>;
  callback(claimId: string): Promise<PendingCallback | undefined>;
  /** Records an approval link's use once; returns the existing use when it was already used. */
  useApproval(use: ApprovalUse): Promise<{ first: true } | { first: false; existing: ApprovalUse }>;
  /** Reads a recorded approval use. */
  approvalUse(claimId: string, round: number): Promise<ApprovalUse | undefined>;
  /** A cheap read that proves the table answers. */
  ping(): Promise<void>;
}

/** One outgoing email. */
export interface OutgoingEmail {
  readonly from: string;
  readonly replyTo?: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Sends email. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  /** A cheap call that proves the mail service answers. */
  ping(): Promise<void>;
}

/** The workflow engine (Step Functions, or the embedded runner behind the same API). */
export interface Workflow {
  /** Starts the claim's execution, named by the claim id; starting it again is harmless. */
  start(name: string, input: object): Promise<void>;
  /** Resumes a waiting task; `gone` when the task no longer waits (timed out, already answered). */
  succeed(taskToken: string, output: object): Promise<'ok' | 'gone'>;
}

/** Secrets: storefront signing secrets, the approval-link key and the finance key. */
export interface Secrets {
  storefrontSecret(storefrontId: string): Promise<string | undefined>;
  approvalKey(): Promise<Buffer>;
  /** Undefined until configured: nothing may then authenticate as finance. */
  financeKey(): Promise<string | undefined>;
}

/** Everything a use case may need; each takes only what it uses. */
export interface Deps {
  readonly ledger: LedgerStore;
  readonly state: StateStore;
  readonly mailer: Mailer;
  readonly workflow: Workflow;
  readonly secrets: Secrets;
  readonly clock: Clock;
  /** Sender used when a storefront sets none. */
  readonly mailFrom: string;
  /** Public base URL of the API, for links in emails. */
  readonly publicUrl: string | undefined;
}
