/**
 * CSV that is safe to open in a spreadsheet (RFC 4180 plus formula neutralisation).
 *
 * - Rows end with CRLF. A field that holds a comma, a double quote, CR or LF is put in double
 *   quotes, and each double quote inside it is doubled.
 * - A text cell that starts with `=`, `+`, `-`, `@`, a tab or CR could be run as a formula by a
 *   spreadsheet (CSV injection). Such a cell gets a leading `'`, which spreadsheets show as text.
 *   A text cell that already starts with `'` gets one too, so the rule is reversible: a reader
 *   drops exactly one leading `'` from any text cell ({@link restoreText}) and has the original.
 * - Numbers are written as numbers and never prefixed, so amount columns stay numeric.
 */

/** One cell: text, a number, or empty. */
export type CsvCell = string | number | null | undefined;

/** Byte order mark: spreadsheets read the file as UTF-8 only when it starts with one. */
export const UTF8_BOM = '\uFEFF';

/** Leading characters that make a spreadsheet treat a cell as a formula, plus our own escape `'`. */
const FORMULA_START = /^[=+\-@\t\r']/;
const NEEDS_QUOTES = /[",\r\n]/;

/** Prefixes `'` to text a spreadsheet could run as a formula (and to text that starts with `'`). */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** The original text of a neutralised text cell: one leading `'` dropped. */
export function restoreText(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** One field, neutralised (text only) and quoted when it must be. */
export function csvField(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) throw new RangeError('A CSV number must be finite');
    return String(cell);
  }
  const text = neutraliseFormula(cell);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row, CRLF-terminated. */
export function csvRow(cells: readonly CsvCell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}
