import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertConsistentClaim,
  claimedLines,
  goodsTotal,
  type OrderFacts,
  orderFactsOf,
  parseClaimRequest,
  withPinnedFacts,
} from '#domain/claim.ts';
import { InvalidRequestError, type Issue, UnprocessableClaimError } from '#domain/errors.ts';
import { type Doc, NOW } from './fixtures.ts';

/** The `POST /v1/claims` body exactly as DESIGN.md shows it. */
const designExample = (): Doc =>
  JSON.parse(`{
  "order": {
    "id": "ORD-1001",
    "placedAt": "2026-11-01T10:00:00Z",
    "deliveredAt": "2026-11-03T10:00:00Z",
    "currency": "EUR",
    "paid": 12999,
    "shipping": 499,
    "items": [
      { "sku": "CHOC-BOX", "name": "Chocolate box", "category": "food", "quantity": 2, "unitPrice": 2500 }
    ]
  },
  "customer": { "id": "C-42", "email": "ann@example.com", "name": "Ann", "locale": "uk" },
  "complaint": {
    "reason": "damaged",
    "items": [ { "sku": "CHOC-BOX", "quantity": 1 } ],
    "desiredOutcome": "refund",
    "message": "The box arrived crushed.",
    "channel": "web",
    "evidence": [ "https://shop.example/uploads/123.jpg" ]
  }
}`);

/** The issues `fn` throws with, or fails the test when it does not throw `type`. */
function issuesOf(fn: () => unknown, type: typeof InvalidRequestError | typeof UnprocessableClaimError): readonly Issue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return (err as InvalidRequestError).issues;
  }
  throw new Error('expected an error');
}

const schemaIssues = (body: unknown) => issuesOf(() => parseClaimRequest(body), InvalidRequestError);

describe('parseClaimRequest', () => {
  it('accepts the DESIGN.md example body as it is', () => {
    // arrange
    const body = designExample();
    // act
    const claim = parseClaimRequest(body);
    // assert
    expect(claim).toEqual(body);
  });

  it('fills in the documented defaults: no shipping, no message, no evidence', () => {
    // arrange
    const body = designExample();
    delete body.order.shipping;
    delete body.complaint.message;
    delete body.complaint.evidence;
    // act
    const claim = parseClaimRequest(body);
    // assert
    expect(claim.order.shipping).toBe(0);
    expect(claim.complaint.message).toBe('');
    expect(claim.complaint.evidence).toEqual([]);
  });

  it('accepts an order that was not delivered yet (no deliveredAt)', () => {
    // arrange
    const body = designExample();
    delete body.order.deliveredAt;
    // act
    const claim = parseClaimRequest(body);
    // assert
    expect(claim.order.deliveredAt).toBeUndefined();
  });

  it.each([
    ['order.id', (b: Doc) => delete b.order.id],
    ['order.placedAt', (b: Doc) => delete b.order.placedAt],
    ['order.items', (b: Doc) => delete b.order.items],
    ['customer.email', (b: Doc) => delete b.customer.email],
    ['complaint.reason', (b: Doc) => delete b.complaint.reason],
    ['complaint.channel', (b: Doc) => delete b.complaint.channel],
  ])('names the missing field %s', (path, remove) => {
    // arrange
    const body = designExample();
    remove(body);
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues.map((i) => i.path)).toEqual([path]);
  });

  it('refuses a float amount as "must be a whole number of minor units", at each path', () => {
    // arrange
    const body = designExample();
    body.order.paid = 129.99;
    body.order.items[0].unitPrice = 25.0001;
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues).toEqual([
      { path: 'order.paid', message: 'must be a whole number of minor units' },
      { path: 'order.items[0].unitPrice', message: 'must be a whole number of minor units' },
    ]);
  });

  it('refuses a negative amount', () => {
    // arrange
    const body = designExample();
    body.order.shipping = -1;
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues).toEqual([{ path: 'order.shipping', message: 'must not be negative' }]);
  });

  it.each([
    ['(root)', (b: Doc) => (b.extra = 1)],
    ['order', (b: Doc) => (b.order.total = 12999)],
    ['order.items[0]', (b: Doc) => (b.order.items[0].colour = 'red')],
    ['customer', (b: Doc) => (b.customer.phone = '+380')],
    ['complaint', (b: Doc) => (b.complaint.priority = 'high')],
    ['complaint.items[0]', (b: Doc) => (b.complaint.items[0].reason = 'crushed')],
  ])('refuses an unknown field under %s and names it', (path, addField) => {
    // arrange
    const body = designExample();
    addField(body);
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(/Unrecognized key/);
  });

  it.each([
    ['complaint.reason', (b: Doc) => (b.complaint.reason = 'broken')],
    ['complaint.desiredOutcome', (b: Doc) => (b.complaint.desiredOutcome = 'cash')],
    ['complaint.channel', (b: Doc) => (b.complaint.channel = 'fax')],
  ])('refuses a value outside the enum at %s', (path, change) => {
    // arrange
    const body = designExample();
    change(body);
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues.map((i) => i.path)).toEqual([path]);
  });

  it.each(['en_US', 'x', 'not a locale', '123'])('refuses the locale %j', (locale) => {
    // arrange
    const body = designExample();
    body.customer.locale = locale;
    // act
    const issues = schemaIssues(body);
    // assert: a too-short tag may be reported twice (length and form), always at the same path
    expect([...new Set(issues.map((i) => i.path))]).toEqual(['customer.locale']);
  });

  it.each(['en', 'uk', 'ru-RU', 'eo', 'pt-BR'])('accepts the locale %j', (locale) => {
    // arrange
    const body = designExample();
    body.customer.locale = locale;
    // act
    const claim = parseClaimRequest(body);
    // assert
    expect(claim.customer.locale).toBe(locale);
  });

  it.each(['ann', 'ann@', '@example.com', 'ann example.com'])('refuses the email %j', (email) => {
    // arrange
    const body = designExample();
    body.customer.email = email;
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues).toEqual([{ path: 'customer.email', message: 'must be an email address' }]);
  });

  it.each(['ftp://shop.example/1.jpg', 'javascript:alert(1)', 'file:///etc/passwd', 'not a url'])(
    'refuses the evidence %j as not http(s)',
    (url) => {
      // arrange
      const body = designExample();
      body.complaint.evidence = ['https://shop.example/ok.jpg', url];
      // act
      const issues = schemaIssues(body);
      // assert
      expect(issues).toEqual([{ path: 'complaint.evidence[1]', message: 'must be an http(s) URL' }]);
    },
  );

  it('refuses an unknown currency and a date without a time zone', () => {
    // arrange
    const body = designExample();
    body.order.currency = 'XYZ';
    body.order.placedAt = '2026-11-01 10:00';
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues.map((i) => i.path)).toEqual(['order.placedAt', 'order.currency']);
  });

  it('lists every problem at once, each by its path', () => {
    // arrange
    const body = designExample();
    body.order.paid = 1.5;
    body.customer.email = 'nope';
    body.customer.locale = 'en_US';
    body.complaint.reason = 'broken';
    body.complaint.evidence = ['ftp://x/y'];
    body.complaint.extra = true;
    // act
    const issues = schemaIssues(body);
    // assert
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['order.paid', 'customer.email', 'customer.locale', 'complaint.reason', 'complaint.evidence[0]', 'complaint'].sort(),
    );
  });

  it('refuses a body that is not an object', () => {
    // act
    const issues = schemaIssues('hello');
    // assert
    expect(issues.map((i) => i.path)).toEqual(['(root)']);
  });
});

describe('assertConsistentClaim', () => {
  const consistencyIssues = (body: Doc) => issuesOf(() => assertConsistentClaim(parseClaimRequest(body), NOW), UnprocessableClaimError);

  it('accepts the DESIGN.md example', () => {
    // arrange
    const claim = parseClaimRequest(designExample());
    // act / assert
    expect(() => assertConsistentClaim(claim, NOW)).not.toThrow();
  });

  it('refuses a complaint item that is not in the order', () => {
    // arrange
    const body = designExample();
    body.complaint.items[0].sku = 'TEA-TIN';
    // act
    const issues = consistencyIssues(body);
    // assert
    expect(issues).toEqual([{ path: 'complaint.items[0].sku', message: 'TEA-TIN is not in the order' }]);
  });

  it('refuses more units than were bought', () => {
    // arrange
    const body = designExample();
    body.complaint.items[0].quantity = 3;
    // act
    const issues = consistencyIssues(body);
    // assert
    expect(issues).toEqual([{ path: 'complaint.items[0].quantity', message: 'claims 3 of CHOC-BOX but the order has 2' }]);
  });

  it('accepts exactly the units that were bought', () => {
    // arrange
    const body = designExample();
    body.complaint.items[0].quantity = 2;
    // act / assert
    expect(() => assertConsistentClaim(parseClaimRequest(body), NOW)).not.toThrow();
  });

  it('refuses a delivery before the order was placed', () => {
    // arrange
    const body = designExample();
    body.order.deliveredAt = '2026-10-31T10:00:00Z';
    // act
    const issues = consistencyIssues(body);
    // assert
    expect(issues).toEqual([{ path: 'order.deliveredAt', message: 'is before order.placedAt' }]);
  });

  it('refuses dates in the future beyond five minutes of clock skew', () => {
    // arrange
    const body = designExample();
    body.order.placedAt = '2026-11-23T12:06:00Z';
    body.order.deliveredAt = '2026-11-24T10:00:00Z';
    // act
    const issues = consistencyIssues(body);
    // assert
    expect(issues).toEqual([
      { path: 'order.placedAt', message: 'is in the future' },
      { path: 'order.deliveredAt', message: 'is in the future' },
    ]);
  });

  it('tolerates a timestamp up to five minutes ahead (clock skew)', () => {
    // arrange
    const body = designExample();
    body.order.placedAt = '2026-11-23T12:04:00Z';
    body.order.deliveredAt = '2026-11-23T12:05:00Z';
    // act / assert
    expect(() => assertConsistentClaim(parseClaimRequest(body), NOW)).not.toThrow();
  });

  it('refuses shipping above what was paid', () => {
    // arrange
    const body = designExample();
    body.order.paid = 400;
    body.order.shipping = 499;
    // act
    const issues = consistencyIssues(body);
    // assert
    expect(issues).toEqual([{ path: 'order.shipping', message: 'is more than order.paid (400)' }]);
  });

  it('refuses a SKU listed twice in the order and a SKU claimed twice', () => {
    // arrange
    const body = designExample();
    body.order.items.push({ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 1, unitPrice: 2500 });
    body.complaint.items.push({ sku: 'CHOC-BOX', quantity: 1 });
    // act
    const issues = consistencyIssues(body);
    // assert
    expect(issues).toEqual([
      { path: 'order.items[1].sku', message: 'CHOC-BOX is listed twice in the order' },
      { path: 'complaint.items[1].sku', message: 'CHOC-BOX is claimed twice; give one line per item' },
    ]);
  });

  it('lists every contradiction at once', () => {
    // arrange
    const body = designExample();
    body.order.deliveredAt = '2026-10-01T00:00:00Z';
    body.order.paid = 100;
    body.complaint.items = [
      { sku: 'CHOC-BOX', quantity: 5 },
      { sku: 'GHOST', quantity: 1 },
    ];
    // act
    const issues = consistencyIssues(body);
    // assert
    expect(issues.map((i) => i.path)).toEqual([
      'order.deliveredAt',
      'order.shipping',
      'complaint.items[0].quantity',
      'complaint.items[1].sku',
    ]);
  });
});

describe('claimedLines and goodsTotal', () => {
  it('joins each claimed line with the order item and values it at list price', () => {
    // arrange
    const claim = parseClaimRequest(designExample());
    // act
    const lines = claimedLines(claim);
    const goods = goodsTotal(claim);
    // assert
    expect(lines).toEqual([
      {
        sku: 'CHOC-BOX',
        name: 'Chocolate box',
        category: 'food',
        quantity: 1,
        unitPrice: { amount: 2500, currency: 'EUR' },
        listValue: { amount: 2500, currency: 'EUR' },
      },
    ]);
    expect(goods).toEqual({ amount: 5000, currency: 'EUR' });
  });
});

describe('withPinnedFacts', () => {
  const claim = parseClaimRequest({
    ...designExample(),
    order: {
      ...designExample().order,
      items: [
        { sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 },
        { sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 1, unitPrice: 900 },
      ],
    },
  });
  /** What the pinned facts make of the claim, field by field: the claim's names, everything else pinned. */
  const rebuilt = (pinned: OrderFacts) => ({
    ...claim,
    order: {
      ...claim.order,
      currency: pinned.currency,
      paid: pinned.paid,
      shipping: pinned.shipping,
      placedAt: pinned.placedAt,
      deliveredAt: pinned.deliveredAt ?? claim.order.deliveredAt,
      items: pinned.items.map((p) => ({ ...p, name: claim.order.items.find((i) => i.sku === p.sku)?.name ?? p.sku })),
    },
  });
  const own = orderFactsOf(claim);
  /** Pinned facts equal to the claim's, or differing in one or more fields (an instant written another way differs too). */
  const pinnedFacts = fc.record({
    currency: fc.constantFrom(own.currency, 'USD'),
    paid: fc.constantFrom(own.paid, own.paid + 1),
    shipping: fc.constantFrom(own.shipping, 0),
    placedAt: fc.constantFrom(own.placedAt, '2026-11-01T10:00:00.000Z'),
    deliveredAt: fc.constantFrom(own.deliveredAt, undefined, '2026-11-03T10:00:00+00:00'),
    items: fc.constantFrom(
      own.items,
      own.items.slice(0, 1),
      [...own.items].reverse(),
      own.items.map((i, n) => (n === 1 ? { ...i, quantity: 3 } : i)),
      own.items.map((i, n) => (n === 0 ? { ...i, unitPrice: 2400 } : i)),
      own.items.map((i, n) => (n === 0 ? { ...i, category: 'gifts' } : i)),
    ),
  });

  it('puts every pinned fact in place, whichever of them differ from what the claim states', () => {
    fc.assert(
      fc.property(pinnedFacts, ({ deliveredAt, ...rest }) => {
        const pinned: OrderFacts = { orderId: own.orderId, ...rest, ...(deliveredAt === undefined ? {} : { deliveredAt }) };
        expect(withPinnedFacts(claim, pinned)).toEqual(rebuilt(pinned));
      }),
    );
  });

  it('returns the claim itself when it states exactly the pinned facts', () => {
    expect(withPinnedFacts(claim, own)).toBe(claim);
    expect(withPinnedFacts(claim, { ...own, deliveredAt: '2026-11-03T10:00:00+00:00' })).not.toBe(claim);
  });
});
