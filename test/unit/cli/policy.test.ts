import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffPolicies, type PolicyIo, policyCommand } from '../../../cli/policy.ts';
import { type Doc, demoPolicy, demoPolicyDocument, policyWith } from '../domain/fixtures.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-policy-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a policy document (or raw text) to a file in the temporary directory. */
async function file(name: string, doc: Doc | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

/** Runs `makegood policy …` in-process; any attempt to reach a stack fails the test. */
async function policy(...argv: string[]): Promise<{ code: number; out: string; err: string; connected: boolean }> {
  let out = '';
  let err = '';
  let connected = false;
  const io: PolicyIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    connect: async () => {
      connected = true;
      throw new Error('No embedded stack is running from /nowhere');
    },
    now: () => new Date('2026-11-23T12:00:00Z'),
  };
  const code = await policyCommand(io).run(argv);
  return { code, out, err, connected };
}

describe('makegood policy validate', () => {
  it('accepts the demo policy without a stack, exit 0', async () => {
    // act
    const r = await policy('validate', 'policies/demo.json');
    // assert
    expect(r.code).toBe(0);
    expect(r.connected).toBe(false);
    expect(r.out).toContain('policies/demo.json: a valid policy for storefront demo (EUR, 30-day window');
    expect(r.err).toBe('');
  });

  it('refuses a bad document with exit 1 and lists every problem by path, type errors and cross-field checks alike', async () => {
    // arrange: six problems in different parts of the document
    const doc = demoPolicyDocument();
    doc.currency = 'EURO';
    doc.keepItThreshold = '20.00';
    doc.returns.categoryWindowDays = { food: 3 };
    doc.approval.tiers[1].limit = 100;
    doc.approval.tiers[2].approvers = [];
    doc.risk.refundRate = { maxPercent: 150, minClaims: 0, days: 90, minRole: 'boss' };
    doc.unknown = true;
    const path = await file('bad.json', doc);
    // act
    const r = await policy('validate', path);
    // assert
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toBe(`${path}: 9 problem(s), the policy is refused`);
    expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual([
      'currency',
      'returns.categoryWindowDays.food',
      'keepItThreshold',
      'approval.tiers[1].limit',
      'approval.tiers[2].approvers',
      'risk.refundRate.maxPercent',
      'risk.refundRate.minClaims',
      'risk.refundRate.minRole',
      '(root)',
    ]);
    expect(r.err).toContain('  approval.tiers[1].limit: limits must increase from tier to tier\n');
    expect(r.err).toContain('  returns.categoryWindowDays.food: is shorter than the legal floor of 14 days\n');
  });

  it('refuses text that is not JSON, and a file that does not exist, with exit 1', async () => {
    // arrange
    const path = await file('broken.json', '{"storefrontId": ');
    // act
    const notJson = await policy('validate', path);
    const missing = await policy('validate', join(dir, 'missing.json'));
    // assert
    expect(notJson.code).toBe(1);
    expect(notJson.err).toContain(`${path}: is not JSON`);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('cannot be read (ENOENT)');
  });

  it('answers usage mistakes with exit 2 and the usage text', async () => {
    // act
    const results = await Promise.all([
      policy(),
      policy('validate'),
      policy('validate', 'a.json', 'b.json'),
      policy('frobnicate'),
      policy('get', '--colour', 'red'),
      policy('get', '--version', 'latest'),
      policy('diff'),
    ]);
    // assert
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.out + r.err).toContain('makegood policy validate <file>');
      expect(r.connected).toBe(false);
    }
  });

  it('prints the usage with exit 0 for --help', async () => {
    // act
    const r = await policy('--help');
    // assert
    expect(r.code).toBe(0);
    expect(r.out).toContain('makegood policy diff');
  });
});

describe('makegood policy put, get, list, diff without a stack', () => {
  it('refuses a document for another storefront before connecting, exit 1', async () => {
    // arrange
    const path = await file('demo.json', demoPolicyDocument());
    // act
    const r = await policy('put', path, '--storefront', 'other');
    // assert
    expect(r.code).toBe(1);
    expect(r.connected).toBe(false);
    expect(r.err).toContain('The document is for storefront demo, not other');
    expect(r.err).toContain('  storefrontId: must be other to publish it for other');
  });

  it('refuses an invalid document before connecting, exit 1', async () => {
    // arrange
    const doc = demoPolicyDocument();
    doc.keepItThreshold = -1;
    const path = await file('negative.json', doc);
    // act
    const r = await policy('put', path);
    // assert
    expect(r.code).toBe(1);
    expect(r.connected).toBe(false);
    expect(r.err).toContain('  keepItThreshold: must not be negative');
  });

  it('says there is no stack with exit 1 when get needs one', async () => {
    // act
    const r = await policy('get', '--data-dir', join(dir, 'no-stack'));
    // assert
    expect(r.code).toBe(1);
    expect(r.connected).toBe(true);
    expect(r.err).toContain('No embedded stack is running');
  });

  it('diffs two files without a stack, path by path, defaults filled in', async () => {
    // arrange: the same terms with the default legal floor written out, and two real changes
    const before = demoPolicyDocument();
    const after = demoPolicyDocument();
    after.keepItThreshold = 2500;
    after.perishableCategories = ['food'];
    after.risk.refundRate = { maxPercent: 50, minClaims: 3, days: 180, minRole: 'agent' };
    delete before.returns.legalFloorDays;
    const a = await file('a.json', before);
    const b = await file('b.json', after);
    // act
    const r = await policy('diff', a, b);
    // assert
    expect(r.code).toBe(0);
    expect(r.connected).toBe(false);
    expect(r.out).toBe(
      [
        `--- ${a}`,
        `+++ ${b}`,
        '~ keepItThreshold: 2000 → 2500',
        '~ perishableCategories: ["food","flowers"] → ["food"]',
        '+ risk.refundRate.days: 180',
        '+ risk.refundRate.maxPercent: 50',
        '+ risk.refundRate.minClaims: 3',
        '+ risk.refundRate.minRole: "agent"',
        '',
      ].join('\n'),
    );
  });
});

describe('diffPolicies', () => {
  it('finds nothing between a policy and itself, and names a changed tier by its index', () => {
    // arrange
    const demo = demoPolicy();
    const higher = policyWith((d) => (d.approval.tiers[0].limit = 6000));
    // act / assert
    expect(diffPolicies(demo, demo)).toEqual([]);
    expect(diffPolicies(demo, higher)).toEqual(['~ approval.tiers[0].limit: 5000 → 6000']);
  });
});
