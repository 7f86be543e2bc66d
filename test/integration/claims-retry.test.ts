import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsCommand } from '../../cli/claims.ts';
import { connect } from '../../cli/connect.ts';
import { bootStack, claimBody, mailbox, postClaim, waitForClaim } from './harness.ts';

/**
 * `makegood claims retry` on the embedded stack: a claim whose Conclude keeps failing after it did
 * its work (the answer lost, every attempt) ends `failed`; retried once the fault is gone, it goes
 * back to Conclude and ends settled, with nothing done twice.
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let concludeFails = true;

beforeAll(async () => {
  stack = await bootStack({ loseTaskAnswer: (id) => id === 'Conclude' && concludeFails });
});
afterAll(async () => {
  await stack?.cleanup();
});

async function claims(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const command = claimsCommand({
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    connect: async (dataDir) => {
      const { deps, target } = await connect(dataDir);
      return { deps, target };
    },
    user: () => 'finance',
  });
  const code = await command.run([...argv, '--data-dir', stack.dataDir]);
  return { code, out, err };
}

describe('makegood claims retry', () => {
  it('re-runs a failed claim from its failed step, without doing anything twice', async () => {
    // arrange: a claim whose Conclude settles and emails, then loses its answer on every attempt
    const body = claimBody();
    const { claimId } = (await postClaim(stack.apiUrl, body)).json;
    const failed = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'failed', 600);
    const mailsBefore = (await mailbox(stack.mailUrl)).filter((m) => m.destination.to.includes(body.customer.email));
    concludeFails = false;

    // act
    const retried = await claims('retry', claimId, '--format', 'json');
    const settled = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled');
    const again = await claims('retry', claimId);

    // assert
    expect(failed.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent', 'failed']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.out)).toMatchObject({ claimId, round: 1, execution: `${claimId}-retry-1`, resumesAt: 'conclude' });
    expect(settled.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent', 'failed', 'retried']);
    expect(settled.timeline.at(-1)).toMatchObject({ actor: 'operator:finance' });
    expect((await mailbox(stack.mailUrl)).filter((m) => m.destination.to.includes(body.customer.email))).toHaveLength(mailsBefore.length);
    expect(mailsBefore).toHaveLength(1);
    expect(again.code).toBe(1);
    expect(again.err, again.err).toMatch(/was retried already: .*-retry-1 is (running|succeeded)/);
  }, 120_000);

  it('refuses an unknown claim and a bad command line, recording nothing', async () => {
    // act
    const unknown = await claims('retry', 'clm_nosuchclaim');
    const noId = await claims('retry');
    const badFormat = await claims('retry', 'clm_x', '--format', 'yaml');

    // assert
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/clm_nosuchclaim/);
    expect(noId.code).toBe(2);
    expect(noId.err).toMatch(/exactly one claim id/);
    expect(badFormat.code).toBe(2);
    expect(badFormat.err).toMatch(/--format must be text or json/);
  });
});
