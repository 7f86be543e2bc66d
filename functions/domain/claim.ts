import * as z from 'zod';
import { InvalidRequestError, type Issue, toIssues, UnprocessableClaimError } from './errors.ts';
import { isCurrency, type Money, money, sum, times } from './money.ts';
import { printableId, printableIdMessage } from './text.ts';

/** Why the customer complains. */
export const reasons = [
  'damaged',
  'defective',
  'not_as_described',
  'wrong_item',
  'missing_item',
  'late_delivery',
  'not_received',
  'changed_mind',
  'other',
] as const;
export type Reason = (typeof reasons)[number];

/** What the customer asks for; the policy may choose otherwise and says why. */
export const desiredOutcomes = ['refund', 'return', 'replacement', 'store_credit', 'apology'] as const;
export type DesiredOutcome = (typeof desiredOutcomes)[number];

/** How the complaint reached the shop. */
export const channels = ['web', 'email', 'phone', 'chat', 'letter'] as const;
export type Channel = (typeof channels)[number];

const minorUnits = z.number().int('must be a whole number of minor units').nonnegative('must not be negative').max(Number.MAX_SAFE_INTEGER);
const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2026-11-01T10:00:00Z' });
/** An id the shop chose: printable, since it is a key the shop looks up again and it is shown in emails (`text.ts`). */
const shopId = (max: number) => z.string().trim().min(1).max(max).regex(printableId, printableIdMessage);
const sku = shopId(128);

const bcp47 = z
  .string()
  .min(2)
  .max(35)
  .refine(
    (tag) => {
      try {
        return Intl.getCanonicalLocales(tag).length === 1;
      } catch {
        return false;
      }
    },
    { message: 'must be a BCP-47 language tag such as en, uk or ru-RU' },
  );

const orderItemSchema = z.strictObject({
  sku: sku.meta({ description: "The shop's stock-keeping unit; one line per sku", examples: ['CHOC-BOX'] }),
  name: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .meta({ description: 'As the customer saw it', examples: ['Chocolate box'] }),
  category: shopId(64).meta({
    description: "The policy's product category (`food`, `digital`, …): it picks the rules that apply",
    examples: ['food'],
  }),
  quantity: z.number().int().min(1).max(100_000).meta({ description: 'Units bought' }),
  unitPrice: minorUnits.meta({ description: 'Price of one unit, in minor units of `order.currency`', examples: [2500] }),
});

/** The body of `POST /v1/claims`, exactly as DESIGN.md specifies it. Unknown fields are refused. */
export const claimRequestSchema = z
  .strictObject({
    order: z
      .strictObject({
        id: shopId(128).meta({ description: "The shop's order id", examples: ['ORD-1001'] }),
        placedAt: isoDateTime.meta({ description: 'When the order was placed (ISO 8601 with a zone)', examples: ['2026-11-01T10:00:00Z'] }),
        deliveredAt: isoDateTime.optional().meta({ description: 'When it was delivered, if it was', examples: ['2026-11-03T10:00:00Z'] }),
        currency: z
          .string()
          .refine(isCurrency, { message: 'must be an ISO-4217 currency code such as EUR' })
          .meta({ description: 'ISO 4217 code; every amount is in its minor units', examples: ['EUR'] }),
        paid: minorUnits.meta({ description: 'What the customer paid for the whole order, shipping included', examples: [12999] }),
        shipping: minorUnits.default(0).meta({ description: 'The shipping part of `paid`', examples: [499] }),
        items: z.array(orderItemSchema).min(1).max(500),
      })
      .meta({
        description:
          "The order's facts. The first accepted claim on an order pins them: a later claim that states others gets 422 `order_facts_conflict`.",
      }),
    customer: z.strictObject({
      id: shopId(128).meta({ description: "The shop's customer id: the claim history is counted by it", examples: ['C-42'] }),
      email: z
        .email({ message: 'must be an email address' })
        .max(254)
        .meta({ description: 'Where the customer is told the outcome', examples: ['ann@example.com'] }),
      name: z
        .string()
        .trim()
        .min(1)
        .max(300)
        .meta({ examples: ['Ann'] }),
      locale: bcp47.meta({
        description: 'BCP 47 language tag for the emails; `en`, `uk`, `ru` and `eo` are written natively, others fall back to `en`',
        examples: ['uk'],
      }),
    }),
    complaint: z.strictObject({
      reason: z.enum(reasons).meta({ description: 'Why the customer complains' }),
      items: z
        .array(z.strictObject({ sku, quantity: z.number().int().min(1).max(100_000) }))
        .min(1)
        .max(500)
        .meta({ description: 'The order lines complained about, one line per sku, at most the units bought' }),
      desiredOutcome: z
        .enum(desiredOutcomes)
        .meta({ description: 'What the customer asks for; the policy may choose otherwise and says why' }),
      message: z
        .string()
        .max(5000)
        .default('')
        .meta({ description: "The customer's own words", examples: ['The box arrived crushed.'] }),
      channel: z.enum(channels).meta({ description: 'How the complaint reached the shop' }),
      evidence: z
        .array(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048))
        .max(20)
        .default([])
        .meta({ description: 'Links to photos or documents the customer sent' }),
    }),
  })
  .meta({ id: 'ClaimRequest', description: 'A claim: the order, the customer and the complaint. Unknown fields are refused.' });

/** A claim request after schema validation. */
export type ClaimRequest = z.infer<typeof claimRequestSchema>;
export type OrderItem = ClaimRequest['order']['items'][number];

/** Parses a request body; throws {@link InvalidRequestError} listing every problem by path. */
export function parseClaimRequest(body: unknown): ClaimRequest {
  const parsed = claimRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRequestError('The claim does not match the schema', toIssues(parsed.error.issues));
  }
  return parsed.data;
}

/** How far in the future a timestamp may be before it counts as a contradiction (clock skew). */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * Checks the facts of a schema-valid claim against each other. Throws
 * {@link UnprocessableClaimError} (422) listing every contradiction by path.
 */
export function assertConsistentClaim(claim: ClaimRequest, now: Date): void {
  const issues: Issue[] = [];
  const { order, complaint } = claim;
  const placed = Date.parse(order.placedAt);
  if (placed > now.getTime() + FUTURE_TOLERANCE_MS) {
    issues.push({ path: 'order.placedAt', message: 'is in the future' });
  }
  if (order.deliveredAt !== undefined) {
    const delivered = Date.parse(order.deliveredAt);
    if (delivered < placed) {
      issues.push({ path: 'order.deliveredAt', message: 'is before order.placedAt' });
    }
    if (delivered > now.getTime() + FUTURE_TOLERANCE_MS) {
      issues.push({ path: 'order.deliveredAt', message: 'is in the future' });
    }
  }
  const bought = new Map<string, number>();
  order.items.forEach((item, i) => {
    if (bought.has(item.sku)) {
      issues.push({ path: `order.items[${i}].sku`, message: `${item.sku} is listed twice in the order` });
    }
    bought.set(item.sku, (bought.get(item.sku) ?? 0) + item.quantity);
  });
  if (order.shipping > order.paid) {
    issues.push({ path: 'order.shipping', message: `is more than order.paid (${order.paid})` });
  }
  const goods = order.items.reduce((acc, item) => acc + item.quantity * item.unitPrice, 0);
  if (!Number.isSafeInteger(goods + order.shipping)) {
    issues.push({ path: 'order.items', message: 'the order total is too large to count exactly' });
  }
  const claimed = new Set<string>();
  complaint.items.forEach((line, i) => {
    const quantity = bought.get(line.sku);
    if (quantity === undefined) {
      issues.push({ path: `complaint.items[${i}].sku`, message: `${line.sku} is not in the order` });
    } else if (line.quantity > quantity) {
      issues.push({
        path: `complaint.items[${i}].quantity`,
        message: `claims ${line.quantity} of ${line.sku} but the order has ${quantity}`,
      });
    }
    if (claimed.has(line.sku)) {
      issues.push({ path: `complaint.items[${i}].sku`, message: `${line.sku} is claimed twice; give one line per item` });
    }
    claimed.add(line.sku);
  });
  if (issues.length > 0) {
    throw new UnprocessableClaimError('The claim contradicts itself', issues);
  }
}

/** A claimed line joined with what the order says about it. */
export interface ClaimedLine {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  /** quantity × unitPrice, at list price. */
  readonly listValue: Money;
}

/** The claimed lines, joined with the order's items (the claim must already be consistent). */
export function claimedLines(claim: ClaimRequest): ClaimedLine[] {
  const currency = claim.order.currency;
  return claim.complaint.items.map((line) => {
    const item = claim.order.items.find((i) => i.sku === line.sku);
    if (item === undefined) throw new UnprocessableClaimError(`${line.sku} is not in the order`);
    const unitPrice = money(item.unitPrice, currency);
    return {
      sku: item.sku,
      name: item.name,
      category: item.category,
      quantity: line.quantity,
      unitPrice,
      listValue: times(unitPrice, line.quantity),
    };
  });
}

/** The order's goods at list price (quantity × unit price, without shipping). */
export function goodsTotal(claim: ClaimRequest): Money {
  const currency = claim.order.currency;
  return sum(
    currency,
    claim.order.items.map((i) => times(money(i.unitPrice, currency), i.quantity)),
  );
}

/**
 * The order facts the first accepted claim on an order pins: every later claim on the same
 * (storefront, order id) must state the same, and every bound is computed from these.
 * `deliveredAt` may be added later if it was absent, never changed.
 */
export interface OrderFacts {
  readonly orderId: string;
  readonly currency: string;
  readonly paid: number;
  readonly shipping: number;
  readonly placedAt: string;
  readonly deliveredAt?: string;
  readonly items: readonly { readonly sku: string; readonly category: string; readonly quantity: number; readonly unitPrice: number }[];
}

/** The facts a claim states about its order, to pin or to compare with the pinned ones. */
export function orderFactsOf(claim: ClaimRequest): OrderFacts {
  const o = claim.order;
  return {
    orderId: o.id,
    currency: o.currency,
    paid: o.paid,
    shipping: o.shipping,
    placedAt: o.placedAt,
    ...(o.deliveredAt === undefined ? {} : { deliveredAt: o.deliveredAt }),
    items: o.items.map((i) => ({ sku: i.sku, category: i.category, quantity: i.quantity, unitPrice: i.unitPrice })),
  };
}

/** The same instant, however the two timestamps are written (`Z` or `+00:00`, with or without milliseconds). */
function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

/**
 * Where a claim's order facts differ from the pinned ones, one issue per differing field, by the
 * request's path (`order.paid`, `order.items[1].unitPrice`). Empty when they agree. A claim that
 * leaves out a `deliveredAt` the pinned facts have agrees; a different one does not.
 */
export function orderFactsConflicts(pinned: OrderFacts, claim: ClaimRequest): Issue[] {
  const o = claim.order;
  const issues: Issue[] = [];
  const differs = (path: string, theirs: string | number, ours: string | number) =>
    issues.push({ path, message: `is ${JSON.stringify(theirs)}, but the order's first claim said ${JSON.stringify(ours)}` });
  if (o.currency !== pinned.currency) differs('order.currency', o.currency, pinned.currency);
  if (o.paid !== pinned.paid) differs('order.paid', o.paid, pinned.paid);
  if (o.shipping !== pinned.shipping) differs('order.shipping', o.shipping, pinned.shipping);
  if (!sameInstant(o.placedAt, pinned.placedAt)) differs('order.placedAt', o.placedAt, pinned.placedAt);
  if (o.deliveredAt !== undefined && pinned.deliveredAt !== undefined && !sameInstant(o.deliveredAt, pinned.deliveredAt)) {
    differs('order.deliveredAt', o.deliveredAt, pinned.deliveredAt);
  }
  o.items.forEach((item, i) => {
    const line = pinned.items.find((p) => p.sku === item.sku);
    if (!line) {
      issues.push({ path: `order.items[${i}].sku`, message: `${item.sku} was not in the order when its first claim was made` });
      return;
    }
    if (item.category !== line.category) differs(`order.items[${i}].category`, item.category, line.category);
    if (item.quantity !== line.quantity) differs(`order.items[${i}].quantity`, item.quantity, line.quantity);
    if (item.unitPrice !== line.unitPrice) differs(`order.items[${i}].unitPrice`, item.unitPrice, line.unitPrice);
  });
  const missing = pinned.items.filter((p) => !o.items.some((i) => i.sku === p.sku)).map((p) => p.sku);
  if (missing.length > 0)
    issues.push({ path: 'order.items', message: `leaves out ${missing.join(', ')}, which the order's first claim listed` });
  return issues;
}

/** The claim states exactly the pinned facts, written the same way: putting them in place changes nothing. */
function statesPinnedFacts(claim: ClaimRequest, pinned: OrderFacts): boolean {
  const o = claim.order;
  return (
    o.currency === pinned.currency &&
    o.paid === pinned.paid &&
    o.shipping === pinned.shipping &&
    o.placedAt === pinned.placedAt &&
    (pinned.deliveredAt === undefined || o.deliveredAt === pinned.deliveredAt) &&
    o.items.length === pinned.items.length &&
    o.items.every((i, n) => {
      const p = pinned.items[n];
      return p !== undefined && i.sku === p.sku && i.category === p.category && i.quantity === p.quantity && i.unitPrice === p.unitPrice;
    })
  );
}

/**
 * The claim with its order's pinned facts in place of what it stated (names stay the claim's):
 * decisions and bounds are computed from these.
 */
export function withPinnedFacts(claim: ClaimRequest, pinned: OrderFacts): ClaimRequest {
  if (statesPinnedFacts(claim, pinned)) return claim;
  const deliveredAt = pinned.deliveredAt ?? claim.order.deliveredAt;
  return {
    ...claim,
    order: {
      ...claim.order,
      currency: pinned.currency,
      paid: pinned.paid,
      shipping: pinned.shipping,
      placedAt: pinned.placedAt,
      ...(deliveredAt === undefined ? {} : { deliveredAt }),
      items: pinned.items.map((p) => ({ ...p, name: claim.order.items.find((i) => i.sku === p.sku)?.name ?? p.sku })),
    },
  };
}
