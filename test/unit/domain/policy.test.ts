import { describe, expect, it } from 'vitest';
import { InvalidPolicyError, type Issue } from '#domain/errors.ts';
import {
  compareRoles,
  higherRole,
  matchPhrases,
  parsePolicy,
  returnGrade,
  returnPostagePaidBy,
  tierAbove,
  tierFor,
} from '#domain/policy.ts';
import { demoPolicy, demoPolicyDocument } from './fixtures.ts';

/** The error parsePolicy throws; fails the test when it accepts the document. */
function policyError(doc: unknown): InvalidPolicyError {
  try {
    parsePolicy(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPolicyError);
    expect((err as Error).name).toBe('InvalidPolicyError');
    return err as InvalidPolicyError;
  }
  throw new Error('expected the policy to be refused');
}

/** The issues parsePolicy throws with. */
const policyIssues = (doc: unknown): readonly Issue[] => policyError(doc).issues;

describe('parsePolicy: the demo storefront policy', () => {
  it('accepts policies/demo.json', () => {
    // arrange
    const doc = demoPolicyDocument();
    // act / assert
    expect(() => parsePolicy(doc)).not.toThrow();
  });

  it('encodes the demo terms of DESIGN.md', () => {
    // act
    const policy = demoPolicy();
    // assert
    expect(policy.currency).toBe('EUR');
    expect(policy.returns.windowDays).toBe(30);
    expect(policy.perishableCategories).toEqual(['food', 'flowers']);
    expect(policy.finalSale.categories).toEqual(['digital', 'custom']);
    expect([...policy.finalSale.exceptReasons].sort()).toEqual(['defective', 'missing_item', 'not_received', 'wrong_item']);
    expect(policy.keepItThreshold).toBe(2000);
    expect([...policy.shippingRefundReasons].sort()).toEqual([
      'damaged',
      'defective',
      'late_delivery',
      'missing_item',
      'not_received',
      'wrong_item',
    ]);
    expect(policy.shippingRefundReasons).not.toContain('changed_mind');
    expect(policy.goodwill.byReason.late_delivery).toEqual({ percentOfPaid: 10, min: 200, max: 1500 });
    expect(policy.goodwill.storeCreditBonusPercent).toBe(10);
    expect(policy.approval.tiers.map((t) => [t.role, t.limit, t.approvers, t.waitHours ?? null])).toEqual([
      ['auto', 5000, [], null],
      ['agent', 20000, ['agent@demo.test'], 48],
      ['supervisor', 100000, ['supervisor@demo.test'], 48],
      ['finance', null, ['finance@demo.test'], 48],
    ]);
    expect(policy.risk.frequentClaims).toEqual({ count: 3, days: 90, minRole: 'agent' });
    expect(policy.risk.unreturned).toEqual({ afterDays: 30, minRole: 'agent' });
    expect(policy.risk.blocklist?.minRole).toBe('supervisor');
    expect(policy.risk.goodwillBudget).toEqual({ amount: 5000, days: 365 });
  });
});

describe('parsePolicy: bad documents list every problem by path', () => {
  it('refuses tiers whose roles do not go up', () => {
    // arrange
    const doc = demoPolicyDocument();
    [doc.approval.tiers[1].role, doc.approval.tiers[2].role] = ['supervisor', 'agent'];
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toContainEqual({ path: 'approval.tiers[2].role', message: 'tiers must go up one role at a time, lowest first' });
  });

  it('refuses tier limits that do not increase', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.approval.tiers[2].limit = 20000;
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([{ path: 'approval.tiers[2].limit', message: 'limits must increase from tier to tier' }]);
  });

  it('refuses a top tier with a limit', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.approval.tiers[3].limit = 500000;
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([{ path: 'approval.tiers[3].limit', message: 'the top tier must have no limit (null)' }]);
  });

  it('refuses a tier of people without approvers or without waitHours', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.approval.tiers[1].approvers = [];
    delete doc.approval.tiers[2].waitHours;
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([
      { path: 'approval.tiers[1].approvers', message: 'a tier of people needs at least one approver' },
      { path: 'approval.tiers[2].waitHours', message: 'a tier of people needs waitHours' },
    ]);
  });

  it('refuses a category window shorter than the legal floor', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.returns.categoryWindowDays = { electronics: 14, toys: 7 };
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([{ path: 'returns.categoryWindowDays.toys', message: 'is shorter than the legal floor of 14 days' }]);
  });

  it('refuses a goodwill rule whose max is below its min', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.goodwill.byReason.late_delivery.max = 100;
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([{ path: 'goodwill.byReason.late_delivery.max', message: 'must be at least min' }]);
  });

  it('refuses unknown keys at the top and nested, naming the key', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.colour = 'blue';
    doc.returns.windowDayz = 30;
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues.map((i) => i.path).sort()).toEqual(['(root)', 'returns']);
    expect(issues.find((i) => i.path === '(root)')?.message).toMatch(/colour/);
    expect(issues.find((i) => i.path === 'returns')?.message).toMatch(/windowDayz/);
  });

  it('refuses fractional amounts and percentages with more than two decimals', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.keepItThreshold = 20.5;
    doc.goodwill.storeCreditBonusPercent = 10.125;
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([
      { path: 'keepItThreshold', message: 'must be a whole number of minor units' },
      { path: 'goodwill.storeCreditBonusPercent', message: 'must have at most two decimals' },
    ]);
  });

  it('lists every cross-field problem and every unknown key of one document together', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.approval.tiers[1].limit = 3000;
    doc.approval.tiers[3].limit = 500000;
    doc.approval.tiers[2].approvers = [];
    doc.returns.categoryWindowDays = { toys: 7 };
    doc.goodwill.byReason.late_delivery.max = 100;
    doc.surprise = true;
    // act
    const error = policyError(doc);
    // assert
    expect(error.issues.map((i) => i.path).sort()).toEqual(
      [
        '(root)',
        'approval.tiers[1].limit',
        'approval.tiers[2].approvers',
        'approval.tiers[3].limit',
        'returns.categoryWindowDays.toys',
        'goodwill.byReason.late_delivery.max',
      ].sort(),
    );
    expect(error.message).toBe('The policy has 6 problem(s)');
  });
});

describe('roles and tiers', () => {
  it('orders roles auto < agent < supervisor < finance', () => {
    // act / assert
    expect(compareRoles('auto', 'agent')).toBeLessThan(0);
    expect(compareRoles('finance', 'supervisor')).toBeGreaterThan(0);
    expect(compareRoles('agent', 'agent')).toBe(0);
    expect(higherRole('agent', 'supervisor')).toBe('supervisor');
    expect(higherRole('finance', 'auto')).toBe('finance');
  });

  it("finds a role's tier and the tier one above it, none above the top", () => {
    // arrange
    const policy = demoPolicy();
    // act / assert
    expect(tierFor(policy, 'agent')?.approvers).toEqual(['agent@demo.test']);
    expect(tierAbove(policy, 'agent')?.role).toBe('supervisor');
    expect(tierAbove(policy, 'finance')).toBeUndefined();
  });
});

describe('parsePolicy: the newer optional sections', () => {
  it('gives every new section its default, so an older document still parses', () => {
    // arrange: the demo without any of the new keys
    const doc = demoPolicyDocument();
    for (const key of ['keepItReasons', 'currencies', 'returnGrading', 'returnShippingPaidBy']) delete doc[key];
    delete doc.risk.deliveredButNotReceived;
    delete doc.risk.phrases;
    // act
    const policy = parsePolicy(doc);
    // assert
    expect(policy.keepItReasons).toBeNull();
    expect(policy.currencies).toEqual({});
    expect(policy.returnGrading).toEqual([]);
    expect(policy.returnShippingPaidBy).toEqual({});
    expect(returnGrade(policy, 'changed_mind', 'damaged')).toEqual({ refundPercent: 100, minRole: 'auto' });
  });

  it('encodes the demo return terms: grading for a change of mind, postage by fault, review rules', () => {
    // act
    const policy = demoPolicy();
    // assert
    expect(returnGrade(policy, 'changed_mind', 'as_new')).toEqual({ refundPercent: 100, minRole: 'auto' });
    expect(returnGrade(policy, 'changed_mind', 'used')).toEqual({ refundPercent: 90, minRole: 'auto' });
    expect(returnGrade(policy, 'changed_mind', 'damaged')).toEqual({ refundPercent: 50, minRole: 'agent' });
    expect(returnGrade(policy, 'damaged', 'used')).toEqual({ refundPercent: 100, minRole: 'auto' });
    for (const reason of policy.shopFaultReasons) expect(returnPostagePaidBy(policy, reason)).toBe('shop');
    expect(returnPostagePaidBy(policy, 'changed_mind')).toBe('customer');
    expect(policy.keepItReasons).toBeNull();
    expect(policy.currencies).toEqual({});
    expect(policy.risk.deliveredButNotReceived).toEqual({ minRole: 'agent' });
    expect(policy.risk.phrases?.minRole).toBe('agent');
    for (const locale of ['en', 'uk', 'ru', 'eo'] as const) {
      expect(policy.risk.phrases?.threats[locale]?.length, locale).toBeGreaterThan(0);
      expect(policy.risk.phrases?.competitors[locale]?.length, locale).toBeGreaterThan(0);
    }
  });

  it('falls back for postage by fault when a reason is not listed', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.returnShippingPaidBy = {};
    // act
    const policy = parsePolicy(doc);
    // assert
    expect(returnPostagePaidBy(policy, 'defective')).toBe('shop');
    expect(returnPostagePaidBy(policy, 'not_as_described')).toBe('customer');
  });

  it('accepts limits for another currency, one per tier, ascending, the last null', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.currencies = { JPY: { keepItThreshold: 3000, tierLimits: [8000, 30000, 150000, null], goodwillBudget: 8000 } };
    // act / assert
    expect(parsePolicy(doc).currencies.JPY?.tierLimits).toEqual([8000, 30000, 150000, null]);
  });

  it('refuses currency limits that are not a currency, are the policy currency, or break the tier rules, by path', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.currencies = {
      JPY: { keepItThreshold: 3000, tierLimits: [8000, 30000, 20000, 5] },
      USD: { keepItThreshold: 2000, tierLimits: [5000, null] },
      EUR: { keepItThreshold: 2000, tierLimits: [5000, 20000, 100000, null] },
      XYZ: { keepItThreshold: 2000, tierLimits: [5000, 20000, 100000, null] },
    };
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'currencies.JPY.tierLimits[2]', message: 'limits must increase from tier to tier' },
        { path: 'currencies.JPY.tierLimits[3]', message: 'limits must increase from tier to tier' },
        { path: 'currencies.JPY.tierLimits[3]', message: 'the top tier must have no limit (null)' },
        { path: 'currencies.XYZ', message: 'must be an ISO-4217 currency code such as JPY' },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('checks the currency limits against the tiers once both parse', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.currencies = {
      USD: { keepItThreshold: 2000, tierLimits: [5000, null] },
      EUR: { keepItThreshold: 2000, tierLimits: [5000, 20000, 100000, null] },
    };
    doc.keepItThreshold = -1; // an unrelated problem does not hide the cross-field ones
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([
      { path: 'keepItThreshold', message: 'must not be negative' },
      { path: 'currencies.USD.tierLimits', message: 'must have one limit per approval tier (4)' },
      { path: 'currencies.EUR', message: "is the policy's own currency; its limits are the document's" },
    ]);
  });

  it('refuses a reason graded by two returnGrading entries', () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.returnGrading = [
      { reasons: ['changed_mind'], conditions: { used: { refundPercent: 90 } } },
      { reasons: ['other', 'changed_mind'], conditions: { used: { refundPercent: 80 } } },
    ];
    // act
    const issues = policyIssues(doc);
    // assert
    expect(issues).toEqual([{ path: 'returnGrading[1].reasons[1]', message: 'changed_mind is already graded by returnGrading[0]' }]);
  });
});

describe('matchPhrases', () => {
  const threats = { en: ['sue', 'chargeback*', 'bad review'], uk: ['юрист*'], ru: ['суд'], eo: ['advokat*'] };

  it.each([
    ['I will sue you', 'sue'],
    ['I WILL SUE', 'sue'],
    ['Ｓｕｅ them (full-width letters, NFKC)', 'sue'],
    ['expect chargebacks', 'chargebacks'],
    ['Leaving a bad   review', 'bad   review'],
    ['Звернуся до юристу', 'юристу'],
    ['Пойду в СУД.', 'суд'],
    ['Mia advokato skribos', 'advokato'],
  ])('finds a threat in %j, in any locale', (message, text) => {
    // act
    const match = matchPhrases(message, threats);
    // assert
    expect(match?.text).toBe(text);
  });

  it.each([
    'There is an issue with the lid',
    'pursue',
    'sued? no: suede shoes',
    'Судно прибуло', // "vessel", not "court"
    'a badreview',
    '',
  ])('matches whole words only, so %j has no threat', (message) => {
    // act / assert
    expect(matchPhrases(message, { en: ['sue', 'bad review'], ru: ['суд'] })).toBeUndefined();
  });

  it('treats regular-expression characters in a phrase literally', () => {
    // act / assert
    expect(matchPhrases('see prom.ua', { uk: ['prom.ua'] })?.phrase).toBe('prom.ua');
    expect(matchPhrases('see promxua', { uk: ['prom.ua'] })).toBeUndefined();
    expect(matchPhrases('(c) 2026', { en: ['(c)'] })?.locale).toBe('en');
  });
});
