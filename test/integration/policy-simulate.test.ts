import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '#adapters/dynamo-ledger.ts';
import { DynamoState } from '#adapters/dynamo-state.ts';
import { policySchema } from '#domain/policy.ts';
import { simulatePolicy } from '#usecases/simulate-policy.ts';
import { demoPolicyDocument } from '../unit/domain/fixtures.ts';
import { bootStack, claimBody, countItems, postClaim, waitForClaim } from './harness.ts';
import { runPolicy } from './policy-runner.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

/** Runs `makegood policy …` against the stack, with no terminal to confirm on. */
const policy = (...argv: string[]) => runPolicy(stack.dataDir, argv);
/** As {@link policy}, on a terminal that answers `answer` to every question. */
const policyAnswering = (answer: boolean, ...argv: string[]) => runPolicy(stack.dataDir, argv, answer);

/** A defective kitchen item of `price` cents, shipped free, that the customer wants refunded. */
function defective(price: number) {
  return claimBody({
    order: { paid: price, shipping: 0, items: [{ sku: 'PAN-1', name: 'Pan', category: 'kitchen', quantity: 1, unitPrice: price }] },
    complaint: { reason: 'defective', items: [{ sku: 'PAN-1', quantity: 1 }], desiredOutcome: 'refund', message: 'It broke.' },
  });
}

// The demo policy (version 1): keep-it up to €20.00, automatic up to €50.00, the agent up to €200.00.
// History: three €15.00 pans (kept and refunded, automatic), two €30.00 pans (sent back, automatic),
// one €89.00 pan (sent back, the agent approves).
const HISTORY = [1500, 1500, 1500, 3000, 3000, 8900];

beforeAll(async () => {
  stack = await bootStack();
  const ids: string[] = [];
  for (const price of HISTORY) {
    const posted = await postClaim(stack.apiUrl, defective(price));
    expect(posted.res.status).toBe(202);
    ids.push(posted.json.claimId);
  }
  for (const id of ids) await waitForClaim(stack.apiUrl, id, (c) => c.decision !== undefined && c.decision !== null);
}, 120_000);
afterAll(async () => {
  await stack?.cleanup();
});

describe('makegood policy simulate against the embedded stack', () => {
  it('replays a draft that raises the keep-it threshold and lowers the agent limit, with the exact transitions and money', async () => {
    // arrange: keep-it up to €40.00, the agent up to €80.00
    const draft = demoPolicyDocument();
    draft.keepItThreshold = 4000;
    draft.approval.tiers[1].limit = 8000;
    const file = join(stack.dataDir, 'draft.json');
    await writeFile(file, JSON.stringify(draft));
    const out = join(stack.dataDir, 'report.html');
    // act
    const json = await policy('simulate', file, '--format', 'json', '--out', out);
    const text = await policy('simulate', file);
    // assert
    expect(json.code, json.err).toBe(0);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({
      claims: 6,
      changed: 3,
      // The two €30.00 pans are now kept; the €89.00 pan now needs a supervisor.
      byTransition: { 'return_and_refund→refund_without_return': 2, 'return_and_refund→return_and_refund': 1 },
      // The same money either way: every pan is refunded in full, sent back or not.
      money: {
        cash: { before: { EUR: 19400 }, after: { EUR: 19400 } },
        storeCredit: { before: { EUR: 0 }, after: { EUR: 0 } },
        goodwill: { before: { EUR: 0 }, after: { EUR: 0 } },
      },
      tiers: { before: { auto: 5, agent: 1 }, after: { auto: 5, supervisor: 1 } },
      byReason: { defective: { claims: 6, changed: 3 } },
      mismatches: [],
      skipped: [],
    });
    expect(report.examples).toHaveLength(3);
    expect(text.code).toBe(0);
    expect(text.out).toContain('return_and_refund→refund_without_return  2');
    expect(text.out).toContain('Replay check: all 6 replayed decisions match the recorded ones.');
    expect(text.out).toContain('What a replay cannot know:');
    expect(json.err).toContain(`Wrote ${out}`);
    const page = await readFile(out, 'utf8');
    expect(page).toContain('aria-label="Changed claims by outcome transition"');
    expect(page).toContain('aria-label="Value granted per day, before and after, EUR"');
    expect(page).toContain(report.examples[0].claimId);
  });

  it('changes nothing, and writes nothing, when the draft is the current version', async () => {
    // arrange
    const file = join(stack.dataDir, 'same.json');
    await writeFile(file, JSON.stringify(demoPolicyDocument()));
    const items = await countItems(stack);
    // act
    const { code, out } = await policy('simulate', file, '--format', 'json');
    // assert
    expect(code).toBe(0);
    expect(await countItems(stack), 'a simulation writes nothing').toBe(items);
    expect(JSON.parse(out)).toMatchObject({ claims: 6, changed: 0, byTransition: {}, mismatches: [], skipped: [] });
  });

  it('refuses a bad window and a bad format by name, and a draft for another storefront', async () => {
    // arrange
    const file = join(stack.dataDir, 'same.json');
    // act
    const badDate = await policy('simulate', file, '--from', 'last-week');
    const backwards = await policy('simulate', file, '--from', '2026-10-02', '--to', '2026-10-01');
    const badFormat = await policy('simulate', file, '--format', 'xml');
    const empty = await policy('simulate', file, '--from', '2020-01-01', '--to', '2020-02-01', '--format', 'json');
    const other = await policy('simulate', file, '--storefront', 'elsewhere');
    const unwritable = await policy('simulate', file, '--out', join(stack.dataDir, 'no-such-dir', 'r.html'));
    // assert
    expect(badDate.code).toBe(2);
    expect(badDate.err).toContain('--from must be a day (2026-11-23) or an ISO time, not "last-week"');
    expect(backwards.code).toBe(2);
    expect(backwards.err).toContain('must be before --to');
    expect(badFormat.code).toBe(2);
    expect(badFormat.err).toContain('--format must be text or json, not xml');
    expect(JSON.parse(empty.out)).toMatchObject({ claims: 0, changed: 0 });
    expect(other.code).toBe(1);
    expect(other.err).toContain('The draft is for storefront demo, not elsewhere');
    expect(unwritable.code).toBe(1);
    expect(unwritable.err).toContain('cannot be written (ENOENT); the report above is complete');
  });

  it('reads by key and index only: Query, GetItem and BatchGetItem, never a Scan, and writes nothing', async () => {
    // arrange: the adapters the command uses, on a client that records every command it sends
    const client = new DynamoDBClient({
      endpoint: stack.env.MAKEGOOD_DYNAMODB_ENDPOINT,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const sent: string[] = [];
    client.middlewareStack.add((next, context) => (args) => {
      sent.push(String(context.commandName));
      return next(args);
    });
    const db = DynamoDBDocumentClient.from(client);
    const deps = {
      ledger: new DynamoLedger(db, String(stack.env.MAKEGOOD_LEDGER_TABLE), { now: () => new Date() }),
      state: new DynamoState(db, String(stack.env.MAKEGOOD_STATE_TABLE)),
    };
    const draft = policySchema.parse({ ...demoPolicyDocument(), keepItThreshold: 4000 });
    const to = new Date(Date.now() + 60_000);
    // act
    const { report, reads } = await simulatePolicy(deps, { storefrontId: 'demo', draft, from: new Date(to.getTime() - 86_400_000), to });
    client.destroy();
    // assert
    expect(report).toMatchObject({ claims: 6, changed: 2, mismatches: [], skipped: [] });
    expect(reads).toMatchObject({ customers: 6, orders: 6 });
    expect(new Set(sent)).toEqual(new Set(['QueryCommand', 'BatchGetItemCommand']));
  });

  it('put --simulate shows the summary first and publishes only once confirmed', async () => {
    // arrange
    const draft = demoPolicyDocument();
    draft.keepItThreshold = 4000;
    const file = join(stack.dataDir, 'put.json');
    await writeFile(file, JSON.stringify(draft));
    // act
    const noTerminal = await policy('put', file, '--simulate');
    const declined = await policyAnswering(false, 'put', file, '--simulate');
    const versionsBefore = await policy('list');
    const confirmed = await policyAnswering(true, 'put', file, '--simulate');
    // assert
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.out).toContain('return_and_refund→refund_without_return  2');
    expect(noTerminal.err).toContain('Not published: there is no terminal to confirm on; pass --yes');
    expect(declined.code).toBe(1);
    expect(declined.err).toContain('Not published');
    expect(versionsBefore.out).not.toMatch(/^\* +2 /m);
    expect(confirmed.code).toBe(0);
    expect(confirmed.out).toContain('Published demo policy version 2');
  });

  it('put --simulate --yes publishes after the summary without asking, for a script that has read it', async () => {
    // arrange
    const draft = demoPolicyDocument();
    draft.keepItThreshold = 4500;
    const file = join(stack.dataDir, 'put-yes.json');
    await writeFile(file, JSON.stringify(draft));
    // act
    const { code, out, err } = await policy('put', file, '--simulate', '--yes');
    // assert
    expect(code, err).toBe(0);
    expect(out).toContain('return_and_refund→refund_without_return  2');
    expect(out).toMatch(/Published demo policy version \d+/);
    expect(out.indexOf('return_and_refund→refund_without_return')).toBeLessThan(out.indexOf('Published demo policy'));
  });
});
