import * as z from 'zod';

/**
 * Every error code the HTTP API answers with, the status it comes with and what it means to the
 * caller. `functions/handlers/http.ts` maps the named domain errors to these codes; the contract
 * test checks that every answer it sees is one of them, under its status.
 */
export const apiErrorCodes = {
  invalid_request: { status: 400, meaning: 'The request breaks the schema: `issues` names every problem by its path.' },
  unauthorized: { status: 401, meaning: 'The signature or the finance key is missing or wrong. Nothing was read or written.' },
  not_found: { status: 404, meaning: 'No such claim, or it belongs to another storefront (both answer the same).' },
  idempotency_key_reused: { status: 409, meaning: 'This Idempotency-Key was already used with a different request.' },
  conflict: { status: 409, meaning: 'The claim is not in a state that accepts this request (for example, not awaiting a return).' },
  policy_missing: { status: 409, meaning: 'The storefront has no policy to decide with yet.' },
  payload_too_large: { status: 413, meaning: 'The body is above 64 KiB.' },
  unsupported_media_type: { status: 415, meaning: 'The body is not `application/json`.' },
  unprocessable: {
    status: 422,
    meaning: 'The request is well-formed but its facts contradict each other or the claim: `issues` names each.',
  },
  order_facts_conflict: {
    status: 422,
    meaning: "The order's facts differ from those its first accepted claim stated: `issues` names each differing field.",
  },
  internal_error: {
    status: 500,
    meaning: 'Something went wrong on our side; the message and the `X-Correlation-Id` header carry an id to quote.',
  },
  try_again: { status: 503, meaning: 'Nothing is lost: send the same request again (see `Retry-After`).' },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** One code from {@link apiErrorCodes}. */
export type ApiErrorCode = keyof typeof apiErrorCodes;

/** One problem with a request, by path: `{ "path": "order.items[0].quantity", "message": "…" }`. */
export const issueSchema = z
  .object({
    path: z
      .string()
      .meta({ description: 'Where the problem is: `order.items[0].sku`, `headers.Idempotency-Key`, `(root)`', examples: ['order.paid'] }),
    message: z.string().meta({ description: 'What is wrong, in a sentence', examples: ['must be a whole number of minor units'] }),
  })
  .meta({ id: 'Issue', description: 'One problem with a request, by path.' });

const codeMeanings = (codes: readonly ApiErrorCode[]) => codes.map((c) => `\`${c}\`: ${apiErrorCodes[c].meaning}`).join('\n');
const allCodes = Object.keys(apiErrorCodes) as [ApiErrorCode, ...ApiErrorCode[]];

/** The body of every error answer: `{"error":{"code","message","issues"?}}`. */
export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(allCodes).meta({ description: codeMeanings(allCodes) }),
      message: z.string().meta({ description: 'What went wrong, for a person reading logs' }),
      issues: z
        .array(issueSchema)
        .min(1)
        .optional()
        .meta({ description: 'Every problem found, for `invalid_request`, `unprocessable` and `order_facts_conflict`' }),
    }),
  })
  .meta({ id: 'ApiError', description: 'The body of every error answer.' });

/** The body of an error answer. */
export type ApiError = z.infer<typeof apiErrorSchema>;

/** An error answer whose `code` is one of `codes` (the ones a route answers with under one status). */
export function apiErrorOf(codes: readonly [ApiErrorCode, ...ApiErrorCode[]]) {
  return z.intersection(
    apiErrorSchema,
    z.looseObject({ error: z.looseObject({ code: z.enum(codes).meta({ description: codeMeanings(codes) }) }) }),
  );
}
