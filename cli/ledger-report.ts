/**
 * `makegood ledger report [--storefront ID] [--from DAY] [--to DAY] [--stale-days N] [--out report.html] [--data-dir DIR]`:
 * prints totals by account, reason, outcome, approval tier and day, and the reconciliation of the
 * window's actions (owed against paid; stale, mismatched and unrecovered actions), and writes
 * them as an HTML page with charts. The findings never change the exit code: that is `verify --strict`'s job.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { CurrencyTotals, LedgerTotals, TotalsRow } from '#domain/ledger-report.ts';
import { ledgerReport } from '#usecases/ledger-report.ts';
import { reportHtml } from '#views/ledger-report.ts';
import type { Command } from './command.ts';
import { connect } from './connect.ts';
import { parseStaleDays, reconciliationText } from './ledger-verify.ts';
import { formatAmount, parseWindow } from './ledger-window.ts';

const USAGE =
  'usage: makegood ledger report [--storefront ID] [--from DAY|TIME] [--to DAY|TIME] [--stale-days N] [--out report.html] [--data-dir DIR]\n' +
  '  --to DAY includes that day; defaults: --to now, --from 366 days before --to, every storefront.\n' +
  '  A conversion (a failed refund given as store credit, that credit paid in cash after all) is counted once.\n' +
  '  The actions of the claims in the window are reconciled as of --to, stale after --stale-days days (default 7).\n';

function rowsText(title: string, rows: readonly TotalsRow[], currency: string): string {
  const width = Math.max(title.length, ...rows.map((r) => r.key.length));
  const lines = rows.map(
    (r) =>
      `  ${r.key.padEnd(width)}  ${String(r.claims).padStart(6)}  ${formatAmount(r.cash, currency).padStart(16)}  ${formatAmount(r.credit, currency).padStart(16)}  ${formatAmount(r.value, currency).padStart(16)}`,
  );
  return `  ${title.padEnd(width)}  ${'claims'.padStart(6)}  ${'cash'.padStart(16)}  ${'credit'.padStart(16)}  ${'value'.padStart(16)}\n${lines.join('\n')}\n`;
}

/** The report as plain text for the terminal. */
export function reportText(t: LedgerTotals): string {
  const out = [`${t.claims} claims, ${t.entries} entries, ${t.from} ≤ at < ${t.to}\n`];
  for (const c of t.currencies as CurrencyTotals[]) {
    out.push(
      `\n${c.currency}: value ${formatAmount(c.value, c.currency)} (cash ${formatAmount(c.cash, c.currency)}, credit ${formatAmount(c.credit, c.currency)}, goodwill ${formatAmount(c.goodwill, c.currency)})\n`,
    );
    out.push('\nby account\n');
    for (const a of c.byAccount) {
      out.push(
        `  ${a.account.padEnd(24)} debit ${formatAmount(a.debit, c.currency).padStart(16)}  credit ${formatAmount(a.credit, c.currency).padStart(16)}\n`,
      );
    }
    out.push('\nby reason\n', rowsText('reason', c.byReason, c.currency));
    out.push('\nby outcome\n', rowsText('outcome', c.byOutcome, c.currency));
    out.push('\nby approval tier\n', rowsText('tier', c.byTier, c.currency));
    out.push('\nby day\n');
    for (const d of c.byDay)
      out.push(
        `  ${d.day}  received ${String(d.received).padStart(5)}  value ${formatAmount(d.value, c.currency).padStart(16)}` +
          `  refunds granted ${formatAmount(d.refundGranted, c.currency).padStart(16)}  paid ${formatAmount(d.refundPaid, c.currency).padStart(16)}\n`,
      );
  }
  out.push('\n', reconciliationText(t.reconciliation));
  return out.join('');
}

export const command: Command = {
  async run(argv) {
    let values: {
      storefront?: string;
      from?: string;
      to?: string;
      'stale-days'?: string;
      out?: string;
      'data-dir'?: string;
      help?: boolean;
    };
    let window: { from: Date; to: Date };
    let staleDays: number;
    try {
      values = parseArgs({
        args: argv,
        options: {
          storefront: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          'stale-days': { type: 'string' },
          out: { type: 'string' },
          'data-dir': { type: 'string' },
          help: { type: 'boolean' },
        },
      }).values;
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      window = parseWindow(values.from, values.to);
      staleDays = parseStaleDays(values['stale-days']);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    try {
      const { deps, target } = await connect(values['data-dir']);
      process.stderr.write(`ledger report: ${target}\n`);
      const totals = await ledgerReport({ ...(values.storefront ? { storefrontId: values.storefront } : {}), ...window, staleDays }, deps);
      process.stdout.write(reportText(totals));
      if (values.out) {
        await writeFile(values.out, reportHtml(totals, new Date()));
        process.stderr.write(`HTML report written to ${values.out}\n`);
      }
      return 0;
    } catch (err) {
      process.stderr.write(`ledger report: ${(err as Error).message}\n`);
      return 1;
    }
  },
};
