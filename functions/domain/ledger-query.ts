import * as z from 'zod';
import { InvalidRequestError, type Issue, toIssues } from './errors.ts';
import { type EntryType, entryTypes } from './ledger.ts';

/** The longest time range one finance query may cover (a leap year, so that any year fits). */
export const MAX_RANGE_DAYS = 366;
/** Entries per page when `limit` is not given, and the most a page may hold. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** The earliest and latest instants a claim query without `from`/`to` covers. */
const BEGINNING = new Date('1970-01-01T00:00:00.000Z');
const END = new Date('9999-12-31T23:59:59.999Z');

/** The export formats. */
export const ledgerFormats = ['json', 'csv'] as const;
export type LedgerFormat = (typeof ledgerFormats)[number];

/** A finance query of the ledger, parsed and checked. */
export interface LedgerQuery {
  /** Entries with `from <= at < to`. */
  readonly from: Date;
  readonly to: Date;
  /** Only this storefront's entries; all storefronts, one after the other, when absent. */
  readonly storefrontId?: string;
  /** Only this claim's entries. */
  readonly claimId?: string;
  /** Only entries of this type. */
  readonly type?: EntryType;
  /** The `next` of the previous page. */
  readonly cursor?: string;
  readonly limit: number;
  readonly format: LedgerFormat;
}

const idPattern = /^[A-Za-z0-9_-]{1,128}$/;
const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO-8601 date-time with a zone, or a date (midnight UTC). */
const instant = z
  .string()
  // An unencoded `+01:00` arrives as ` 01:00` (a `+` in a query string is a space).
  .transform((s) => s.replace(/ (\d{2}:\d{2})$/, '+$1'))
  .refine((s) => (dateOnly.test(s) ? z.iso.date().safeParse(s).success : z.iso.datetime({ offset: true }).safeParse(s).success), {
    message: 'must be an ISO-8601 date-time with a zone, e.g. 2026-11-01T00:00:00Z, or a date, e.g. 2026-11-01',
  })
  .transform((s) => new Date(dateOnly.test(s) ? `${s}T00:00:00Z` : s));

const limitSchema = z
  .string()
  .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
  .transform(Number)
  .pipe(z.number().int().min(1, `must be from 1 to ${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`));

/** One schema per parameter, so that every bad parameter is named, not only the first. */
const paramSchemas = {
  from: instant,
  to: instant,
  storefront: z.string().regex(idPattern, 'must be a storefront id (letters, digits, _ or -)'),
  claim: z.string().regex(idPattern, 'must be a claim id (letters, digits, _ or -)'),
  type: z.enum(entryTypes, { message: `must be one of ${entryTypes.join(', ')}` }),
  cursor: z.string().min(1, 'must not be empty').max(4096, 'is too long'),
  limit: limitSchema,
  format: z.enum(ledgerFormats, { message: 'must be json or csv' }),
};

type Params = { -readonly [K in keyof typeof paramSchemas]?: z.output<(typeof paramSchemas)[K]> };

/** The parameter names `GET /v1/ledger` knows. */
export const ledgerQueryParams = Object.keys(paramSchemas) as ReadonlyArray<keyof typeof paramSchemas>;

/**
 * Parses the query string of `GET /v1/ledger`. Throws {@link InvalidRequestError} naming every bad
 * parameter: a wrong value, a missing `from`/`to`, a parameter given twice, or one it does not know
 * (a mistyped `storefront` must not silently widen the query to every storefront).
 */
export function parseLedgerQuery(rawQuery: string): LedgerQuery {
  const search = new URLSearchParams(rawQuery);
  const issues: Issue[] = [];
  const q: Params = {};
  for (const key of new Set(search.keys())) {
    if (!Object.hasOwn(paramSchemas, key)) {
      issues.push({ path: key, message: `is not a parameter of this API (known: ${ledgerQueryParams.join(', ')})` });
      continue;
    }
    const values = search.getAll(key);
    if (values.length > 1) {
      issues.push({ path: key, message: 'must be given at most once' });
      continue;
    }
    const name = key as keyof typeof paramSchemas;
    const parsed = paramSchemas[name].safeParse(values[0]);
    if (parsed.success) (q as Record<string, unknown>)[name] = parsed.data;
    else issues.push(...toIssues(parsed.error.issues.map((i) => ({ ...i, path: [name, ...i.path] }))));
  }
  const named = new Set(issues.map((i) => i.path));
  // A claim has few entries and is read by its key: it needs no time range.
  if (q.claim === undefined && !named.has('claim')) {
    if (q.from === undefined && !named.has('from')) issues.push({ path: 'from', message: 'is required (unless claim is given)' });
    if (q.to === undefined && !named.has('to')) issues.push({ path: 'to', message: 'is required (unless claim is given)' });
  }
  if (q.from !== undefined && q.to !== undefined) {
    const span = q.to.getTime() - q.from.getTime();
    if (span <= 0) issues.push({ path: 'to', message: 'must be after from' });
    else if (q.claim === undefined && span > MAX_RANGE_DAYS * 86_400_000) {
      issues.push({ path: 'to', message: `must be at most ${MAX_RANGE_DAYS} days after from` });
    }
  }
  if (issues.length > 0) throw new InvalidRequestError('The ledger query is not valid', issues);
  return {
    from: q.from ?? BEGINNING,
    to: q.to ?? END,
    ...(q.storefront === undefined ? {} : { storefrontId: q.storefront }),
    ...(q.claim === undefined ? {} : { claimId: q.claim }),
    ...(q.type === undefined ? {} : { type: q.type }),
    ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    limit: q.limit ?? DEFAULT_PAGE_SIZE,
    format: q.format ?? 'json',
  };
}
