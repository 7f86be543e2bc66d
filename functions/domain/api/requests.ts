import * as z from 'zod';
import { InvalidRequestError, toIssues } from '../errors.ts';
import { returnConditions } from '../grade-return.ts';
import { entryTypes } from '../ledger.ts';
import { DEFAULT_PAGE_SIZE, ledgerFormats, type ledgerQueryParams, MAX_PAGE_SIZE, MAX_RANGE_DAYS } from '../ledger-query.ts';
import { type ActionReport, actionReportSchema } from './action.ts';

/**
 * The schemas of what a storefront or finance sends: the handlers validate with them, and the
 * OpenAPI document is generated from them. The claim itself is `claimRequestSchema` in `claim.ts`.
 */

/** `Idempotency-Key`: 1–255 printable ASCII characters, chosen by the storefront per claim. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/)
  .meta({
    description:
      'Chosen by the storefront, one per claim (1–255 printable ASCII characters). The same key with the same request answers ' +
      'the first response again, with `Idempotent-Replayed: true`; with another request it is refused (409). Kept 24 hours.',
    examples: ['order-ORD-1001-claim-1'],
  });

/** Checks the `Idempotency-Key` header; throws {@link InvalidRequestError} (400) naming it otherwise. */
export function parseIdempotencyKey(header: string | undefined): string {
  const parsed = idempotencyKeySchema.safeParse(header);
  if (!parsed.success) {
    throw new InvalidRequestError('Idempotency-Key header is required', [
      { path: 'headers.Idempotency-Key', message: 'must be 1–255 printable ASCII characters' },
    ]);
  }
  return parsed.data;
}

/** Parses a request body as JSON; throws {@link InvalidRequestError} (400) saying what is wrong with it. */
export function parseJsonBody(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch (err) {
    const problem = rawBody.trim() === '' ? 'is empty' : `is not valid JSON (${(err as Error).message})`;
    throw new InvalidRequestError('The body is not valid JSON', [{ path: '(root)', message: `${problem}; send a JSON object` }]);
  }
}

/**
 * A path parameter above this many UTF-8 bytes is refused (400): no id or token of ours is longer
 * (a sealed token stops at 1,024 characters), and a DynamoDB key stops at 2,048 bytes.
 */
export const MAX_PATH_PARAMETER_BYTES = 1024;

/** A claim id in a path, as `POST /v1/claims` answered it. */
export const claimIdSchema = z
  .string()
  .min(1)
  .meta({ description: 'The `claimId` that `POST /v1/claims` answered', examples: ['clm_3f2a9c0d6b1e4f7a8c5d2e9b0a1f3c4d'] });

const returnCondition = z.enum(returnConditions).meta({
  description: "The unit's condition on arrival; the policy's `returnGrading` sets what each condition refunds.",
});

/** The body of `POST /v1/claims/{claimId}/returns`: the goods that came back, each with its condition. */
export const returnReportSchema = z
  .strictObject({
    items: z
      .array(
        z.strictObject({
          sku: z.string().trim().min(1).max(128),
          quantity: z.number().int().min(1).max(100_000),
          condition: returnCondition.optional(),
        }),
      )
      .min(1)
      .max(500),
    receivedAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
      .meta({ description: 'When the goods arrived at the shop' }),
    /** The condition of every item that gives none of its own. */
    condition: returnCondition.optional().meta({ description: 'The condition of every item that gives none of its own' }),
    tracking: z.string().trim().min(1).max(200).optional().meta({ description: "The parcel's tracking number" }),
  })
  .superRefine((r, ctx) => {
    r.items.forEach((item, i) => {
      if (item.condition === undefined && r.condition === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'condition'],
          message: 'is required (as_new, used or damaged) unless a top-level condition is given',
        });
      }
    });
  })
  .meta({
    id: 'ReturnReport',
    description: 'What came back. Each item needs a `condition`, its own or the top-level one.',
  });

/** The storefront's report that returned goods arrived. */
export type ReturnReport = z.infer<typeof returnReportSchema>;

/** Parses a return report; throws {@link InvalidRequestError} (400) listing every problem by path. */
export function parseReturnReport(body: unknown): ReturnReport {
  const parsed = returnReportSchema.safeParse(body);
  if (!parsed.success) throw new InvalidRequestError('The return report does not match the schema', toIssues(parsed.error.issues));
  return parsed.data;
}

const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .meta({ description: 'An ISO-8601 date-time with a zone (`2026-11-01T00:00:00Z`) or a date, which means midnight UTC (`2026-11-01`)' });

/**
 * The query parameters of `GET /v1/ledger`, as the document describes them. `parseLedgerQuery`
 * (`ledger-query.ts`) parses them; `satisfies` keeps the two lists of names the same.
 */
export const ledgerQueryParamSchemas = {
  from: instant
    .optional()
    .meta({ description: `Entries at or after this instant. Required unless \`claim\` is given. ${instant.description}` }),
  to: instant.optional().meta({
    description: `Entries before this instant, at most ${MAX_RANGE_DAYS} days after \`from\`. Required unless \`claim\` is given.`,
  }),
  storefront: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional()
    .meta({ description: 'Only this storefront’s entries; every storefront, one after the other, when absent' }),
  claim: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional()
    .meta({ description: 'Only this claim’s entries (read by its key; no time range needed)' }),
  type: z.enum(entryTypes).optional().meta({ description: 'Only entries of this type' }),
  cursor: z.string().min(1).max(4096).optional().meta({ description: 'The `next` of the previous page, with the same other parameters' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .optional()
    .meta({
      description: `Entries per page at most (default ${DEFAULT_PAGE_SIZE}). A page may hold fewer, even none: only \`next: null\` ends.`,
    }),
  format: z.enum(ledgerFormats).optional().meta({ description: '`json` (default) or `csv` (a header row, then one row per entry)' }),
} satisfies Record<(typeof ledgerQueryParams)[number], z.ZodType>;

/** An action id in a path, as the claim's `actions` and the webhook events name it. */
export const actionIdSchema = z
  .string()
  .min(1)
  .meta({ description: 'The `actionId` of one of the claim’s actions', examples: ['act_clm_3f2a9c0d6b1e4f7a8c5d2e9b0a1f3c4d_3'] });

/** Parses a report of an action's result; throws {@link InvalidRequestError} (400) listing every problem by path. */
export function parseActionReport(body: unknown): ActionReport {
  const parsed = actionReportSchema.safeParse(body);
  if (!parsed.success) throw new InvalidRequestError('The action report does not match the schema', toIssues(parsed.error.issues));
  return parsed.data;
}

/** Actions per page of `GET /v1/actions` at most, and by default. */
export const MAX_ACTIONS_PAGE = 100;
export const DEFAULT_ACTIONS_PAGE = 50;

/** The query of `GET /v1/actions`. */
export const actionQuerySchema = z.strictObject({
  status: z
    .literal('requested')
    .default('requested')
    .meta({ description: 'Only `requested`: the actions still waiting for the shop’s answer (the default)' }),
  cursor: z.string().min(1).max(4096).optional().meta({ description: 'The `next` of the previous page' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_ACTIONS_PAGE)
    .default(DEFAULT_ACTIONS_PAGE)
    .meta({ description: `Actions per page at most (default ${DEFAULT_ACTIONS_PAGE})` }),
});
export type ActionQuery = z.infer<typeof actionQuerySchema>;

/** Parses the query of `GET /v1/actions` (each parameter once); throws {@link InvalidRequestError} (400) naming each problem. */
export function parseActionQuery(query: URLSearchParams): ActionQuery {
  const issues: { path: string; message: string }[] = [];
  const values: Record<string, string> = {};
  for (const key of new Set(query.keys())) {
    if (query.getAll(key).length > 1) issues.push({ path: key, message: 'must be given once' });
    values[key] = query.get(key) ?? '';
  }
  const parsed = actionQuerySchema.safeParse(values);
  if (!parsed.success) issues.push(...toIssues(parsed.error.issues));
  if (issues.length > 0 || !parsed.success) throw new InvalidRequestError('The query is not one this route takes', issues);
  return parsed.data;
}

/** The body of `POST …/actions/{actionId}/cash`: `{}`, nothing more. */
export const cashRequestSchema = z.strictObject({}).meta({ id: 'CashRequest', description: 'An empty object' });

/** Checks the body of a cash request; throws {@link InvalidRequestError} (400) otherwise. */
export function parseCashRequest(body: unknown): void {
  const parsed = cashRequestSchema.safeParse(body);
  if (!parsed.success) throw new InvalidRequestError('The cash request takes an empty object', toIssues(parsed.error.issues));
}
