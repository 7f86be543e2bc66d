import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { type ClaimRef, chainEntry, type LedgerEntry } from '#domain/ledger.ts';
import { ledgerCsv } from '#domain/ledger-csv.ts';
import type { LedgerPage, LedgerStore } from '#ports';
import { exportChunks, parseExportArgs } from '../../../cli/ledger-export.ts';
import { UsageError } from '../../../cli/ledger-window.ts';
import { progressLine } from '../../../cli/progress.ts';
import { claimOf } from '../domain/fixtures.ts';

/** The message of the usage error `argv` is refused with. */
function usageError(argv: string[]): string {
  try {
    parseExportArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('makegood ledger export: the command line', () => {
  it('reads every flag; a --to day includes that day, as in ledger verify and report', () => {
    // act
    const options = parseExportArgs([
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--storefront',
      'demo',
      '--format',
      'json',
      '--out',
      'x.json',
      '--data-dir',
      '/tmp/d',
    ]);
    // assert
    expect(options).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
      storefrontId: 'demo',
      format: 'json',
      out: 'x.json',
      dataDir: '/tmp/d',
    });
    expect(parseExportArgs(['--from', '2026-11-01T10:00:00Z', '--to', '2026-11-01T11:00:00Z'])).toEqual({
      from: new Date('2026-11-01T10:00:00Z'),
      to: new Date('2026-11-01T11:00:00Z'),
      format: 'csv',
    });
    expect(parseExportArgs(['--help'])).toBe('help');
  });

  it.each([
    [['--to', '2026-11-30'], '--from is required'],
    [['--from', '2026-11-01'], '--to is required'],
    [['--from', 'last week', '--to', '2026-11-30'], '--from must be'],
    [['--from', '2026-11-01', '--to', 'soon'], '--to must be'],
    [['--from', '2026-11-02T00:00:00Z', '--to', '2026-11-01T00:00:00Z'], '--to must be after --from'],
    [['--from', '2026-11-01', '--to', '2026-11-30', '--format', 'xlsx'], '--format must be csv or json'],
    [['--from', '2026-11-01', '--to', '2026-11-30', '--storefront', 'a#b'], '--storefront must be a storefront id'],
    [['--from', '2026-11-01', '--to', '2026-11-30', '--out', ''], '--out must name a file'],
    [['--from', '2026-11-01', '--to', '2026-11-30', '--colour'], "'--colour'"],
    [['--from'], "'--from"],
  ])('refuses %j naming the flag', (argv, message) => {
    // act / assert
    expect(usageError(argv)).toContain(message);
  });
});

describe('makegood ledger export: the output', () => {
  const ref = (n: number): ClaimRef => ({ claimId: `clm_${n}`, storefrontId: 'demo', orderId: `O-${n}`, customerId: 'C', currency: 'EUR' });
  const claim = claimOf({ items: [{ sku: 'CHOC-BOX', category: 'food', unitPrice: 2750 }], reason: 'damaged', customerId: 'C' });
  const entries: LedgerEntry[] = Array.from({ length: 2500 }, (_, n) =>
    chainEntry(
      ref(n),
      undefined,
      {
        type: 'received',
        step: 'received',
        status: 'received',
        actor: { kind: 'system' },
        policyVersion: null,
        data: { claim: { ...claim, order: { ...claim.order, id: `O-${n}` } }, idempotencyKey: `=${n}` },
      },
      new Date(Date.parse('2026-11-01T00:00:00Z') + n * 1000),
    ),
  );
  const ledger = {
    reads: 0,
    async storefrontEntries(args: { cursor?: string; limit?: number }): Promise<LedgerPage> {
      this.reads++;
      const start = Number(args.cursor ?? 0);
      const end = start + (args.limit ?? 500);
      return { entries: entries.slice(start, end), next: end < entries.length ? String(end) : null };
    },
  };
  const deps = { ledger: ledger as unknown as LedgerStore, state: { storefronts: async () => ['demo'] } as never };
  const window = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z'), storefrontId: 'demo' };

  async function collect(format: 'csv' | 'json', progress: number[] = []): Promise<string> {
    let text = '';
    for await (const chunk of exportChunks({ ...window, format }, deps, (p) => progress.push(p.fraction))) text += chunk;
    return text;
  }

  it('writes CSV page by page that is the same document as one CSV of every entry', async () => {
    // arrange
    const progress: number[] = [];
    ledger.reads = 0;
    // act
    const text = await collect('csv', progress);
    // assert
    expect(text).toBe(ledgerCsv(entries));
    expect((parse(text, { bom: true, columns: true }) as unknown[]).length).toBe(2500);
    expect(ledger.reads).toBe(3);
    expect(progress).toHaveLength(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
  });

  it('writes JSON as one array of every entry, and an empty array for an empty window', async () => {
    // act
    const text = await collect('json');
    let empty = '';
    for await (const chunk of exportChunks(
      { ...window, storefrontId: 'nobody', format: 'json' },
      { ...deps, ledger: { storefrontEntries: async () => ({ entries: [], next: null }) } as never },
    )) {
      empty += chunk;
    }
    // assert
    expect(JSON.parse(text)).toEqual(entries);
    expect(JSON.parse(empty)).toEqual([]);
  });

  it('draws a bar of the fraction done and the count', () => {
    // act / assert
    expect(progressLine(0, 0)).toBe(`[${'░'.repeat(30)}]   0%  0 entries`);
    expect(progressLine(0.5, 12345)).toBe(`[${'█'.repeat(15)}${'░'.repeat(15)}]  50%  12,345 entries`);
    expect(progressLine(2, 1)).toContain('100%');
    expect(progressLine(Number.NaN, 1)).toContain('  0%');
  });
});
