import { describe, expect, it } from 'vitest';
import { InvalidPolicyError, type Issue } from '#domain/errors.ts';
import { compareRoles, higherRole, parsePolicy, tierAbove, tierFor } from '#domain/policy.ts';
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
