/**
 * The shapes of the makegood HTTP API v1 as a storefront sends and reads them. Plain interfaces,
 * declared here rather than imported, so that the client stays a few self-contained files a shop
 * can use without the server's code. They mirror `functions/domain/claim.ts` (requests) and
 * `functions/usecases/claim-status.ts` (responses).
 */

/** Why the customer complains. */
export type Reason =
  | 'damaged'
  | 'defective'
  | 'not_as_described'
  | 'wrong_item'
  | 'missing_item'
  | 'late_delivery'
  | 'not_received'
  | 'changed_mind'
  | 'other';

/** What the customer asks for; the policy may choose otherwise and says why. */
export type DesiredOutcome = 'refund' | 'return' | 'replacement' | 'store_credit' | 'apology';

/** How the complaint reached the shop. */
export type Channel = 'web' | 'email' | 'phone' | 'chat' | 'letter';

/** A claim's status. */
export type ClaimStatus = 'received' | 'assessing' | 'awaiting_approval' | 'awaiting_return' | 'settled' | 'rejected' | 'closed' | 'failed';

/** What the policy decided. */
export type Outcome = 'refund_without_return' | 'return_and_refund' | 'replacement' | 'store_credit' | 'goodwill' | 'rejected';

/** Who must approve a decision: `auto` needs nobody. */
export type Role = 'auto' | 'agent' | 'supervisor' | 'finance';

/** The condition a returned unit arrives in. */
export type ReturnCondition = 'as_new' | 'used' | 'damaged';

/** An amount in integer minor units of an ISO 4217 currency: `{ amount: 2750, currency: 'EUR' }` is €27.50. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Units of one SKU. */
export interface Units {
  readonly sku: string;
  readonly quantity: number;
}

/** What the shop must do: pay a refund, issue store credit, ship a replacement. */
export type ActionType = 'refund' | 'store_credit' | 'replacement';

/** What the shop answered for an action (its first answer; an action has one). */
export interface ActionResult {
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly at: string;
  readonly by: string;
  readonly provider?: string;
  readonly reference?: string;
  readonly amount?: Money;
  readonly creditCode?: string;
  readonly tracking?: string;
  readonly failureReason?: string;
}

/** One thing the shop must do for a claim, and its answer. Report its result with `reportAction`. */
export interface Action {
  readonly actionId: string;
  readonly claimId: string;
  readonly orderId: string;
  readonly type: ActionType;
  readonly status: 'requested' | 'succeeded' | 'failed' | 'cancelled';
  /** Cash to refund or credit to issue; zero for a replacement. */
  readonly amount: Money;
  /** For store credit: the part that is a bonus. */
  readonly goodwill?: Money;
  readonly items: readonly Units[];
  readonly requestedAt: string;
  readonly reference: string | null;
  /** A refund given instead of this store-credit action. */
  readonly replaces?: string;
  /** Void this credit code before paying the refund. */
  readonly revokeCreditCode?: string;
  /** The failed refund this store credit recovers. */
  readonly recovers?: string;
  readonly followedBy?: string;
  readonly result?: ActionResult;
}

/** One line of the order, as the shop sold it. */
export interface OrderItem {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly quantity: number;
  /** Integer minor units of `order.currency`. */
  readonly unitPrice: number;
}

/** The body of `POST /v1/claims`. Unknown fields are refused with a 400. */
export interface ClaimRequest {
  readonly order: {
    readonly id: string;
    /** ISO 8601 with offset, e.g. `2026-11-01T10:00:00Z`. */
    readonly placedAt: string;
    readonly deliveredAt?: string;
    /** ISO 4217, e.g. `EUR`. */
    readonly currency: string;
    /** What the customer paid, shipping included, in minor units. */
    readonly paid: number;
    /** @default 0 */
    readonly shipping?: number;
    readonly items: readonly OrderItem[];
  };
  readonly customer: {
    readonly id: string;
    readonly email: string;
    readonly name: string;
    /** BCP-47; `en`, `uk`, `ru` and `eo` are rendered natively, others fall back to `en`. */
    readonly locale: string;
  };
  readonly complaint: {
    readonly reason: Reason;
    readonly items: readonly Units[];
    readonly desiredOutcome: DesiredOutcome;
    /** @default '' */
    readonly message?: string;
    readonly channel: Channel;
    /** http(s) URLs of photos and documents. @default [] */
    readonly evidence?: readonly string[];
  };
}

/** The answer to `POST /v1/claims` (202), plus what the client knows about the exchange. */
export interface CreatedClaim {
  readonly claimId: string;
  readonly status: ClaimStatus;
  /** `GET` it (signed) to follow the claim. */
  readonly statusUrl: string;
  /** True when the server answered with the response of an earlier request with the same key. */
  readonly replayed: boolean;
  /** The `Idempotency-Key` that was sent: keep it to send the same claim again safely. */
  readonly idempotencyKey: string;
}

/** One rule that fired: a stable id and a sentence a merchant understands. */
export interface FiredRule {
  readonly id: string;
  readonly text: string;
}

/** A claim's current decision, as amended by an approver who approved a lower amount. */
export interface Decision {
  readonly outcome: Outcome;
  /** Paid back to the customer's payment method. */
  readonly cash: Money;
  /** Store credit granted, bonus and goodwill included. */
  readonly storeCredit: Money;
  /** The part of `storeCredit` that is goodwill, not a refund. */
  readonly goodwill: Money;
  /** The goods must come back before the money is granted. */
  readonly returnRequired: boolean;
  readonly tier: Role;
  readonly policyVersion: number;
  /** Every rule that fired, in the order it was applied. */
  readonly rules: readonly FiredRule[];
  /** For a rejection, or when the customer's wish was not granted: what is offered instead. */
  readonly alternative?: FiredRule;
  /** The order units this decision covers. */
  readonly units: readonly Units[];
  readonly orderGoodwill?: Reason;
}

/** One approval round. */
export interface ApprovalRound {
  readonly round: number;
  readonly role: Role | null;
  readonly approvers: readonly string[];
  readonly requestedAt: string;
  readonly deadline: string | null;
  readonly proposal: { readonly cash: Money; readonly storeCredit: Money } | null;
  readonly result: 'pending' | 'approved' | 'rejected' | 'escalated';
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly approved?: { readonly cash: Money; readonly storeCredit: Money; readonly goodwill: Money } | null;
  readonly note?: string;
}

/** One ledger entry of the claim, in a few words. */
export interface TimelineEntry {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly status: ClaimStatus;
  /** `system`, `storefront:<id>` or `<role>:<email>`. */
  readonly actor: string;
}

/** The answer to `GET /v1/claims/{claimId}`. */
export interface ClaimView {
  readonly claimId: string;
  readonly status: ClaimStatus;
  readonly storefrontId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly decision: Decision | null;
  readonly approvals: readonly ApprovalRound[];
  readonly timeline: readonly TimelineEntry[];
  /** What the shop is asked to do for the claim, oldest first, each with its status and answer. */
  readonly actions: readonly Action[];
}

/** The body of `POST /v1/claims/{claimId}/returns`: what came back. */
export interface ReturnReport {
  /** Each line's `condition` may be left out when the top-level `condition` gives it. */
  readonly items: readonly (Units & { readonly condition?: ReturnCondition })[];
  /** ISO 8601 with offset. */
  readonly receivedAt: string;
  /** The condition of every item that gives none of its own. */
  readonly condition?: ReturnCondition;
  readonly tracking?: string;
}

/** The answer to a return report. */
export interface ReturnReported {
  readonly claimId: string;
  readonly status: string;
}

/** One problem with a request, by path: `{ path: "order.items[0].quantity", message: "…" }`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/**
 * The body of `POST /v1/claims/{claimId}/actions/{actionId}`: what the shop did about an action.
 * Unknown fields are refused with a 400.
 */
export interface ActionReport {
  readonly status: 'succeeded' | 'failed';
  /** Who moved the money or goods: `stripe`, `adyen`, `bank`, `dhl`, … (1–64 characters). */
  readonly provider: string;
  /**
   * The provider's reference (refund id, gift-card id, shipment id; 1–255 characters). With
   * `status` it makes the report idempotent: the same report again answers the first result.
   */
  readonly reference: string;
  /** What was refunded or credited: the action's amount. Required for a refund or store credit; for a replacement, zero if given. */
  readonly amount?: Money;
  /** Why it failed: required when `status` is `failed`, refused otherwise. */
  readonly failureReason?: string;
  /** Store credit only: the code or gift card the customer uses; it is emailed to the customer. */
  readonly creditCode?: string;
  /** Replacement only: the tracking number or link of the parcel; it is emailed to the customer. */
  readonly tracking?: string;
}

/** The answer to an action report or to a request for cash instead, plus what the client knows about the exchange. */
export interface ActionReceipt {
  /** The action as recorded, with its answer. */
  readonly action: Action;
  /** Actions the answer led to: the store credit that recovers a failed refund, or the refund asked instead of a credit. */
  readonly created: readonly Action[];
  /** True when the server had recorded this answer before and answered it again (`Idempotent-Replayed`). */
  readonly replayed: boolean;
}

/** The answer to `GET /v1/actions`: a page of the storefront's requested actions, oldest first. */
export interface ActionPage {
  readonly actions: readonly Action[];
  /** The cursor of the next page; `null` at the end. */
  readonly next: string | null;
}
