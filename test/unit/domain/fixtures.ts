/**
 * Shared inputs for the domain unit tests: the demo policy as published, a fixed clock and a
 * builder for claim requests that pass both the schema and the consistency check.
 */
import { readFileSync } from 'node:fs';
import { assertConsistentClaim, type ClaimRequest, parseClaimRequest, type Reason } from '#domain/claim.ts';
import type { CustomerHistory } from '#domain/decide.ts';
import { type Policy, type PolicyVersion, parsePolicy } from '#domain/policy.ts';

/** The fixed "now" of every domain test; no test reads the wall clock. */
export const NOW = new Date('2026-11-23T12:00:00Z');

export const DAY_MS = 24 * 60 * 60 * 1000;

/** An ISO time `days` (may be fractional) before {@link NOW}. */
export function daysAgo(days: number): string {
  return new Date(NOW.getTime() - days * DAY_MS).toISOString();
}

/** A JSON document a test may change anywhere (a policy or a request body). */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into documents to break them on purpose
export type Doc = Record<string, any>;

/** The raw JSON of `policies/demo.json`, freshly parsed so each caller may change its copy. */
export function demoPolicyDocument(): Doc {
  return JSON.parse(readFileSync(new URL('../../../policies/demo.json', import.meta.url), 'utf8')) as Doc;
}

/** The demo policy, validated. */
export function demoPolicy(): Policy {
  return parsePolicy(demoPolicyDocument());
}

/** A demo policy changed by `edit` (applied to the raw document) and validated again. */
export function policyWith(edit: (doc: Doc) => void): Policy {
  const doc = demoPolicyDocument();
  edit(doc);
  return parsePolicy(doc);
}

/** Wraps a policy as the demo storefront's version 3. */
export function version(policy: Policy): PolicyVersion {
  return { storefrontId: 'demo', version: 3, policy, publishedAt: '2026-10-01T00:00:00Z' };
}

/** A customer with no earlier claims, returns, goodwill or grants on this order. */
export function emptyHistory(currency = 'EUR'): CustomerHistory {
  return {
    claimsInWindow: 0,
    unreturnedReturns: 0,
    refundRate: { concludedClaims: 0, claimsWithMoney: 0 },
    goodwillSpent: { amount: 0, currency },
    orderGranted: { amount: 0, currency },
    covered: {},
  };
}

export interface ItemSpec {
  readonly sku: string;
  readonly category: string;
  readonly unitPrice: number;
  readonly quantity?: number;
}

export interface ClaimSpec {
  readonly items: readonly ItemSpec[];
  /** Claimed lines; defaults to every item in full (the whole order). */
  readonly claim?: ReadonlyArray<{ sku: string; quantity: number }>;
  readonly reason: Reason;
  readonly desired?: ClaimRequest['complaint']['desiredOutcome'];
  readonly shipping?: number;
  /** Defaults to goods at list price plus shipping. */
  readonly paid?: number;
  readonly currency?: string;
  /** Days between delivery and {@link NOW}; `null` for an order never delivered. */
  readonly deliveredDaysAgo?: number | null;
  readonly evidence?: readonly string[];
  readonly customerId?: string;
  readonly email?: string;
  /** The customer's message; defaults to `test`. */
  readonly message?: string;
}

/** The request body for a claim, before parsing. */
export function claimBody(spec: ClaimSpec): Doc {
  const shipping = spec.shipping ?? 0;
  const goods = spec.items.reduce((acc, i) => acc + i.unitPrice * (i.quantity ?? 1), 0);
  const delivered = spec.deliveredDaysAgo === undefined ? 5 : spec.deliveredDaysAgo;
  return {
    order: {
      id: 'ORD-1001',
      placedAt: daysAgo((delivered ?? 0) + 2),
      ...(delivered === null ? {} : { deliveredAt: daysAgo(delivered) }),
      currency: spec.currency ?? 'EUR',
      paid: spec.paid ?? goods + shipping,
      shipping,
      items: spec.items.map((i) => ({
        sku: i.sku,
        name: i.sku.toLowerCase(),
        category: i.category,
        quantity: i.quantity ?? 1,
        unitPrice: i.unitPrice,
      })),
    },
    customer: { id: spec.customerId ?? 'C-42', email: spec.email ?? 'ann@example.com', name: 'Ann', locale: 'en' },
    complaint: {
      reason: spec.reason,
      items: spec.claim ?? spec.items.map((i) => ({ sku: i.sku, quantity: i.quantity ?? 1 })),
      desiredOutcome: spec.desired ?? 'refund',
      message: spec.message ?? 'test',
      channel: 'web',
      evidence: spec.evidence ?? [],
    },
  };
}

/** A claim that passed the schema and the consistency check, as the engine receives it. */
export function claimOf(spec: ClaimSpec): ClaimRequest {
  const claim = parseClaimRequest(claimBody(spec));
  assertConsistentClaim(claim, NOW);
  return claim;
}
