import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionReceipt, ActionView } from '#domain/api/action.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import { type ActionsDeps, actionsCommand } from '../../cli/actions.ts';
import { connect } from '../../cli/connect.ts';
import { bootStack, claimBody, countItems, postClaim, signedFetch, waitForClaim } from './harness.ts';

/**
 * Manual mode on the embedded stack, without a webhook: a person answers the demo storefront's
 * actions with `makegood actions`, and the claim, the ledger and the recovery follow as they do
 * for an answer by API.
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let deps: ActionsDeps;

beforeAll(async () => {
  stack = await bootStack();
  ({ deps } = await connect(stack.dataDir));
});
afterAll(async () => {
  await stack?.cleanup();
});

/** Runs `makegood actions …` in-process against the embedded stack, as the CLI does, as `finance`. */
async function actions(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const command = actionsCommand({
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

/** A crushed chocolate box: refunded 27.50 without return, settled automatically. Returns the claim and its refund. */
async function settledRefund(): Promise<{ claimId: string; refund: ActionView }> {
  const { res, json } = await postClaim(stack.apiUrl, claimBody());
  expect(res.status).toBe(202);
  await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
  const refund = (await claimActions(json.claimId))[0] as ActionView;
  expect(refund).toMatchObject({ type: 'refund', status: 'requested', amount: { amount: 2750, currency: 'EUR' } });
  return { claimId: json.claimId, refund };
}

/** The claim's actions as `GET /v1/claims/{id}` shows them. */
async function claimActions(claimId: string): Promise<ActionView[]> {
  const res = await signedFetch(stack.apiUrl, 'GET', `/v1/claims/${claimId}`);
  return ((await res.json()) as { actions: ActionView[] }).actions;
}

async function entriesOf(claimId: string): Promise<LedgerEntry[]> {
  return deps.ledger.entries(claimId);
}

/** Reads until `until` holds or the attempts run out (the action index may trail the ledger by a moment). */
async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean, attempts = 200): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await read();
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Never reached the expected state; last seen: ${JSON.stringify(last)}`);
}

describe('makegood actions against the embedded stack', () => {
  it('lists the refund, records it paid from the bank statement, and refuses a second answer writing nothing', async () => {
    // arrange
    const { claimId, refund } = await settledRefund();
    const listed = await eventually(
      () => actions('list', '--storefront', 'demo'),
      (r) => r.out.includes(refund.actionId),
    );

    // act
    const paid = await actions('succeed', refund.actionId, '--provider', 'bank', '--reference', 'STMT-42');

    // assert: the list's line for the refund, then what was recorded
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(
      new RegExp(`^ {2}${refund.actionId} +${claimId} +refund +27\\.50 EUR +1 × CHOC-BOX +\\S+ +requested +—$`, 'm'),
    );
    expect(paid).toMatchObject({ code: 0, err: '' });
    expect(paid.out).toMatch(new RegExp(`^Recorded ${refund.actionId} as succeeded in `, 'm'));
    expect(paid.out).toContain(
      // In this process the stack's own environment names its tables, so the target reads "deployed tables …".
      `: refund 27.50 EUR of claim ${claimId} (storefront demo), bank reference STMT-42, by operator:finance.\n`,
    );
    expect((await claimActions(claimId))[0]).toMatchObject({
      status: 'succeeded',
      reference: 'STMT-42',
      result: { by: 'operator:finance' },
    });
    const succeeded = (await entriesOf(claimId)).filter((e) => e.type === 'action_succeeded');
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]?.actor).toEqual({ kind: 'operator', name: 'finance' });
    expect(succeeded[0]?.postings).toEqual([
      { account: 'refunds_payable', debit: 2750, credit: 0 },
      { account: 'cash', debit: 0, credit: 2750 },
    ]);

    // act: the same line of the statement booked twice, under another reference
    const items = await countItems(stack);
    const again = await actions('succeed', refund.actionId, '--provider', 'bank', '--reference', 'STMT-43');
    const same = await actions('succeed', refund.actionId, '--provider', 'bank', '--reference', 'STMT-42');

    // assert
    expect(again.code).toBe(1);
    expect(again.err).toContain(`Action ${refund.actionId} already succeeded with reference STMT-42`);
    expect(again.err).toContain('nothing was recorded');
    expect(same.code).toBe(0);
    expect(same.out).toMatch(
      new RegExp(
        `^${refund.actionId} was already recorded as succeeded at \\S+ in .*, bank reference STMT-42, by operator:finance\\. Nothing was written\\.$`,
        'm',
      ),
    );
    expect(await countItems(stack)).toBe(items);
    const after = await eventually(
      () => actions('list', '--storefront', 'demo'),
      (r) => !r.out.includes(refund.actionId),
    );
    expect(after.code).toBe(0);
  });

  it('refuses an unknown action id with exit 1, a malformed one with exit 2, and another storefront with exit 1, writing nothing', async () => {
    // arrange
    const { claimId, refund } = await settledRefund();
    const items = await countItems(stack);

    // act
    const noClaim = await actions('succeed', 'act_nope_1', '--provider', 'bank', '--reference', 'STMT-1');
    const noAction = await actions('succeed', `act_${claimId}_99`, '--provider', 'bank', '--reference', 'STMT-1');
    const malformed = await actions('succeed', 'nope', '--provider', 'bank', '--reference', 'STMT-1');
    const otherShop = await actions('succeed', refund.actionId, '--provider', 'bank', '--reference', 'STMT-1', '--storefront', 'shop2');
    const tooMuch = await actions('succeed', refund.actionId, '--provider', 'bank', '--reference', 'STMT-1', '--amount', '27.51');

    // assert
    expect(noClaim).toMatchObject({ code: 1, err: 'No action act_nope_1: there is no claim nope\n' });
    expect(noAction.code).toBe(1);
    expect(noAction.err).toContain(`Claim ${claimId} has no action act_${claimId}_99`);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toContain('"nope" is not an action id');
    expect(otherShop.code).toBe(1);
    expect(otherShop.err).toContain(`of storefront demo, not shop2`);
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.err).toContain('  --amount: may differ only for a refund, in EUR, above 0 and not above 2750 (€27.50)\n');
    expect(await countItems(stack)).toBe(items);
  });

  it('records a refund paid in part with --amount, warns that the rest stays owed, and the ledger keeps what was asked', async () => {
    // arrange
    const { claimId, refund } = await settledRefund();

    // act
    const part = await actions('succeed', refund.actionId, '--provider', 'bank', '--reference', 'STMT-77', '--amount', '20.00');

    // assert
    expect(part.code).toBe(0);
    expect(part.err).toBe(
      `warning: ${refund.actionId} is recorded as succeeded for 20.00 EUR, not the 27.50 EUR it asked; the other 7.50 EUR stays owed to the customer. ` +
        'makegood ledger verify and ledger report list it as recorded for another amount.\n',
    );
    const entry = (await entriesOf(claimId)).find((e) => e.type === 'action_succeeded');
    expect(entry?.data).toMatchObject({ amount: { amount: 2000, currency: 'EUR' }, expected: { amount: 2750, currency: 'EUR' } });
    expect(entry?.postings).toEqual([
      { account: 'refunds_payable', debit: 2000, credit: 0 },
      { account: 'cash', debit: 0, credit: 2000 },
    ]);
    const listed = await actions('list', '--claim', claimId);
    expect(listed.out).toContain(`  ${refund.actionId}: succeeded `);
    expect(listed.out).toContain('by operator:finance: bank STMT-77, 20.00 EUR of the 27.50 EUR asked\n');
  });

  it('records a failed refund, prints the recovery credit it created, and asks for the cash again with cash', async () => {
    // arrange
    const { claimId, refund } = await settledRefund();

    // act
    const failed = await actions(
      'fail',
      refund.actionId,
      '--provider',
      'bank',
      '--reference',
      'RET-9',
      '--reason',
      'account closed',
      '--format',
      'json',
    );

    // assert: the same value as store credit, plus 10 %
    expect(failed.code).toBe(0);
    const receipt = JSON.parse(failed.out) as ActionReceipt;
    expect(receipt.action).toMatchObject({ actionId: refund.actionId, status: 'failed', result: { failureReason: 'account closed' } });
    const credit = receipt.created[0] as ActionView;
    expect(credit).toMatchObject({ type: 'store_credit', status: 'requested', amount: { amount: 3025 }, recovers: refund.actionId });
    expect(failed.err).toContain(
      `created ${credit.actionId}: store credit 30.25 EUR (bonus 2.75 EUR included) instead of ${refund.actionId}`,
    );

    // act
    const cash = await actions('cash', credit.actionId);

    // assert: the credit is withdrawn and the refund asked again
    expect(cash.code).toBe(0);
    expect(cash.out).toContain(
      `Asked for cash instead of ${credit.actionId} (store credit 30.25 EUR of claim ${claimId}, storefront demo)`,
    );
    expect(cash.out).toContain('the credit is cancelled');
    expect(cash.out).toMatch(new RegExp(`created act_${claimId}_\\d+: refund 27\\.50 EUR instead of ${credit.actionId}, requested`));
    expect((await claimActions(claimId)).map((a) => [a.type, a.status, a.amount.amount])).toEqual([
      ['refund', 'failed', 2750],
      ['store_credit', 'cancelled', 3025],
      ['refund', 'requested', 2750],
    ]);
    const notCredit = await actions('cash', refund.actionId);
    expect(notCredit.code).toBe(1);
    expect(notCredit.err).toContain('is not store credit given for a failed refund');
  });

  it('works as `node cli/makegood.mjs actions list --data-dir …`, exit codes included', async () => {
    // act: a child process (asynchronously: the stack it talks to runs in this test's process)
    const [ok, usage, unknown] = await Promise.all([
      makegood('actions', 'list', '--data-dir', stack.dataDir),
      makegood('actions', 'succeed', 'act_clm_x_3', '--provider', 'bank'),
      makegood('actions', 'cash', 'act_nope_1', '--data-dir', stack.dataDir),
    ]);

    // assert
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Requested actions in the embedded stack in ${stack.dataDir}`);
    expect(ok.stdout).toContain('\ndemo:\n');
    expect(usage.code).toBe(2);
    expect(unknown.code).toBe(1);
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
