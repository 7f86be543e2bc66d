import { CurrencyMismatchError } from './errors.ts';

/**
 * Money is an integer count of minor units plus an ISO-4217 currency code. Never a float.
 * Every helper here rejects non-integers and mixed currencies.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** ICU's answer does not change while the process runs; asking it builds a formatter, which is slow. */
const minorDigitsByCurrency = new Map<string, number>();

/** Minor digits per currency, from the runtime's ICU data (EUR 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  let digits = minorDigitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    minorDigitsByCurrency.set(currency, digits);
  }
  return digits;
}

/** Whether `code` is a currency the runtime knows (three upper-case letters it can format). */
export function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  try {
    return Intl.supportedValuesOf('currency').includes(code);
  } catch {
    return false;
  }
}

function assertMinorUnits(amount: number): void {
  if (!Number.isSafeInteger(amount)) {
    throw new RangeError(`Money amounts are whole minor units; got ${amount}`);
  }
}

/** Builds a {@link Money}; throws on a fractional or unsafe amount. */
export function money(amount: number, currency: string): Money {
  assertMinorUnits(amount);
  return { amount, currency };
}

/** Zero in `currency`. */
export function zero(currency: string): Money {
  return { amount: 0, currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new CurrencyMismatchError(`Cannot combine ${a.currency} with ${b.currency}`);
  }
}

/** a + b, same currency. */
export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

/** a − b, same currency (may be negative). */
export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount - b.amount, a.currency);
}

/** Sum of amounts in `currency`. */
export function sum(currency: string, items: readonly Money[]): Money {
  return items.reduce((acc, m) => add(acc, m), zero(currency));
}

/** The smaller of a and b. */
export function min(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return a.amount <= b.amount ? a : b;
}

/** The larger of a and b. */
export function max(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return a.amount >= b.amount ? a : b;
}

/** `m` × `n` for a whole number `n` (a quantity). */
export function times(m: Money, n: number): Money {
  if (!Number.isSafeInteger(n)) throw new RangeError(`Quantities are whole numbers; got ${n}`);
  return money(m.amount * n, m.currency);
}

/** Which way a share is rounded. Grants round up (the customer's favour); fees round down. */
export type Rounding = 'up' | 'down';

/**
 * The one place where makegood rounds money: `m × numerator / denominator`, computed exactly in
 * BigInt and rounded once. Callers pass `up` for amounts given to the customer and `down` for
 * amounts taken from them, so every rounding is in the customer's favour by under one minor unit.
 */
export function share(m: Money, numerator: number, denominator: number, rounding: Rounding): Money {
  assertMinorUnits(numerator);
  assertMinorUnits(denominator);
  if (denominator <= 0) throw new RangeError('A share needs a positive denominator');
  const n = BigInt(m.amount) * BigInt(numerator);
  const d = BigInt(denominator);
  let q = n / d;
  const r = n % d;
  if (r !== 0n) {
    // BigInt division truncates toward zero; adjust so `up` is a ceiling and `down` a floor.
    if (rounding === 'up' && r > 0n) q += 1n;
    if (rounding === 'down' && r < 0n) q -= 1n;
  }
  return money(Number(q), m.currency);
}

/**
 * A percentage of `m`. `percent` may have up to two decimals (12.5 %); it is turned into basis
 * points so no float ever touches the amount.
 */
export function percentOf(m: Money, percent: number, rounding: Rounding): Money {
  const basisPoints = Math.round(percent * 100);
  if (Math.abs(basisPoints / 100 - percent) > 1e-9) {
    throw new RangeError(`Percentages have at most two decimals; got ${percent}`);
  }
  return share(m, basisPoints, 10_000, rounding);
}

/** `a` is at most `b`. */
export function lte(a: Money, b: Money): boolean {
  sameCurrency(a, b);
  return a.amount <= b.amount;
}

/**
 * Formatters by locale and currency. Building an `Intl.NumberFormat` costs far more than using
 * one (it dominated `decide`, which formats every amount it explains), and they are immutable.
 */
const formatters = new Map<string, Intl.NumberFormat>();

/**
 * How `en` writes each currency (`€`, `¥`, `KWD `), read once from ICU: `decide` writes every
 * amount of its rules in `en`, and even a cached `Intl.NumberFormat` costs microseconds a call.
 */
const enPrefixes = new Map<string, string | null>();

/** Formats for people, e.g. `€20.00` in `en`, `20,00 €` in `uk`. */
export function formatMoney(m: Money, locale = 'en'): string {
  const digits = minorDigits(m.currency);
  if (locale === 'en' && m.amount >= 0 && Number.isSafeInteger(m.amount)) {
    const fast = formatEnglish(m.amount, m.currency, digits);
    if (fast !== undefined) return fast;
  }
  return formatter(locale, m.currency).format(m.amount / 10 ** digits);
}

function formatter(locale: string, currency: string): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatters.set(key, format);
  }
  return format;
}

/**
 * `en` currency format without Intl on the hot path: the prefix ICU puts before the number, then
 * digits grouped by three with `,` and `.` before the minor digits. Undefined when ICU's pattern
 * for the currency is anything else (a suffix, other separators), so Intl formats it instead.
 * `test/unit/domain/money.test.ts` checks it against Intl.
 */
function formatEnglish(amount: number, currency: string, digits: number): string | undefined {
  let prefix = enPrefixes.get(currency);
  if (prefix === undefined) {
    const parts = formatter('en', currency).formatToParts(1234567.5);
    const first = parts[0];
    const plain = parts
      .slice(1)
      .map((p) => p.value)
      .join('');
    const expected = digits === 0 ? '1,234,568' : `1,234,567.5${'0'.repeat(digits - 1)}`;
    prefix =
      first?.type === 'currency' && plain.replace(/^\u00a0/, '') === expected
        ? first.value + (plain.startsWith('\u00a0') ? '\u00a0' : '')
        : null;
    enPrefixes.set(currency, prefix);
  }
  if (prefix === null) return undefined;
  const unit = 10 ** digits;
  const major = Math.floor(amount / unit);
  let text = String(major);
  for (let i = text.length - 3; i > 0; i -= 3) text = `${text.slice(0, i)},${text.slice(i)}`;
  if (digits > 0) text += `.${String(amount % unit).padStart(digits, '0')}`;
  return prefix + text;
}

/**
 * Parses what a person types in the major unit (`150`, `150.5`, `150.00`, `1 500,00` is refused)
 * into minor units. Returns undefined when it is not a plain non-negative number with at most the
 * currency's minor digits.
 */
export function parseMajorUnits(text: string, currency: string): Money | undefined {
  const digits = minorDigits(currency);
  const trimmed = text.trim();
  const match = /^(\d{1,12})(?:[.,](\d+))?$/.exec(trimmed);
  if (!match) return undefined;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  const amount = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  return Number.isSafeInteger(amount) ? { amount, currency } : undefined;
}

/**
 * Splits `total` into parts in proportion to `weights` (list prices, say), exactly: the parts sum
 * to `total`, none is negative, and each is within one minor unit of its exact share. It is the
 * largest-remainder method: every part gets the floor of its share, and the minor units left over
 * go one each to the parts with the largest remainders, the earlier part first on a tie, so the
 * same inputs always split the same way. When every weight is zero the parts are equal shares.
 */
export function allocate(total: Money, weights: readonly number[]): Money[] {
  assertMinorUnits(total.amount);
  if (total.amount < 0) throw new RangeError(`Only a non-negative amount can be allocated; got ${total.amount}`);
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`Allocation weights are non-negative whole numbers; got ${w}`);
  }
  if (weights.length === 0) {
    if (total.amount !== 0) throw new RangeError('An amount cannot be allocated over no parts');
    return [];
  }
  const ws = weights.every((w) => w === 0) ? weights.map(() => 1n) : weights.map(BigInt);
  const whole = ws.reduce((a, w) => a + w, 0n);
  const t = BigInt(total.amount);
  const parts = ws.map((w) => (t * w) / whole);
  let left = t - parts.reduce((a, p) => a + p, 0n);
  const byRemainder = ws.map((w, i) => ({ i, r: (t * w) % whole })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of byRemainder) {
    if (left === 0n) break;
    parts[i] = (parts[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return parts.map((p) => money(Number(p), total.currency));
}
