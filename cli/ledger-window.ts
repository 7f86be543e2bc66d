/** Shared option handling of `makegood ledger verify|digest|report`. */

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A UTC day (`YYYY-MM-DD`) or an ISO timestamp; a day alone means its first instant. */
export function parseInstant(text: string, option: string): Date {
  const t = DAY.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (!Number.isFinite(t)) throw new UsageError(`--${option} must be a day (2026-11-23) or an ISO time, not ${JSON.stringify(text)}`);
  return new Date(t);
}

/** `--to` given as a day includes that whole day. */
export function parseEnd(text: string): Date {
  const start = parseInstant(text, 'to');
  return DAY.test(text) ? new Date(start.getTime() + 86_400_000) : start;
}

/**
 * The window `from <= at < to`. Defaults: `--to` is now, `--from` a year and a day before it
 * (every day in the window costs one Query even when empty, so an open start is not offered).
 */
export function parseWindow(from: string | undefined, to: string | undefined, now = new Date()): { from: Date; to: Date } {
  const end = to === undefined ? now : parseEnd(to);
  const start = from === undefined ? new Date(end.getTime() - 366 * 86_400_000) : parseInstant(from, 'from');
  if (start.getTime() >= end.getTime()) throw new UsageError('--from must be before --to');
  return { from: start, to: end };
}

import { UsageError } from './command.ts';

export { UsageError };

/** Formats minor units as `1234.56 EUR` (two decimals; the ledger's currencies all use two). */
export function formatAmount(minor: number, currency: string): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}
