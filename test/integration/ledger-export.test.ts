import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreText } from '#domain/csv.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import { repoRoot } from '#local/stack.ts';
import { bootStack, signedFetch, waitForClaim } from './harness.ts';

const FINANCE_KEY = 'it-finance-key';
/** Complaint texts that a CSV must carry intact and a spreadsheet must not run. */
const messages = [
  '=HYPERLINK("http://evil.test","click") and "quotes", commas',
  '+1 555 0100\nsecond line\r\nthird line',
  '@SUM(A1:A9) -2+3 \t tab',
  'Коробка прийшла зім’ята 🍫💥 箱が潰れて',
];

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let from: string;
let to: string;
const claimIds: string[] = [];

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

function claimBody(message: string) {
  const id = randomUUID().slice(0, 8);
  return {
    order: {
      id: `ORD-${id}`,
      placedAt: daysAgo(7),
      deliveredAt: daysAgo(5),
      currency: 'EUR',
      paid: 5499,
      shipping: 499,
      items: [{ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 }],
    },
    customer: { id: `C-${id}`, email: `c-${id}@example.com`, name: 'Ann', locale: 'uk' },
    complaint: {
      reason: 'damaged',
      items: [{ sku: 'CHOC-BOX', quantity: 1 }],
      desiredOutcome: 'refund',
      message,
      channel: 'web',
      evidence: ['https://shop.example/uploads/123.jpg'],
    },
  };
}

beforeAll(async () => {
  stack = await bootStack({ financeKey: FINANCE_KEY });
  from = new Date(Date.now() - 60_000).toISOString();
  for (const message of messages) {
    const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', claimBody(message), { idempotencyKey: randomUUID() });
    expect(res.status).toBe(202);
    claimIds.push(((await res.json()) as { claimId: string }).claimId);
  }
  for (const id of claimIds) await waitForClaim(stack.apiUrl, id, (c) => c.status === 'settled');
  to = new Date(Date.now() + 60_000).toISOString();
});

afterAll(async () => {
  await stack?.cleanup();
});

function financeGet(query: Record<string, string>, key: string | null = FINANCE_KEY): Promise<Response> {
  return fetch(`${stack.apiUrl}/v1/ledger?${new URLSearchParams(query).toString()}`, {
    headers: key === null ? {} : { Authorization: `Bearer ${key}` },
  });
}

async function page(query: Record<string, string>): Promise<{ entries: LedgerEntry[]; next: string | null }> {
  const res = await financeGet(query);
  expect(res.status).toBe(200);
  return (await res.json()) as { entries: LedgerEntry[]; next: string | null };
}

/** Runs `npx makegood …` (the real bin) against the running stack, found through its data directory. */
function cli(args: string[], dataDir = stack.dataDir): Promise<{ code: number; stdout: string; stderr: string }> {
  // Only the data directory may lead the CLI to the stack: drop the environment the stack set.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAKEGOOD_')));
  const child = spawn(process.execPath, [join(repoRoot, 'cli/makegood.mjs'), ...args, '--data-dir', dataDir], { env, cwd: repoRoot });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

describe('the finance API and export, embedded', () => {
  it('answers 401 without the finance key or with another one', async () => {
    // act
    const statuses = await Promise.all([
      financeGet({ from, to }, null),
      financeGet({ from, to }, 'wrong-key'),
      financeGet({ from, to }, 'test-demo-secret'),
    ]).then((rs) => rs.map((r) => r.status));
    // assert
    expect(statuses).toEqual([401, 401, 401]);
  });

  it('pages with a small limit to exactly the entries of one unpaginated read, in the same order, none twice', async () => {
    // arrange
    const whole = await page({ from, to, storefront: 'demo', limit: '1000' });
    // act
    const paged: LedgerEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: { entries: LedgerEntry[]; next: string | null } = await page({
        from,
        to,
        storefront: 'demo',
        limit: '3',
        ...(cursor ? { cursor } : {}),
      });
      expect(p.entries.length).toBeLessThanOrEqual(3);
      paged.push(...p.entries);
      cursor = p.next;
      pages++;
    } while (cursor !== null && pages < 100);
    // assert
    expect(whole.next).toBeNull();
    // every claim's four entries: received, decided, refund_settled, email_sent
    expect(whole.entries).toHaveLength(claimIds.length * 4);
    expect(new Set(whole.entries.map((e) => e.claimId))).toEqual(new Set(claimIds));
    expect(pages).toBeGreaterThan(1);
    expect(paged).toEqual(whole.entries);
    const keys = paged.map((e) => `${e.claimId}/${e.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    const times = paged.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    // without a storefront: every storefront, and demo is the only one
    expect((await page({ from, to, limit: '1000' })).entries).toEqual(whole.entries);
  });

  it('filters by claim and by type', async () => {
    // act
    const oneClaim = await page({ claim: claimIds[0] as string });
    const refunds = await page({ from, to, storefront: 'demo', type: 'refund_settled' });
    // assert
    expect(oneClaim.entries.map((e) => e.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent']);
    expect(refunds.entries).toHaveLength(claimIds.length);
    for (const e of refunds.entries) expect(e.postings.find((p) => p.account === 'refunds_payable')?.credit).toBe(2750);
  });

  it('answers CSV that csv-parse reads back to the JSON entries, hostile complaint texts included', async () => {
    // act
    const res = await financeGet({ from, to, storefront: 'demo', format: 'csv', limit: '1000' });
    const text = await res.text();
    const json = await page({ from, to, storefront: 'demo', limit: '1000' });
    // assert
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="makegood-ledger-demo-.*\.csv"$/);
    const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.map((r) => `${r.claim}/${r.seq}/${r.type}/${r.hash}`)).toEqual(
      json.entries.map((e) => `${e.claimId}/${e.seq}/${e.type}/${e.hash}`),
    );
    expect(rows.map((r) => JSON.parse(restoreText(r.data as string)))).toEqual(json.entries.map((e) => e.data));
    const received = rows
      .filter((r) => r.type === 'received')
      .map((r) => JSON.parse(restoreText(r.data as string)).claim.complaint.message);
    expect(received.sort()).toEqual([...messages].sort());
    for (const r of rows) for (const cell of Object.values(r)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('exports the same entries from the CLI as the API answers, as JSON and as CSV', async () => {
    // arrange
    const api = await page({ from, to, storefront: 'demo', limit: '1000' });
    // Bytes, not text: a decoder would drop the byte order mark.
    const apiCsv = Buffer.from(await (await financeGet({ from, to, storefront: 'demo', format: 'csv', limit: '1000' })).arrayBuffer());
    const out = join(stack.dataDir, 'export.csv');
    // act
    const [asJson, asCsv] = await Promise.all([
      cli(['ledger', 'export', '--from', from, '--to', to, '--storefront', 'demo', '--format', 'json']),
      cli(['ledger', 'export', '--from', from, '--to', to, '--out', out]),
    ]);
    // assert
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual(api.entries);
    expect(asCsv.code, asCsv.stderr).toBe(0);
    expect(asCsv.stdout).toBe('');
    expect(asCsv.stderr).toContain(`${api.entries.length} entries written to ${out}`);
    // not a terminal: no progress bar
    expect(asCsv.stderr).not.toContain('█');
    expect((await readFile(out)).equals(apiCsv)).toBe(true);
  });

  it('exits 2 naming the bad flag on a usage error, and 1 when there is no stack to read', async () => {
    // act
    const [badFormat, noStack] = await Promise.all([
      cli(['ledger', 'export', '--from', from, '--to', to, '--format', 'xlsx']),
      cli(['ledger', 'export', '--from', from, '--to', to], join(stack.dataDir, 'nothing-here')),
    ]);
    // assert
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format must be csv or json');
    expect(noStack.code).toBe(1);
    expect(noStack.stderr).toContain('No embedded stack is running');
  });
});
