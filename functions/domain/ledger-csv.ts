import { type CsvCell, csvRow, UTF8_BOM } from './csv.ts';
import { type Account, accounts, actorLabel, type LedgerEntry } from './ledger.ts';

/**
 * The ledger as CSV: one row per entry, with fixed columns.
 *
 * Postings are flattened into a debit and a credit column per account (`refunds_payable_debit`,
 * `refunds_payable_credit`, …, in the order of {@link accounts}), in minor units of the row's
 * `currency`. So a row is an entry and a page of CSV has the same rows as the same page of JSON,
 * and a column sum is that account's total. An entry without postings has 0 in every amount
 * column. `data` is the entry's data as JSON (the claim, the decision and its rules, …), and
 * `prev_hash`/`hash` let an auditor check the chain from the file alone.
 */
export const ledgerCsvColumns = [
  'at',
  'storefront',
  'claim',
  'seq',
  'type',
  'step',
  'status',
  'actor',
  'policy_version',
  'order',
  'customer',
  'currency',
  ...accounts.flatMap((a) => [`${a}_debit`, `${a}_credit`]),
  'data',
  'prev_hash',
  'hash',
] as const;

function postingTotals(entry: LedgerEntry): Record<Account, { debit: number; credit: number }> {
  const totals = Object.fromEntries(accounts.map((a) => [a, { debit: 0, credit: 0 }])) as Record<
    Account,
    { debit: number; credit: number }
  >;
  for (const p of entry.postings) {
    totals[p.account].debit += p.debit;
    totals[p.account].credit += p.credit;
  }
  return totals;
}

/** The cells of one entry, in the order of {@link ledgerCsvColumns}. */
export function ledgerCsvCells(entry: LedgerEntry): CsvCell[] {
  const totals = postingTotals(entry);
  return [
    entry.at,
    entry.storefrontId,
    entry.claimId,
    entry.seq,
    entry.type,
    entry.step,
    entry.status,
    actorLabel(entry.actor),
    entry.policyVersion,
    entry.orderId,
    entry.customerId,
    entry.currency,
    ...accounts.flatMap((a) => [totals[a].debit, totals[a].credit]),
    JSON.stringify(entry.data),
    entry.prevHash,
    entry.hash,
  ];
}

/** The header row. */
export function ledgerCsvHeader(): string {
  return csvRow(ledgerCsvColumns);
}

/** The rows of some entries (no header). */
export function ledgerCsvRows(entries: readonly LedgerEntry[]): string {
  return entries.map((e) => csvRow(ledgerCsvCells(e))).join('');
}

/** A complete CSV document: byte order mark, header row, one row per entry. */
export function ledgerCsv(entries: readonly LedgerEntry[]): string {
  return `${UTF8_BOM}${ledgerCsvHeader()}${ledgerCsvRows(entries)}`;
}
