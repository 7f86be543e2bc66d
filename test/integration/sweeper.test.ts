import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import { parseClaimRequest } from '#domain/claim.ts';
import { receiveClaim } from '#usecases/receive-claim.ts';
import { bootStack, claimBody, signedFetch, waitForClaim } from './harness.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the sweeper of claims received but never started', () => {
  it('starts, on the next boot, a claim whose intake stopped between its received entry and its workflow', async () => {
    // arrange: an intake that dies right after the `received` entry, as a kill -9 would stop it
    const dataDir = await mkdtemp(join(tmpdir(), 'makegood-sweeper-'));
    dirs.push(dataDir);
    const first = await bootStack({ dataDir, wakeFunctions: false });
    const deps = makeDeps(parseConfig(first.env));
    const crashing = {
      ...deps,
      workflow: {
        ...deps.workflow,
        start: async () => {
          throw new Error('the process died here');
        },
      },
    };
    const key = randomUUID();
    let claimId = '';
    await expect(
      receiveClaim(
        {
          storefrontId: 'demo',
          idempotencyKey: key,
          requestFingerprint: 'fingerprint',
          claim: parseClaimRequest(claimBody()),
          answerFor: (id) => {
            claimId = id;
            return { statusCode: 202, body: JSON.stringify({ claimId: id }) };
          },
        },
        crashing,
      ),
    ).rejects.toThrow(/died/);
    const stuck = await waitForClaim(first.apiUrl, claimId, () => true);
    const queued = await deps.state.unstartedClaims('demo', new Date(Date.now() + 1000), 10);
    // A key whose intake died before even the `received` entry: never accepted, so never started.
    const unaccepted = randomUUID();
    await deps.state.rememberIdempotencyKey({
      storefrontId: 'demo',
      key: unaccepted,
      requestHash: 'h',
      claimId: 'clm_neveraccepted',
      statusCode: 202,
      body: '{}',
      createdAt: new Date().toISOString(),
    });
    await first.cleanup();

    // act: the next start of the stack
    const second = await bootStack({ dataDir, wakeFunctions: false });
    try {
      const settled = await waitForClaim(second.apiUrl, claimId, (c) => c.status === 'settled');
      const after = await makeDeps(parseConfig(second.env)).state.unstartedClaims('demo', new Date(Date.now() + 1000), 10);

      // assert
      expect(stuck.status).toBe('received');
      expect(queued.map((r) => r.claimId)).toEqual([claimId]);
      expect(settled.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent']);
      expect(after.map((r) => r.claimId)).toEqual(['clm_neveraccepted']);
    } finally {
      await second.cleanup();
    }
  }, 60_000);

  it('leaves the queue empty after claims that started normally', async () => {
    // arrange
    const stack = await bootStack({ wakeFunctions: false });
    try {
      const deps = makeDeps(parseConfig(stack.env));

      // act
      const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', claimBody(), { idempotencyKey: randomUUID() });
      const { claimId } = (await res.json()) as { claimId: string };
      await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled');

      // assert
      expect(await deps.state.unstartedClaims('demo', new Date(Date.now() + 1000), 10)).toEqual([]);
    } finally {
      await stack.cleanup();
    }
  }, 60_000);
});
