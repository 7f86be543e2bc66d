import fc from 'fast-check';

/**
 * The scenarios of the money model: one order, one or two customers, and 2–6 claims on it, each
 * with what the storefront does afterwards (replays, return reports). A scenario is plain JSON,
 * so a failing one can be printed, read and run again.
 */

export const categories = ['kitchen', 'home', 'food', 'digital'] as const;
export const modelReasons = [
  'damaged',
  'defective',
  'changed_mind',
  'late_delivery',
  'not_received',
  'missing_item',
  'wrong_item',
] as const;
export const modelOutcomes = ['refund', 'replacement', 'store_credit', 'apology'] as const;
export const conditions = ['as_new', 'used', 'damaged'] as const;
export const locales = ['en', 'uk', 'ru', 'eo'] as const;

export type Condition = (typeof conditions)[number];

/** One line of the order. */
export interface OrderLine {
  readonly sku: string;
  readonly category: (typeof categories)[number];
  readonly quantity: number;
  readonly unitPrice: number;
}

/** The order every claim of the scenario is about. */
export interface ScenarioOrder {
  readonly lines: readonly OrderLine[];
  readonly shipping: number;
  /** 0: paid in full (goods + shipping); otherwise this many thousandths of the goods were discounted. */
  readonly discountPermille: number;
  readonly deliveredDaysAgo: number;
  readonly placedDaysBeforeDelivery: number;
}

/** One line of a planned return report: units of one claimed sku. */
export interface ReportLine {
  readonly sku: string;
  /** Units to report, capped at run time by the units still awaited. */
  readonly take: number;
  readonly condition: Condition;
  /** When set (and 2+ units are reported), the first unit arrives in this condition, as its own row. */
  readonly firstCondition?: Condition;
}

/** A return report the storefront sends when the claim awaits the goods. */
export interface ReportPlan {
  readonly lines: readonly ReportLine[];
  /** Report every unit still awaited (the last parcel), whatever `take` says. */
  readonly rest: boolean;
  /** The same report again: after the first answer, or at the same time (both idempotent replays). */
  readonly duplicate: 'none' | 'after' | 'concurrent';
}

/** One claim of the scenario. */
export interface ScenarioClaim {
  /** Index into the scenario's customers. */
  readonly customer: number;
  readonly reason: (typeof modelReasons)[number];
  readonly desiredOutcome: (typeof modelOutcomes)[number];
  readonly items: readonly { readonly sku: string; readonly quantity: number }[];
  readonly evidence: boolean;
  /** The same POST again under the same Idempotency-Key: after the first answer, or at the same time. */
  readonly replay: 'none' | 'after' | 'concurrent';
  /** What comes back, should the claim wait for a return (0–2 reports). */
  readonly returns: readonly ReportPlan[];
}

/** One scenario: all its claims are posted at once. */
export interface Scenario {
  readonly order: ScenarioOrder;
  /** Each customer's locale; customers are fresh per scenario. */
  readonly customers: readonly (typeof locales)[number][];
  readonly claims: readonly ScenarioClaim[];
}

/** Goods at list price. */
export function goodsOf(order: ScenarioOrder): number {
  return order.lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0);
}

/** What the customer paid: goods less the discount, plus shipping (never less than the shipping). */
export function paidOf(order: ScenarioOrder): number {
  return order.shipping + Math.floor((goodsOf(order) * (1000 - order.discountPermille)) / 1000);
}

const lineArb = fc.record({
  category: fc.constantFrom(...categories),
  quantity: fc.integer({ min: 1, max: 4 }),
  // Mostly anywhere up to €90.00, sometimes small enough for the keep-it threshold.
  unitPrice: fc.oneof(fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 0, max: 1500 })),
});

const orderArb: fc.Arbitrary<ScenarioOrder> = fc.record({
  lines: fc
    .array(lineArb, { minLength: 1, maxLength: 3 })
    .map((lines) => lines.map((l, i): OrderLine => ({ sku: `SKU-${'ABC'[i]}`, ...l }))),
  shipping: fc.integer({ min: 0, max: 999 }),
  discountPermille: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })),
  deliveredDaysAgo: fc.integer({ min: 1, max: 10 }),
  placedDaysBeforeDelivery: fc.integer({ min: 0, max: 5 }),
});

function reportArb(items: ScenarioClaim['items']): fc.Arbitrary<ReportPlan> {
  return fc.record({
    lines: fc.tuple(
      ...items.map((item) =>
        fc.record(
          {
            sku: fc.constant(item.sku),
            take: fc.integer({ min: 0, max: item.quantity }),
            condition: fc.constantFrom(...conditions),
            firstCondition: fc.constantFrom(...conditions),
          },
          { requiredKeys: ['sku', 'take', 'condition'] },
        ),
      ),
    ),
    rest: fc.boolean(),
    duplicate: fc.constantFrom('none', 'none', 'after', 'concurrent'),
  });
}

function claimArb(order: ScenarioOrder): fc.Arbitrary<ScenarioClaim> {
  const items = fc
    .subarray([...order.lines], { minLength: 1 })
    .chain((lines) => fc.tuple(...lines.map((l) => fc.integer({ min: 1, max: l.quantity }).map((quantity) => ({ sku: l.sku, quantity })))));
  return fc
    .record({
      customer: fc.integer({ min: 0, max: 1 }),
      reason: fc.constantFrom(...modelReasons),
      desiredOutcome: fc.constantFrom(...modelOutcomes),
      items,
      evidence: fc.boolean(),
      replay: fc.constantFrom('none', 'none', 'none', 'after', 'concurrent'),
    })
    .chain((claim) => fc.array(reportArb(claim.items), { maxLength: 2 }).map((returns) => ({ ...claim, returns })));
}

/** Every scenario the model runs: an order, its customers, and 2–6 claims on it. */
export const scenarioArb: fc.Arbitrary<Scenario> = orderArb.chain((order) =>
  fc
    .record({
      customers: fc.array(fc.constantFrom(...locales), { minLength: 1, maxLength: 2 }),
      claims: fc.array(claimArb(order), { minLength: 2, maxLength: 6 }),
    })
    .map(({ customers, claims }) => ({
      order,
      customers,
      claims: claims.map((c) => ({ ...c, customer: c.customer % customers.length })),
    })),
);
