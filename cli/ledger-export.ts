/**
 * `makegood ledger export --from DAY|TIME --to DAY|TIME [--storefront ID] [--format csv|json] [--out FILE] [--data-dir DIR]`:
 * writes the ledger's entries in the window, oldest first per storefront, as CSV (the columns of
 * `GET /v1/ledger?format=csv`) or as a JSON array of entries. It reads page by page straight from
 * the ledger (not through the HTTP API), so it works against the embedded stack while it runs and
 * against a deployed table, and its memory does not grow with the export. On a terminal it draws
 * a progress bar on stderr. Exits 0 when done, 1 when the export failed, 2 on a usage error.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { UTF8_BOM } from '#domain/csv.ts';
import { ledgerCsvHeader, ledgerCsvRows } from '#domain/ledger-csv.ts';
import { type LedgerFormat, ledgerFormats, MAX_PAGE_SIZE } from '#domain/ledger-query.ts';
import type { Deps } from '#ports';
import { ledgerPage } from '#usecases/ledger-export.ts';
import type { Command } from './command.ts';
import { parseEnd, parseInstant, UsageError } from './ledger-window.ts';
import { ProgressBar } from './progress.ts';

const USAGE =
  'usage: makegood ledger export --from DAY|TIME --to DAY|TIME [--storefront ID] [--format csv|json] [--out FILE] [--data-dir DIR]\n' +
  '  entries with from <= at < to; --to DAY includes that day. Default: every storefront, CSV, to stdout.\n';

/** What to export. */
export interface ExportOptions {
  readonly from: Date;
  readonly to: Date;
  readonly storefrontId?: string;
  readonly format: LedgerFormat;
  readonly out?: string;
  readonly dataDir?: string;
}

/** Reads the command line; throws {@link UsageError} naming the flag that is wrong. */
export function parseExportArgs(argv: string[]): ExportOptions | 'help' {
  let values: { [k: string]: string | boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        storefront: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const text = (name: string) => values[name] as string | undefined;
  const fromText = text('from');
  const toText = text('to');
  if (fromText === undefined) throw new UsageError('--from is required (a day such as 2026-11-01, or an ISO time)');
  if (toText === undefined) throw new UsageError('--to is required (a day such as 2026-11-30, or an ISO time)');
  const from = parseInstant(fromText, 'from');
  const to = parseEnd(toText);
  if (to.getTime() <= from.getTime()) throw new UsageError('--to must be after --from');
  const format = text('format') ?? 'csv';
  if (!(ledgerFormats as readonly string[]).includes(format))
    throw new UsageError(`--format must be csv or json, not ${JSON.stringify(format)}`);
  const storefront = text('storefront');
  if (storefront !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(storefront)) {
    throw new UsageError(`--storefront must be a storefront id (letters, digits, _ or -), not ${JSON.stringify(storefront)}`);
  }
  const out = text('out');
  if (out === '') throw new UsageError('--out must name a file');
  return {
    from,
    to,
    format: format as LedgerFormat,
    ...(storefront === undefined ? {} : { storefrontId: storefront }),
    ...(out === undefined ? {} : { out }),
    ...(text('data-dir') === undefined ? {} : { dataDir: text('data-dir') as string }),
  };
}

/** Progress through the export: how far into the window (and through the storefronts) it is. */
export interface ExportProgress {
  readonly entries: number;
  readonly fraction: number;
}

/**
 * The export as text chunks, one per page: CSV (byte order mark and header first) or a JSON array
 * with one entry per line. Reads the next page only when the consumer asks for more.
 */
export async function* exportChunks(
  options: Pick<ExportOptions, 'from' | 'to' | 'storefrontId' | 'format'>,
  deps: Pick<Deps, 'ledger' | 'state'>,
  onProgress: (p: ExportProgress) => void = () => {},
  storefrontOrder?: readonly string[],
): AsyncGenerator<string> {
  const span = options.to.getTime() - options.from.getTime();
  const fraction = (last: { at: string; storefrontId: string } | undefined): number => {
    if (last === undefined) return 0;
    const inWindow = Math.min(Math.max((Date.parse(last.at) - options.from.getTime()) / span, 0), 1);
    const order = storefrontOrder ?? [];
    const i = order.indexOf(last.storefrontId);
    return i < 0 ? inWindow : (i + inWindow) / order.length;
  };
  yield options.format === 'csv' ? `${UTF8_BOM}${ledgerCsvHeader()}` : '[';
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await ledgerPage(
      {
        from: options.from,
        to: options.to,
        ...(options.storefrontId === undefined ? {} : { storefrontId: options.storefrontId }),
        ...(cursor === undefined ? {} : { cursor }),
        limit: MAX_PAGE_SIZE,
      },
      deps,
    );
    if (page.entries.length > 0) {
      yield options.format === 'csv'
        ? ledgerCsvRows(page.entries)
        : page.entries.map((e, i) => `${count + i === 0 ? '\n' : ',\n'}${JSON.stringify(e)}`).join('');
    }
    count += page.entries.length;
    onProgress({ entries: count, fraction: page.next === null ? 1 : fraction(page.entries.at(-1)) });
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  if (options.format === 'json') yield count === 0 ? ']\n' : '\n]\n';
}

export const command: Command = {
  async run(argv) {
    let options: ExportOptions;
    try {
      const parsed = parseExportArgs(argv);
      if (parsed === 'help') {
        process.stdout.write(USAGE);
        return 0;
      }
      options = parsed;
    } catch (err) {
      process.stderr.write(`ledger export: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const bar = new ProgressBar(process.stderr);
    let count = 0;
    try {
      // Loaded only now: it brings the AWS SDK and the embedded runtime, which a usage error does not need.
      const { connect } = await import('./connect.ts');
      const { deps, target } = await connect(options.dataDir);
      const scope = options.storefrontId === undefined ? 'every storefront' : `storefront ${options.storefrontId}`;
      process.stderr.write(`ledger export: ${target}, ${scope}, ${options.from.toISOString()} ≤ at < ${options.to.toISOString()}\n`);
      // The bar shows how far through the storefronts it is, so it needs their order up front.
      const order = bar.enabled && options.storefrontId === undefined ? (await deps.state.storefronts()).sort() : undefined;
      const chunks = exportChunks(
        options,
        deps,
        (p) => {
          count = p.entries;
          bar.update(p.fraction, p.entries);
        },
        order,
      );
      if (options.out === undefined) await pipeline(Readable.from(chunks), process.stdout, { end: false });
      else {
        try {
          await pipeline(Readable.from(chunks), createWriteStream(options.out));
        } catch (err) {
          // A half-written file must not pass for an export.
          await rm(options.out, { force: true });
          throw err;
        }
      }
      bar.clear();
      process.stderr.write(`ledger export: ${count.toLocaleString('en')} entries${options.out ? ` written to ${options.out}` : ''}\n`);
      return 0;
    } catch (err) {
      bar.clear();
      // `| head` closing the pipe early is the reader's choice, not a failure.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
      process.stderr.write(`ledger export: ${(err as Error).message}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
  },
};
