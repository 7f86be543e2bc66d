import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, csvRow, neutraliseFormula, restoreText, UTF8_BOM } from '#domain/csv.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry, settlementPostings } from '#domain/ledger.ts';
import { ledgerCsv, ledgerCsvCells, ledgerCsvColumns } from '#domain/ledger-csv.ts';
import { money } from '#domain/money.ts';
import { claimOf } from './fixtures.ts';

/** Text a spreadsheet or a naive CSV writer gets wrong, and text in other scripts. */
const hostile = [
  'plain',
  '',
  'a,b',
  'say "hello"',
  '"',
  '""',
  'line one\nline two',
  'windows\r\nline',
  'lone\rcarriage',
  '=HYPERLINK("http://evil.test","click")',
  '=1+2',
  '+1 555 0100',
  '-2+3',
  '@SUM(A1:A2)',
  '\tTAB first',
  '\rCR first',
  "'already quoted",
  ' leading space',
  'trailing space ',
  'Коробка прийшла зім’ята, «дуже» шкода',
  'Ящик пришёл раздавленным',
  'La skatolo alvenis difektita ĉ ĝ ĥ ĵ ŝ ŭ',
  '箱が潰れて届きました',
  'صندوق مكسور',
  '🍫💥📦 👩‍👩‍👧‍👦 🇺🇦',
  "=cmd|' /C calc'!A0",
  '-',
  '+',
  '@',
  '=',
  'a\u2028b\u0000c',
];

/** Parses CSV as a trusted third-party reader does (byte order mark allowed). */
function readCsv(text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: false }) as string[][];
}

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['=1+2', "'=1+2"],
    ['+31', "'+31"],
    ['-5', "'-5"],
    ['@x', "'@x"],
    ['\tx', "'\tx"],
    ['\rx', '"\'\rx"'],
    ["'x", "''x"],
    ['=a,"b"', '"\'=a,""b"""'],
    ['', ''],
  ])('writes %j as %j', (input, expected) => {
    // act
    const field = csvField(input);
    // assert
    expect(field).toBe(expected);
  });

  it('keeps numbers numeric, writes null and undefined as empty cells, and refuses non-finite numbers', () => {
    // act / assert
    expect(csvField(2750)).toBe('2750');
    expect(csvField(0)).toBe('0');
    expect(csvField(-5)).toBe('-5');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(() => csvField(Number.NaN)).toThrow(RangeError);
    expect(() => csvField(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('ends every row with CRLF (RFC 4180)', () => {
    // act
    const row = csvRow(['a', 1, null, 'b c']);
    // assert
    expect(row).toBe('a,1,,b c\r\n');
  });
});

describe('a CSV round trip through csv-parse', () => {
  it('gives back every hostile text exactly, with no cell a spreadsheet would run as a formula', () => {
    // arrange
    const rows = hostile.map((text, i) => [String(i), text, text.length]);
    // act
    const parsed = readCsv(rows.map(csvRow).join(''));
    // assert
    expect(parsed).toHaveLength(rows.length);
    parsed.forEach((cells, i) => {
      expect(cells).toHaveLength(3);
      expect(restoreText(cells[1] as string)).toBe(hostile[i]);
      expect(cells[2]).toBe(String(hostile[i]?.length));
      for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    });
  });

  it('holds for any rows of any text (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom(...hostile),
      fc.string({ unit: fc.constantFrom(...'=+-@\t\r\n",\'a ') }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(text, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), (rows) => {
        // arrange: rows of one width, as a CSV document has
        const width = rows[0]?.length ?? 1;
        const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
        // act
        const parsed = readCsv(table.map(csvRow).join(''));
        // assert
        expect(parsed.map((r) => r.map(restoreText))).toEqual(table);
        for (const cell of parsed.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      }),
      { numRuns: 300 },
    );
  });

  it('neutralises exactly the cells that start like a formula, and restoreText undoes it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        // act
        const n = neutraliseFormula(s);
        // assert
        expect(restoreText(n)).toBe(s);
        expect(n.startsWith("'")).toBe(/^[=+\-@\t\r']/.test(s));
      }),
    );
  });
});

describe('the ledger as CSV', () => {
  const ref: ClaimRef = { claimId: 'clm_1', storefrontId: 'demo', orderId: '=ORD-1', customerId: '@C-42', currency: 'EUR' };
  const postings = settlementPostings(money(2750, 'EUR'), money(500, 'EUR'), money(100, 'EUR'));
  const claim = claimOf({ items: [{ sku: 'CHOC-BOX', category: 'food', unitPrice: 2750 }], reason: 'damaged', customerId: '@C-42' });
  const drafts: EntryDraft[] = [
    {
      type: 'received',
      step: 'received',
      status: 'received',
      actor: { kind: 'storefront', id: 'demo' },
      policyVersion: null,
      data: {
        claim: { ...claim, order: { ...claim.order, id: '=ORD-1' }, complaint: { ...claim.complaint, message: hostile.join(' | ') } },
        idempotencyKey: '=key-1',
      },
    },
    {
      type: 'refund_settled',
      step: 'refund',
      status: 'assessing',
      actor: { kind: 'approver', email: 'sup@demo.test', role: 'supervisor', ip: '203.0.113.7', userAgent: 'Mozilla "quoted", =1' },
      policyVersion: 3,
      data: { amount: { amount: 2750, currency: 'EUR' }, method: 'original_payment' },
      postings: postings.refund,
    },
    {
      type: 'credit_issued',
      step: 'credit',
      status: 'settled',
      actor: { kind: 'system' },
      policyVersion: 3,
      data: { amount: { amount: 600, currency: 'EUR' }, goodwill: { amount: 100, currency: 'EUR' } },
      postings: postings.credit,
    },
  ];
  const entries: LedgerEntry[] = [];
  for (const d of drafts) entries.push(chainEntry(ref, entries.at(-1), d, new Date('2026-11-20T09:00:00Z')));

  it('has a byte order mark, a header row and one row per entry, with the postings per account', () => {
    // act
    const text = ledgerCsv(entries);
    const records = parse(text, { bom: true, columns: true }) as Record<string, string>[];
    // assert
    expect(text.startsWith(UTF8_BOM)).toBe(true);
    expect(Object.keys(records[0] ?? {})).toEqual([...ledgerCsvColumns]);
    expect(records).toHaveLength(3);
    expect(records[1]).toMatchObject({
      claim: 'clm_1',
      seq: '2',
      type: 'refund_settled',
      actor: 'supervisor:sup@demo.test',
      policy_version: '3',
      currency: 'EUR',
      revenue_reversal_debit: '2750',
      refunds_payable_credit: '2750',
      refunds_payable_debit: '0',
    });
    expect(records[2]).toMatchObject({
      revenue_reversal_debit: '500',
      goodwill_expense_debit: '100',
      store_credit_liability_credit: '600',
      policy_version: '3',
    });
    expect(records[0]?.policy_version).toBe('');
    expect(records[0]?.actor).toBe('storefront:demo');
  });

  it('round-trips hostile text in every text column and neutralises formula-like ids', () => {
    // act
    const records = parse(ledgerCsv(entries), { bom: true, columns: true }) as Record<string, string>[];
    // assert
    records.forEach((r, i) => {
      const e = entries[i] as LedgerEntry;
      expect(JSON.parse(restoreText(r.data as string))).toEqual(e.data);
      expect(r.order).toBe("'=ORD-1");
      expect(restoreText(r.customer as string)).toBe('@C-42');
      expect(r.hash).toBe(e.hash);
      expect(r.prev_hash).toBe(e.prevHash);
      expect(ledgerCsvCells(e)).toHaveLength(ledgerCsvColumns.length);
    });
  });
});
