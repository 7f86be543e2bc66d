/**
 * The OpenAPI 3.1 document of makegood's HTTP API v1 and its webhooks, generated from the zod
 * schemas the handlers validate requests with and type their answers by. Nothing in it is a
 * hand-written copy of a schema: a field changed in the code changes the document.
 *
 * Why zod-openapi generates it: it renders every schema with zod 4's own JSON Schema
 * conversion (`z.toJSONSchema`), so the document says exactly what zod validates (input and
 * output sides apart: defaults, optional fields, strict objects). On top of that it assembles the
 * whole OpenAPI 3.1 document from plain objects: parameters from zod objects, response headers,
 * reusable components from `.meta({ id })` and the top-level `webhooks`, with no prototype
 * patching of zod and no runtime dependencies. `z.toJSONSchema` alone would leave paths,
 * parameters, components and `$ref`s to glue code of our own; `@asteasolutions/zod-to-openapi`
 * converts with its own transformers instead of zod's, and wants `extendZodWithOpenApi(z)` and a
 * registry declared beside the routes. Pinned at 5.x, which renders the same document as 6.x:
 * 6.x declares Node 22 only, and the project runs on Node 20 as well.
 */
import * as z from 'zod';
import { createDocument, type oas31, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { claimRequestSchema } from '../claim.ts';
import { ledgerCsvColumns } from '../ledger-csv.ts';
import { MAX_PAGE_SIZE } from '../ledger-query.ts';
import { SIGNATURE_TOLERANCE_SECONDS } from '../signature.ts';
import { type WebhookEventType, webhookEventSchemas, webhookEventTypes } from '../webhook-events.ts';
import { actionPageSchema, actionReceiptSchema, actionReportSchema } from './action.ts';
import { type ApiErrorCode, apiErrorCodes, apiErrorOf } from './errors.ts';
import { ledgerPageSchema } from './ledger-entry.ts';
import {
  actionIdSchema,
  actionQuerySchema,
  cashRequestSchema,
  claimIdSchema,
  idempotencyKeySchema,
  ledgerQueryParamSchemas,
  MAX_PATH_PARAMETER_BYTES,
  returnReportSchema,
} from './requests.ts';
import { claimAcceptedSchema, claimStatusSchema, healthySchema, returnReceiptSchema, unhealthySchema } from './responses.ts';

/** The OpenAPI document, as served at `GET /openapi.json`. */
export type OpenApiDocument = ReturnType<typeof createDocument>;

/** The names of the security schemes, as operations refer to them. */
export const securitySchemeNames = {
  storefront: 'storefrontId',
  signature: 'storefrontSignature',
  finance: 'financeKey',
} as const;

const storefrontSecurity = [{ [securitySchemeNames.storefront]: [], [securitySchemeNames.signature]: [] }];
const financeSecurity = [{ [securitySchemeNames.finance]: [] }];
const noSecurity: [] = [];

const securitySchemes = {
  [securitySchemeNames.storefront]: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Makegood-Storefront',
    description: 'The storefront id. Always sent together with `X-Makegood-Signature`, which proves it.',
  },
  [securitySchemeNames.signature]: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Makegood-Signature',
    description: [
      'An HMAC signature of the whole request, made with the storefront’s shared secret:',
      '',
      '`X-Makegood-Signature: t=<unix seconds>,v1=<hex>`',
      '',
      '- `t`: the time of signing, in whole seconds since 1970-01-01T00:00:00Z.',
      '- `v1`: lower-case hex of HMAC-SHA256, keyed with the secret (its UTF-8 bytes), over the UTF-8 string',
      '  `<t>.<METHOD>.<path with query>.<raw body>`: `t` exactly as in the header, the method in upper case, the path',
      '  and query string exactly as sent (`/v1/ledger?from=2026-11-01`, no scheme or host), and the body byte for',
      '  byte as sent (empty for a GET), joined by `.`.',
      '- While a secret is rotated, several `v1=` parts may be sent; one valid part is enough.',
      '',
      `A missing or wrong signature, an unknown storefront, or a \`t\` more than ${SIGNATURE_TOLERANCE_SECONDS} s away from the`,
      'server’s clock is answered `401 unauthorized`, and nothing is read or written.',
    ].join('\n'),
  },
  [securitySchemeNames.finance]: {
    type: 'http',
    scheme: 'bearer',
    description:
      '`Authorization: Bearer <finance key>`, the key the operator configured. Without it, or with another, the answer is ' +
      '`401 unauthorized` with `WWW-Authenticate: Bearer realm="makegood-finance"`, and nothing is read.',
  },
} satisfies Record<string, oas31.SecuritySchemeObject>;

/** Response headers an answer of that status carries. */
const errorHeaders: Partial<Record<number, z.ZodObject>> = {
  500: z.object({ 'X-Correlation-Id': z.string().meta({ description: 'Quote it to support; the logs carry it too' }) }),
  503: z.object({
    'Retry-After': z.string().regex(/^\d+$/).meta({ description: 'Seconds to wait before sending the same request again' }),
  }),
};

/**
 * The error answers of an operation: one response per status, its `code` limited to the codes
 * the operation answers with under that status.
 */
function errorResponses(
  codes: readonly ApiErrorCode[],
  extraHeaders: Partial<Record<number, z.ZodObject>> = {},
): ZodOpenApiResponsesObject {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of codes) {
    const status = apiErrorCodes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const [first, ...rest] = list;
    if (first === undefined) continue;
    const headers = extraHeaders[status] ?? errorHeaders[status];
    responses[`${status}` as `${4 | 5}${string}`] = {
      description: list.map((c) => `\`${c}\`: ${apiErrorCodes[c].meaning}`).join(' '),
      content: { 'application/json': { schema: apiErrorOf([first, ...rest]) } },
      ...(headers ? { headers } : {}),
    };
  }
  return responses;
}

/** Errors every route may answer: ours, and a dependency that asks for a retry. */
const serverErrors: ApiErrorCode[] = ['internal_error', 'try_again'];

const claimIdPath = z.object({ claimId: claimIdSchema });

const fileClaim: ZodOpenApiOperationObject = {
  operationId: 'fileClaim',
  tags: ['Claims'],
  summary: 'File a claim',
  description: [
    'A storefront files a customer’s claim. The workflow decides it asynchronously; read the outcome with',
    '`GET /v1/claims/{claimId}` or receive it by webhook.',
    '',
    'Checked in this order, and nothing is written for any refusal: the size (413), the signature (401), the media',
    'type (415), the `Idempotency-Key` and the schema (400), the facts against each other and against the order’s',
    'first claim (422). The same key with the same request (method, path and body, byte for byte) answers the',
    'first response again with `Idempotent-Replayed: true`, and starts nothing new.',
  ].join('\n'),
  security: storefrontSecurity,
  requestParams: { header: z.object({ 'Idempotency-Key': idempotencyKeySchema }) },
  requestBody: { required: true, content: { 'application/json': { schema: claimRequestSchema } } },
  responses: {
    202: {
      description: 'Accepted: the claim is recorded and its workflow started. A replay answers the first response again.',
      headers: z.object({
        'Idempotent-Replayed': z
          .literal('true')
          .optional()
          .meta({ description: 'Present on a replay of an earlier request with this key' }),
      }),
      content: { 'application/json': { schema: claimAcceptedSchema } },
    },
    ...errorResponses([
      'invalid_request',
      'unauthorized',
      'idempotency_key_reused',
      'policy_missing',
      'payload_too_large',
      'unsupported_media_type',
      'unprocessable',
      'order_facts_conflict',
      ...serverErrors,
    ]),
  },
};

const readClaim: ZodOpenApiOperationObject = {
  operationId: 'readClaim',
  tags: ['Claims'],
  summary: 'Read a claim',
  description:
    'The claim’s status, current decision, approval rounds and timeline, rebuilt from its ledger entries on every read. ' +
    'A storefront reads only its own claims: another storefront’s claim is answered exactly like one that does not exist.',
  security: storefrontSecurity,
  requestParams: { path: claimIdPath },
  responses: {
    200: { description: 'The claim', content: { 'application/json': { schema: claimStatusSchema } } },
    ...errorResponses(['invalid_request', 'unauthorized', 'not_found', ...serverErrors]),
  },
};

const reportReturn: ZodOpenApiOperationObject = {
  operationId: 'reportReturn',
  tags: ['Claims'],
  summary: 'Report returned goods',
  description: [
    'The shop reports what came back for a claim that is `awaiting_return`. Only the units that arrived are refunded,',
    'each graded by its condition under the policy; units still missing keep the claim waiting until the return',
    'deadline. The same report again answers the same and writes nothing. A report for units not authorised or no',
    'longer awaited is 422; one for a claim that is not waiting for a return is 409; neither writes anything.',
  ].join('\n'),
  security: storefrontSecurity,
  requestParams: { path: claimIdPath },
  requestBody: { required: true, content: { 'application/json': { schema: returnReportSchema } } },
  responses: {
    200: { description: 'Recorded; the claim is assessed again', content: { 'application/json': { schema: returnReceiptSchema } } },
    ...errorResponses([
      'invalid_request',
      'unauthorized',
      'not_found',
      'conflict',
      'payload_too_large',
      'unsupported_media_type',
      'unprocessable',
      ...serverErrors,
    ]),
  },
};

const nextPageHeaders = {
  'X-Makegood-Next-Cursor': z.string().optional().meta({ description: 'The `cursor` of the next page; absent on the last page' }),
  Link: z.string().optional().meta({ description: 'RFC 8288 `<…>; rel="next"` link to the next page; absent on the last page' }),
};

const actionPath = z.object({ claimId: claimIdSchema, actionId: actionIdSchema });
const replayedHeader = z.object({
  'Idempotent-Replayed': z.literal('true').optional().meta({ description: 'Present when this answer was recorded before' }),
});

const listActions: ZodOpenApiOperationObject = {
  operationId: 'listActions',
  tags: ['Actions'],
  summary: 'List the actions waiting for the shop',
  description: [
    'What the shop is asked to do and has not answered yet (refunds to pay, store credit to issue, replacements to',
    'ship), oldest first, a page at a time: page with `cursor` = the previous page’s `next`. For a shop without a',
    'webhook, this is how it learns of them; with one, it is the same list as the `*.requested` events. The list is',
    'read from an index that may trail an answer by a moment.',
  ].join('\n'),
  security: storefrontSecurity,
  requestParams: { query: actionQuerySchema },
  responses: {
    200: {
      description: 'A page of actions',
      headers: z.object({ 'X-Makegood-Next-Cursor': nextPageHeaders['X-Makegood-Next-Cursor'] }),
      content: { 'application/json': { schema: actionPageSchema } },
    },
    ...errorResponses(['invalid_request', 'unauthorized', ...serverErrors]),
  },
};

const reportActionResult: ZodOpenApiOperationObject = {
  operationId: 'reportActionResult',
  tags: ['Actions'],
  summary: 'Report what the shop did about an action',
  description: [
    'The shop reports that it paid the refund, issued the credit (with the `creditCode` the customer uses) or shipped',
    'the replacement (with its `tracking`), or that it could not (`failed`, with `failureReason`). makegood records it',
    'on the ledger: a paid refund moves its amount from `refunds_payable` to `cash`. The customer is emailed the code',
    'or the tracking. A failed refund runs the policy’s `onPayoutFailure` (the demo policy gives the same value as',
    'store credit with a 10 % bonus, and the customer may ask for the cash again): the recovery is in `created`.',
    '',
    'An action has one answer. The same report again (same `status` and `reference`) answers the first result with',
    '`Idempotent-Replayed: true`. Refused, writing nothing: a claim or action that does not exist (404); a claim with',
    'nothing asked of the shop yet, or an action that already has another answer (409); another `amount` than the',
    'action’s, a `creditCode` for anything but store credit, `tracking` for anything but a replacement (422). While',
    'the claim is still settling, a report answers 503: send it again.',
  ].join('\n'),
  security: storefrontSecurity,
  requestParams: { path: actionPath },
  requestBody: { required: true, content: { 'application/json': { schema: actionReportSchema } } },
  responses: {
    200: {
      description: 'Recorded (or was, the same, before)',
      headers: replayedHeader,
      content: { 'application/json': { schema: actionReceiptSchema } },
    },
    ...errorResponses([
      'invalid_request',
      'unauthorized',
      'not_found',
      'conflict',
      'payload_too_large',
      'unsupported_media_type',
      'unprocessable',
      ...serverErrors,
    ]),
  },
};

const requestCash: ZodOpenApiOperationObject = {
  operationId: 'requestCashInstead',
  tags: ['Actions'],
  summary: 'Pay cash instead of a recovery credit',
  description: [
    'The customer, given store credit because their refund failed, asks for the cash after all (by replying to the',
    'email). Allowed for the store credit that recovered a failed refund, when the policy sets',
    '`onPayoutFailure.cashOnRequest`. The credit is cancelled if the shop has not issued it yet; if it has, the new',
    'refund action carries `revokeCreditCode`, to void before paying. The bonus is taken back. The new `refund` action',
    'is in `created`, and the customer is told. Asked again, it answers the same with `Idempotent-Replayed: true`.',
    'The body is `{}`.',
  ].join('\n'),
  security: storefrontSecurity,
  requestParams: { path: actionPath },
  requestBody: { required: true, content: { 'application/json': { schema: cashRequestSchema } } },
  responses: {
    200: {
      description: 'The refund is asked of the shop',
      headers: replayedHeader,
      content: { 'application/json': { schema: actionReceiptSchema } },
    },
    ...errorResponses([
      'invalid_request',
      'unauthorized',
      'not_found',
      'payload_too_large',
      'unsupported_media_type',
      'unprocessable',
      ...serverErrors,
    ]),
  },
};

const readLedger: ZodOpenApiOperationObject = {
  operationId: 'readLedger',
  tags: ['Finance'],
  summary: 'Read the ledger',
  description: [
    `Finance reads ledger entries a page at a time (at most ${MAX_PAGE_SIZE} a page), oldest first within each storefront,`,
    'as JSON or CSV. Every parameter is checked, and an unknown or repeated one is refused (400), so a mistyped',
    '`storefront` never widens the query to every storefront. Page with `cursor` = the previous page’s `next`.',
  ].join('\n'),
  security: financeSecurity,
  requestParams: { query: z.object(ledgerQueryParamSchemas) },
  responses: {
    200: {
      description: 'A page of entries',
      headers: z.object({
        ...nextPageHeaders,
        'Content-Disposition': z
          .string()
          .optional()
          .meta({ description: 'CSV only: `attachment; filename="makegood-ledger-<subject>-<from>-<to>.csv"`' }),
      }),
      content: {
        'application/json': { schema: ledgerPageSchema },
        'text/csv': {
          schema: z.string().meta({
            description:
              `UTF-8 with a byte-order mark, a header row, then one row per entry: ${ledgerCsvColumns.map((c) => `\`${c}\``).join(', ')}. ` +
              'Amounts are integer minor units of the row’s `currency`; `data` is the entry’s data as JSON.',
          }),
        },
      },
    },
    ...errorResponses(['invalid_request', 'unauthorized', ...serverErrors], {
      401: z.object({ 'WWW-Authenticate': z.literal('Bearer realm="makegood-finance"') }),
    }),
  },
};

const health: ZodOpenApiOperationObject = {
  operationId: 'health',
  tags: ['Operations'],
  summary: 'Health',
  description: '200 when the API answers: it calls nothing behind it. `GET /health/deep` checks the dependencies.',
  security: noSecurity,
  responses: {
    200: { description: 'The API answers', content: { 'application/json': { schema: healthySchema } } },
    ...errorResponses(['internal_error']),
  },
};

const healthDeep: ZodOpenApiOperationObject = {
  operationId: 'healthDeep',
  tags: ['Operations'],
  summary: 'Deep health',
  description:
    '200 once the ledger, the state table and the mailer answer; 503 naming what did not. It takes the finance key, ' +
    'checked before any of the three calls.',
  security: financeSecurity,
  responses: {
    200: { description: 'Everything answers', content: { 'application/json': { schema: healthySchema } } },
    503: { description: 'Something does not answer', content: { 'application/json': { schema: unhealthySchema } } },
    ...errorResponses(['unauthorized', 'internal_error'], {
      401: z.object({ 'WWW-Authenticate': z.literal('Bearer realm="makegood-finance"') }),
    }),
  },
};

const openApiJson: ZodOpenApiOperationObject = {
  operationId: 'openApiDocument',
  tags: ['Operations'],
  summary: 'This document',
  description: 'The OpenAPI 3.1 document, generated from the schemas the code validates with.',
  security: noSecurity,
  responses: {
    200: {
      description: 'The document',
      content: {
        'application/json': {
          schema: z.looseObject({
            openapi: z.string().regex(/^3\.1\.\d+$/),
            info: z.looseObject({ title: z.string(), version: z.string() }),
          }),
        },
      },
    },
    ...errorResponses(['internal_error']),
  },
};

const docsPage: ZodOpenApiOperationObject = {
  operationId: 'apiReference',
  tags: ['Operations'],
  summary: 'API reference',
  description: 'This document as a page for people: plain HTML rendered on the server, with nothing loaded from elsewhere.',
  security: noSecurity,
  responses: {
    200: { description: 'The reference page', content: { 'text/html': { schema: z.string() } } },
    ...errorResponses(['internal_error']),
  },
};

/** What each webhook event tells the shop. */
const webhookMeaning = {
  'claim.received': 'A claim was accepted (the `received` entry).',
  'claim.decided': 'The policy decided the claim, or graded the goods that came back (`graded: true`).',
  'claim.awaiting_approval': 'The decision needs a person: the approvers of `approval.tier` were emailed their links.',
  'claim.approved': 'An approver approved, possibly a lower amount (`approved`).',
  'claim.rejected': 'The claim was rejected (by the policy or an approver) and the customer told why.',
  'claim.awaiting_return': 'The return is authorised: the customer was told how to send `return.items` back by `return.deadline`.',
  'claim.return_received': 'The shop reported goods that came back.',
  'claim.settled': 'The money or credit is granted and the customer told.',
  'claim.closed': 'The claim ended without payment for another reason (`return_not_received`).',
  'claim.failed': 'A step failed for good; an operator must look.',
  'refund.requested':
    'Pay `action.amount` back to the original payment method, then report it at `POST /v1/claims/{claimId}/actions/{actionId}`. ' +
    'With `action.revokeCreditCode`, void that credit code first: the customer asked for cash instead of it.',
  'store_credit.requested':
    'Issue `action.amount` of store credit (or a gift card), then report it with the `creditCode` the customer uses: makegood emails it.',
  'replacement.requested': 'Ship `action.items` again at no cost, then report it with the `tracking`: makegood emails it to the customer.',
} satisfies Record<WebhookEventType, string>;

const webhookHeaders = z.object({
  'webhook-id': z
    .string()
    .regex(/^evt_[A-Za-z0-9_-]{1,128}_\d{1,8}$/)
    .meta({
      description: 'The event id, `evt_<claimId>_<seq>`: the same on every attempt, so a receiver drops an event it has seen',
      examples: ['evt_clm_3f2a9c0d6b1e4f7a8c5d2e9b0a1f3c4d_2'],
    }),
  'webhook-timestamp': z
    .string()
    .regex(/^\d+$/)
    .meta({ description: 'When this attempt was signed, in unix seconds; reject one too far from your clock', examples: ['1793527200'] }),
  'webhook-signature': z
    .string()
    .regex(/^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$/)
    .meta({
      description: [
        'Space-separated `v1,<base64>` signatures. `<base64>` is the standard base64 of HMAC-SHA256 over the UTF-8 string',
        '`<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the bytes of the storefront’s `whsec_…` secret',
        '(base64-decode the part after `whsec_`). Any `standardwebhooks` library verifies it:',
        '`new Webhook(secret).verify(body, headers)`.',
      ].join(' '),
    }),
});

function webhookOperation(type: WebhookEventType): ZodOpenApiOperationObject {
  return {
    operationId: `webhook_${type.replace('.', '_')}`,
    tags: ['Webhooks'],
    summary: type,
    description: [
      webhookMeaning[type],
      '',
      'Sent as `POST <webhook.url>` with the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and',
      '`webhook-signature`, once the ledger entry it reports is recorded. Delivery is at least once, in each claim’s',
      'order, outside the claim’s path: a slow or failing receiver never delays a decision. Answers other than 2xx',
      'are retried with exponential backoff and full jitter for up to 3 days.',
    ].join('\n'),
    requestParams: { header: webhookHeaders },
    requestBody: { required: true, content: { 'application/json': { schema: webhookEventSchemas[type] } } },
    responses: {
      '2XX': { description: 'Delivered.' },
      410: { description: 'Gone: the endpoint is disabled and the event fails; operators are told.' },
      default: { description: 'Anything else, a timeout or no connection: sent again later.' },
    },
  };
}

const description = [
  'The HTTP API of makegood, the money-back-guarantee workflow: storefronts file claims, read their outcome and report',
  'returned goods; finance reads the ledger. The same API answers in AWS (API Gateway and Lambda) and in the embedded',
  'local stack.',
  '',
  '- Bodies are UTF-8 JSON (`application/json`, else 415), at most 64 KiB (else 413).',
  '- Amounts are integers in minor units of the order’s currency.',
  '- Every error answers `{"error":{"code","message","issues"?:[{"path","message"}]}}`; `code` is one of: ' +
    Object.entries(apiErrorCodes)
      .map(([code, { status }]) => `\`${code}\` (${status})`)
      .join(', ') +
    '.',
  '- A path is refused with 400 `invalid_request`, before anything else, when it is not valid percent-encoding of UTF-8,',
  `  or when a path parameter, decoded, is over ${MAX_PATH_PARAMETER_BYTES} bytes or holds a control character or a lone surrogate.`,
  '- A 4xx writes nothing.',
  '- Approval links (`/approvals/{token}`), the agent console (`/console`) and the customer’s status page',
  '  (`/c/{token}`) are HTML pages for people; they are not part of this contract.',
].join('\n');

/** Builds the OpenAPI 3.1 document of the HTTP API and its webhooks from the schemas. */
export function buildOpenApiDocument(): OpenApiDocument {
  return createDocument({
    openapi: '3.1.1',
    info: { title: 'makegood HTTP API', version: '1.0.0', description, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    tags: [
      { name: 'Claims', description: 'Storefront requests, signed with the storefront’s secret' },
      { name: 'Actions', description: 'What the shop must do for a claim, and its answers, signed like claims' },
      { name: 'Finance', description: 'The ledger, for finance, with the finance key' },
      { name: 'Operations', description: 'Health and this contract' },
      { name: 'Webhooks', description: 'Events sent to a storefront’s webhook URL (Standard Webhooks)' },
    ],
    paths: {
      '/v1/claims': { post: fileClaim },
      '/v1/claims/{claimId}': { get: readClaim },
      '/v1/claims/{claimId}/returns': { post: reportReturn },
      '/v1/claims/{claimId}/actions/{actionId}': { post: reportActionResult },
      '/v1/claims/{claimId}/actions/{actionId}/cash': { post: requestCash },
      '/v1/actions': { get: listActions },
      '/v1/ledger': { get: readLedger },
      '/health': { get: health },
      '/health/deep': { get: healthDeep },
      '/openapi.json': { get: openApiJson },
      '/docs': { get: docsPage },
    },
    webhooks: Object.fromEntries(webhookEventTypes.map((type) => [type, { post: webhookOperation(type) }])),
    components: { securitySchemes },
  });
}
