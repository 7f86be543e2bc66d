import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '#local/stack.ts';
import { command as digest } from '../../cli/ledger-digest.ts';
import { command as report } from '../../cli/ledger-report.ts';
import { command as verify } from '../../cli/ledger-verify.ts';
import { bootStack, signedFetch, waitForClaim } from './harness.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let out: string;
const claims: string[] = [];

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
const today = () => new Date().toISOString().slice(0, 10);

function claimBody(reason: string) {
  const id = randomUUID().slice(0, 8);
  return {
    order: {
      id: `ORD-${id}`,
      placedAt: daysAgo(9),
      deliveredAt: daysAgo(reason === 'late_delivery' ? 1 : 5),
      currency: 'EUR',
      paid: 5499,
      shipping: 499,
      items: [{ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 }],
    },
    customer: { id: `C-${id}`, email: `c-${id}@example.com`, name: 'Ann', locale: 'en' },
    complaint: {
      reason,
      items: [{ sku: 'CHOC-BOX', quantity: 1 }],
      desiredOutcome: reason === 'late_delivery' ? 'apology' : 'refund',
      message: 'It arrived late and crushed.',
      channel: 'web',
      evidence: ['https://shop.example/uploads/1.jpg'],
    },
  };
}

/** Runs one `makegood ledger` subcommand in-process and captures what it prints. */
async function run(cmd: typeof verify, args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    // Today only: the claims are today's, and each day of a window costs one Query per storefront.
    const window = cmd === digest ? ['--since', today()] : ['--from', today()];
    return { code: await cmd.run([...args, ...window, '--data-dir', stack.dataDir]), stdout };
  } finally {
    write.mockRestore();
    err.mockRestore();
  }
}

/** The test reaches under the product: raw DynamoDB writes that no role of makegood has. */
function rawDb(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: stack.env.MAKEGOOD_DYNAMODB_ENDPOINT,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
}

beforeAll(async () => {
  stack = await bootStack();
  out = await mkdtemp(join(tmpdir(), 'makegood-ledger-'));
  for (const reason of ['damaged', 'defective', 'late_delivery']) {
    const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', claimBody(reason), { idempotencyKey: randomUUID() });
    claims.push(((await res.json()) as { claimId: string }).claimId);
  }
  for (const id of claims)
    await waitForClaim(stack.apiUrl, id, (c) => ['settled', 'rejected', 'awaiting_approval', 'awaiting_return'].includes(c.status));
});
afterAll(async () => {
  await stack?.cleanup();
  await rm(out, { recursive: true, force: true });
});

describe('makegood ledger verify, digest and report against the running embedded stack', () => {
  it('verifies a clean ledger through `npx makegood` and exits 0 with counts', async () => {
    // act
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(repoRoot, 'cli/makegood.mjs'),
      'ledger',
      'verify',
      '--from',
      today(),
      '--data-dir',
      stack.dataDir,
    ]);
    // assert (execFile rejects on a non-zero exit)
    expect(stdout).toMatch(/^OK: 1 storefront\(s\), 3 claims, \d+ entries checked \(\d+ in the window\)/);
  });

  it('reports totals and writes the HTML report', async () => {
    // act
    const file = join(out, 'report.html');
    const { code, stdout } = await run(report, ['--storefront', 'demo', '--out', file]);
    // assert
    expect(code).toBe(0);
    expect(stdout).toContain('3 claims');
    expect(stdout).toContain('refunds_payable');
    expect(stdout).toMatch(/damaged\s+1/);
    const html = await readFile(file, 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(3);
  });

  it('pins a digest, then names a chain cut off at the end, which plain verify cannot see', async () => {
    // arrange: pin today, then delete the newest entry of the first claim under the product
    const manifest = join(out, 'digest.json');
    const pinned = await run(digest, ['--storefront', 'demo', '--date', today(), '--out', manifest]);
    const db = rawDb();
    const table = stack.env.MAKEGOOD_LEDGER_TABLE;
    const pk = `CLAIM#${claims[0]}`;
    const last = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = last.Items?.[0];
    await db.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: item?.sk as { S: string } } }));
    // act
    const plain = await run(verify, []);
    const againstLine = await run(verify, ['--against', pinned.stdout.trim()]);
    const againstManifest = await run(verify, ['--against', manifest]);
    // assert
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toMatch(new RegExp(`^mgd1:demo:${today()}:${today()}:[0-9a-f]{64}\\n$`));
    expect(item?.type?.S).toBe('email_sent');
    expect(plain.code).toBe(0);
    expect(againstLine.code).toBe(1);
    expect(againstLine.stdout).toContain('no longer matches the pinned digest');
    expect(againstManifest.code).toBe(1);
    expect(againstManifest.stdout).toContain(
      `FIRST BAD ENTRY: storefront demo, claim ${claims[0]}, seq ${Number(item?.seq?.N)}: the chain was cut off`,
    );
  });

  it('names an entry edited in place', async () => {
    // arrange
    const db = rawDb();
    await db.send(
      new UpdateItemCommand({
        TableName: stack.env.MAKEGOOD_LEDGER_TABLE,
        Key: { pk: { S: `CLAIM#${claims[1]}` }, sk: { S: 'E#00000002' } },
        UpdateExpression: 'SET policyVersion = :v',
        ExpressionAttributeValues: { ':v': { N: '99' } },
      }),
    );
    // act
    const { code, stdout } = await run(verify, []);
    // assert
    expect(code).toBe(1);
    expect(stdout).toContain(`FIRST BAD ENTRY: storefront demo, claim ${claims[1]}, seq 2: content does not match its hash`);
  });

  it('names two entries swapped in their partition', async () => {
    // arrange: the third claim's entries 1 and 2 stored under each other's key, content untouched
    const db = rawDb();
    const table = stack.env.MAKEGOOD_LEDGER_TABLE;
    const pk = `CLAIM#${claims[2]}`;
    const { Items = [] } = await db.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }),
    );
    const [first, second] = Items;
    await db.send(new PutItemCommand({ TableName: table, Item: { ...first, sk: second?.sk as { S: string } } }));
    await db.send(new PutItemCommand({ TableName: table, Item: { ...second, sk: first?.sk as { S: string } } }));
    // act
    const { code, stdout } = await run(verify, ['--storefront', 'demo']);
    // assert: the earlier tampering is still named; this claim's swap is named too
    expect(code).toBe(1);
    expect(stdout).toContain(`claim ${claims[2]}, seq 2: expected sequence 1`);
  });
});
