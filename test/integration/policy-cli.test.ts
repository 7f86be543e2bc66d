import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy, demoPolicyDocument } from '../unit/domain/fixtures.ts';
import { bootStack, signedFetch, waitForClaim } from './harness.ts';
import { runPolicy } from './policy-runner.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

beforeAll(async () => {
  stack = await bootStack();
});
afterAll(async () => {
  await stack?.cleanup();
});

/** Runs `makegood policy …` in-process against the embedded stack, as the CLI does. */
const policy = (...argv: string[]) => runPolicy(stack.dataDir, argv);

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

/** A faulty kettle worth €89.00 (+ €4.99 shipping): above the demo's €50.00 automatic limit. */
function kettleClaim() {
  const id = randomUUID().slice(0, 8);
  return {
    order: {
      id: `ORD-${id}`,
      placedAt: daysAgo(7),
      deliveredAt: daysAgo(5),
      currency: 'EUR',
      paid: 9399,
      shipping: 499,
      items: [{ sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 }],
    },
    customer: { id: `C-${id}`, email: `c-${id}@example.com`, name: 'Ann', locale: 'en' },
    complaint: {
      reason: 'defective',
      items: [{ sku: 'KETTLE-1', quantity: 1 }],
      desiredOutcome: 'refund',
      message: 'It does not heat.',
      channel: 'web',
      evidence: [],
    },
  };
}

async function fileClaim(): Promise<string> {
  const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', kettleClaim(), { idempotencyKey: randomUUID() });
  expect(res.status).toBe(202);
  return ((await res.json()) as { claimId: string }).claimId;
}

describe('makegood policy against the embedded stack', () => {
  it('publishes a new version that decides new claims, while a claim decided before keeps its version', async () => {
    // arrange: the seeded demo policy is version 1; a kettle claim under it waits for the agent
    const listed = await policy('list');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^\* {4}1 {2}\S+ {2}EUR, 30-day window, keep-it ≤ 2000/m);
    const before = await fileClaim();
    const waiting = await waitForClaim(stack.apiUrl, before, (c) => c.status === 'awaiting_approval');
    expect(waiting.decision).toMatchObject({ policyVersion: 1, tier: 'agent' });
    const raised = demoPolicyDocument();
    raised.approval.tiers[0].limit = 10000;
    const file = join(stack.dataDir, 'raised.json');
    await writeFile(file, JSON.stringify(raised, null, 2));

    // act: publish version 2, which approves up to €100.00 automatically, and file the same claim again
    const put = await policy('put', file);
    const after = await fileClaim();

    // assert
    expect(put.code).toBe(0);
    // In-process, the stack's own environment names its tables, so `connect` reaches them directly.
    expect(put.out).toMatch(/^Published demo policy version 2 \(was 1, which stays as it was\) to /);
    const decidedAfter = await waitForClaim(stack.apiUrl, after, (c) => c.status === 'awaiting_return');
    expect(decidedAfter.decision).toMatchObject({ policyVersion: 2, tier: 'auto', returnRequired: true });
    const stillWaiting = await waitForClaim(stack.apiUrl, before, () => true);
    expect(stillWaiting.status).toBe('awaiting_approval');
    expect(stillWaiting.decision).toEqual(waiting.decision);
  });

  it('gets the current and an older version, lists both, and refuses a missing one with exit 1', async () => {
    // act
    const current = await policy('get');
    const first = await policy('get', '--version', '1');
    const missing = await policy('get', '--version', '9');
    const list = await policy('list', '--storefront', 'demo');
    const other = await policy('list', '--storefront', 'nobody');
    // assert
    expect(current.code).toBe(0);
    expect(JSON.parse(current.out).approval.tiers[0].limit).toBe(10000);
    expect(current.err).toMatch(/^demo policy version 2, published /);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toEqual(JSON.parse(JSON.stringify(demoPolicy())));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('Storefront demo has no policy version 9');
    expect(
      list.out
        .split('\n')
        .filter((l) => /^[* ] +\d+ {2}/.test(l))
        .map((l) => l.slice(0, 6)),
    ).toEqual(['     1', '*    2']);
    expect(other.code).toBe(1);
    expect(other.err).toContain('Storefront nobody has no policy');
  });

  it('diffs two versions, and a file against the current version', async () => {
    // arrange
    const file = join(stack.dataDir, 'demo.json');
    await writeFile(file, JSON.stringify(demoPolicyDocument()));
    // act
    const versions = await policy('diff', '1', '2');
    const againstCurrent = await policy('diff', file);
    // assert
    expect(versions.code).toBe(0);
    expect(versions.out).toBe('--- demo version 1\n+++ demo version 2\n~ approval.tiers[0].limit: 5000 → 10000\n');
    expect(againstCurrent.code).toBe(0);
    expect(againstCurrent.out).toBe(`--- demo version 2 (current)\n+++ ${file}\n~ approval.tiers[0].limit: 10000 → 5000\n`);
  });

  it('works as `node cli/makegood.mjs policy list --data-dir …`, exit codes included', async () => {
    // act: a child process (asynchronously: the stack it talks to runs in this test's process)
    const [ok, usage] = await Promise.all([makegood('policy', 'list', '--data-dir', stack.dataDir), makegood('policy', 'list', '--what')]);
    // assert
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('demo policy versions in the embedded stack in');
    expect(usage.code).toBe(2);
  });
});

/** Runs `node cli/makegood.mjs …` as a child process. */
function makegood(...args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    // Without the stack's MAKEGOOD_* variables, as from a shell: the CLI finds the stack by --data-dir.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAKEGOOD_')));
    const child = spawn(process.execPath, ['cli/makegood.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}
