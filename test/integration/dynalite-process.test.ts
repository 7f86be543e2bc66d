import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynamoProcess } from '#local/emulators.ts';
import { startStack } from '#local/stack.ts';
import { claimBody, DEMO_SECRET, postClaim, waitForClaim } from './harness.ts';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'makegood-dynalite-process-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * The stack on dynalite in its own process. Not bootStack: under `npm run test:dynamodb-local` that
 * points the stack at DynamoDB Local, and this file is about dynalite's process.
 */
async function bootOwnProcess(dataDir: string) {
  const stack = await startStack({ dataDir, apiPort: 0, mailPort: 0, demoSecret: DEMO_SECRET, log: () => {}, dynalite: 'own-process' });
  return { ...stack, cleanup: () => stack.close() };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("the embedded stack with dynalite in its own process (npm start's setting)", () => {
  it('settles a claim, counts the operations the other process served, and keeps the data for the next start', async () => {
    // arrange
    const dataDir = await freshDir();
    const first = await bootOwnProcess(dataDir);
    let claimId = '';
    try {
      // act
      const posted = await postClaim(first.apiUrl, claimBody());
      expect(posted.res.status).toBe(202);
      claimId = posted.json.claimId;
      await first.engine.whenSettled(claimId);
      // assert
      const ops = (await first.stats()).dynamodb;
      expect(ops.PutItem ?? 0).toBeGreaterThan(0);
      expect(ops.Query ?? 0).toBeGreaterThan(0);
    } finally {
      await first.cleanup();
    }
    const second = await bootOwnProcess(dataDir);
    try {
      const claim = await waitForClaim(second.apiUrl, claimId, (c) => c.status === 'settled');
      expect(claim.decision?.outcome).toBe('refund_without_return');
    } finally {
      await second.cleanup();
    }
  });

  it('stops the child when it is closed, and says so when the child stops on its own', async () => {
    // arrange
    const dir = await freshDir();
    const exits: string[] = [];
    const dynamo = await startDynamoProcess(dir, '127.0.0.1', (code, signal) => exits.push(`${code}/${signal}`));
    // act: killed from outside, as an operator or the OOM killer might
    process.kill(dynamo.pid, 'SIGKILL');
    await expect.poll(() => exits).toEqual(['null/SIGKILL']);
    // assert
    await expect(dynamo.operations()).rejects.toThrow(/stopped/);
    await dynamo.close(); // closing a stopped child is not an error
    // a clean close leaves no process behind
    const again = await startDynamoProcess(dir, '127.0.0.1', (code, signal) => exits.push(`${code}/${signal}`));
    await again.close();
    expect(alive(again.pid)).toBe(false);
    expect(exits).toEqual(['null/SIGKILL']); // the clean close is not reported as a stop
  });
});
