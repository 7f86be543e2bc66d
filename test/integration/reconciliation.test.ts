import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActionView } from '#domain/api/action.ts';
import { actionsCommand } from '../../cli/actions.ts';
import { connect } from '../../cli/connect.ts';
import { command as report } from '../../cli/ledger-report.ts';
import { command as verify } from '../../cli/ledger-verify.ts';
import { bootStack, claimBody, postClaim, signedFetch, waitForClaim } from './harness.ts';

/**
 * Reconciliation on the embedded stack: `ledger verify` and `ledger report` find each kind of
 * work left to do (an action nobody answered, one recorded for another amount, one that failed
 * with nothing done instead), and nothing for an action answered in full.
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

beforeAll(async () => {
  stack = await bootStack();
});
afterAll(async () => {
  await stack?.cleanup();
});

const today = () => new Date().toISOString().slice(0, 10);

/** Runs one `makegood ledger` subcommand in-process over today and captures what it prints. */
async function ledger(cmd: typeof verify, args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await cmd.run([...args, '--from', today(), '--data-dir', stack.dataDir]), stdout };
  } finally {
    write.mockRestore();
    err.mockRestore();
  }
}

/** Runs `makegood actions …` as a person at finance. */
async function actions(...argv: string[]): Promise<number> {
  const command = actionsCommand({ out: () => undefined, err: () => undefined, connect: (dir) => connect(dir), user: () => 'finance' });
  return command.run([...argv, '--data-dir', stack.dataDir]);
}

/** A settled claim and its first action. */
async function settled(over: Parameters<typeof claimBody>[0] = {}): Promise<{ claimId: string; action: ActionView }> {
  const { json } = await postClaim(stack.apiUrl, claimBody(over));
  await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
  const res = await signedFetch(stack.apiUrl, 'GET', `/v1/claims/${json.claimId}`);
  return { claimId: json.claimId, action: ((await res.json()) as { actions: ActionView[] }).actions[0] as ActionView };
}

describe('reconciliation of actions', () => {
  it('lists the action not answered, the one paid in part and the failure nothing followed; not the one paid in full', async () => {
    // arrange
    const waiting = await settled();
    const partly = await settled();
    const failedCredit = await settled({ complaint: { desiredOutcome: 'store_credit' } });
    const paid = await settled();
    expect(await actions('succeed', partly.action.actionId, '--provider', 'bank', '--reference', 'STMT-1', '--amount', '20.00')).toBe(0);
    const failed = await signedFetch(stack.apiUrl, 'POST', `/v1/claims/${failedCredit.claimId}/actions/${failedCredit.action.actionId}`, {
      status: 'failed',
      provider: 'shopify',
      reference: 'gc_1',
      amount: failedCredit.action.amount,
      failureReason: 'gift cards are switched off',
    });
    expect(failed.status).toBe(200);
    expect(await actions('succeed', paid.action.actionId, '--provider', 'bank', '--reference', 'STMT-2')).toBe(0);

    // act
    const strict = await ledger(verify, ['--storefront', 'demo', '--stale-days', '0', '--strict']);
    const lenient = await ledger(verify, ['--storefront', 'demo', '--stale-days', '7']);
    const summary = await ledger(report, ['--storefront', 'demo', '--stale-days', '0']);

    // assert: verify finds the three, says they are not tampering, and exits 3 only with --strict
    expect(strict.code).toBe(3);
    const section = (name: string, text: string) => text.slice(text.indexOf(name)).split('\n\n')[0] ?? '';
    const stale = section('STALE', strict.stdout);
    const mismatched = section('MISMATCHED', strict.stdout);
    const unrecovered = section('UNRECOVERED', strict.stdout);
    expect(stale).toContain(waiting.action.actionId);
    expect(mismatched).toContain(partly.action.actionId);
    expect(mismatched).toMatch(/7\.50 EUR still owed/);
    expect(unrecovered).toContain(failedCredit.action.actionId);
    expect(unrecovered).toContain('gift cards are switched off');
    for (const list of [stale, mismatched, unrecovered]) expect(list).not.toContain(paid.action.actionId);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).not.toContain('STALE');
    expect(lenient.stdout).toContain(partly.action.actionId);
    // assert: the report shows the same, and what is owed against what is paid
    expect(summary.code).toBe(0);
    for (const id of [waiting.action.actionId, partly.action.actionId, failedCredit.action.actionId]) expect(summary.stdout).toContain(id);
    expect(summary.stdout).toMatch(/refunds\s+granted .* = paid .* \+ owed/);
  });
});
