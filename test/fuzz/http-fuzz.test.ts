import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionReportSchema } from '#domain/api/action.ts';
import { actionQuerySchema, cashRequestSchema, returnReportSchema } from '#domain/api/requests.ts';
import { claimRequestSchema } from '#domain/claim.ts';
import { signatureHeader } from '#domain/signature.ts';
import { functionSpecs } from '#handlers/registry.ts';
import { demoClaims } from '#local/demo.ts';
import { type OpenApi31, OpenApiContract } from '../contract/contract.ts';
import {
  approvalLink,
  bootStack,
  claimBody,
  DEMO_SECRET,
  formFields,
  type Mail,
  mailbox,
  postClaim,
  signedFetch,
  waitForClaim,
  waitForMail,
} from '../integration/harness.ts';
import { brokenJson, changedJson, oddAmount, oddSegment, oddText } from './hostile.ts';
import { arbitraryOf, jsonSchemaOf } from './schema-arbitrary.ts';
import { countedDynamo } from './write-counter.ts';

/**
 * Hostile HTTP against the real server of the embedded stack: `MAKEGOOD_FUZZ_RUNS` requests
 * (10,000 by default) generated with fast-check, spread evenly over every route the registry
 * lists. Bodies come from the request schemas (through zod's JSON Schema export), from valid
 * requests changed in a few places (wrong types, odd Unicode, lone surrogates, huge and fractional
 * amounts), or are broken JSON, deep nesting, huge (above 64 KiB) and giant (above API Gateway's
 * 10 MiB); paths carry broken and odd percent-encodings; signatures are missing, wrong, stale or
 * over another body (a body changed and re-signed, or changed and not); forms repeat fields and
 * come from other origins. Requests go one at a time, so each one's DynamoDB writes are its own.
 *
 * What must hold: no answer is a 5xx; a 4xx writes nothing (PutItem, UpdateItem, DeleteItem,
 * BatchWriteItem and TransactWriteItems that dynalite answered 200, counted by a proxy in front of
 * it around the request, once the workflows are idle; the background wake-ups are off); a change to a signed request that is not
 * signed again is refused 401 (or 413 first, or 400 for a path API Gateway would not route); and
 * every answer of a route of the API contract is one `/openapi.json` documents. The seed is
 * `MAKEGOOD_FUZZ_SEED` (2026 by default), so a run can be repeated.
 */
const RUNS = Number(process.env.MAKEGOOD_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.MAKEGOOD_FUZZ_SEED ?? 2026);
const FINANCE_KEY = 'fuzz-finance-key';
/** Claims waiting for approval by link, and for the console: each is decided once, so several keep the open state in reach. */
const APPROVAL_CLAIMS = 3;
const CONSOLE_CLAIMS = 2;

/** How to sign a request when it is sent (the signature's time must be fresh): over what, with what. */
interface Signing {
  readonly secret: string;
  readonly storefront: string;
  /** Seconds added to now: far off is stale or from the future. */
  readonly skew: number;
  /** Sign another target or body than the one sent: a change not signed again. */
  readonly over?: { readonly target?: string; readonly body?: string };
  /** Send this instead of a signature (a malformed header). */
  readonly header?: string;
  /** Leave a header out. */
  readonly omit?: 'signature' | 'storefront' | 'both';
}

/** One request of the fuzz, as it goes on the wire. */
interface FuzzRequest {
  /** `METHOD /template` of the registry route it aims at. */
  readonly route: string;
  /** What it tries, for the summary of a finding. */
  readonly family: string;
  readonly method: string;
  /** Path and query, byte for byte. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body; `giant` is that many bytes, made only when sent. */
  readonly body: string | { readonly giant: number };
  readonly sign?: Signing;
  /** Put a fresh nonce of the console session into the form's `nonce` field first (one GET). */
  readonly consoleNonce?: 'main' | 'doomed';
  /** A change to a signed request that was not signed again: only 401 (or 413, or a 400 for the path) may answer. */
  readonly unsigned?: true;
}

/** What the suite needs to reach the deep paths: real claims, links, sessions. */
interface Fixtures {
  readonly apiUrl: string;
  readonly origin: string;
  readonly claimBody: unknown;
  readonly settled: { readonly claimId: string; readonly actionId: string; readonly amount: { amount: number; currency: string } };
  /** Claims that wait for approval by link, each with its link and the page's nonce. */
  readonly approvals: readonly { readonly claimId: string; readonly token: string; readonly nonce: string }[];
  readonly returning: { readonly claimId: string };
  /** Claims that wait for the agent, to decide in the console. */
  readonly consoleClaims: readonly string[];
  readonly statusToken: string;
  readonly loginToken: string;
  readonly cookies: { readonly main: string; readonly doomed: string };
}

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let dynamo: Awaited<ReturnType<typeof countedDynamo>>;
let fx: Fixtures;
let contract: OpenApiContract;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Sends one request exactly as given (no normalisation of the target); the answer as text. */
function send(
  method: string,
  target: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const url = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: target, agent, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const total = (w: Readonly<Record<string, number>>) => Object.values(w).reduce((a, b) => a + b, 0);

/** The first `<input name="nonce">` of a page. */
function nonceOf(page: string): string {
  const m = /name="nonce" value="([^"]+)"/.exec(page);
  if (!m?.[1]) throw new Error('No nonce on the page');
  return m[1];
}

/** A link of `kind` (`/c/`, `/console/login/`) in a mail's text. */
function linkIn(mail: Mail, kind: string): string {
  const m = new RegExp(`https?://[^\\s"<]+${kind}([A-Za-z0-9._~-]+)`).exec(mail.body.text ?? '');
  if (!m?.[1]) throw new Error(`No ${kind} link in: ${mail.body.text}`);
  return m[1];
}

// ------------------------------------------------------------------------------------ fixtures

/** A claim of the faulty kettle, which waits for the agent's approval. */
async function kettleClaim(): Promise<string> {
  const body = demoClaims().approval;
  const id = randomUUID().slice(0, 8);
  body.order.id = `ORD-K-${id}`;
  body.customer = { ...body.customer, id: `C-K-${id}`, email: `k-${id}@example.com` };
  const posted = await postClaim(stack.apiUrl, body);
  await waitForClaim(stack.apiUrl, posted.json.claimId, (c) => c.status === 'awaiting_approval');
  return posted.json.claimId;
}

/** The order id of a claim, as its storefront reads it. */
async function orderOf(claimId: string): Promise<string> {
  return ((await (await signedFetch(stack.apiUrl, 'GET', `/v1/claims/${claimId}`)).json()) as { orderId: string }).orderId;
}

/** The approval link the agent was emailed for an order. */
async function approvalToken(orderIdPart: string): Promise<string> {
  const mail = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes('agent@demo.test') && m.subject.includes(orderIdPart));
  const link = approvalLink(mail);
  return link.slice(link.lastIndexOf('/') + 1);
}

/** A console session of `email`, by its sign-in link, as a browser would. */
async function signIn(email: string, origin: string): Promise<string> {
  const before = (await mailbox(stack.mailUrl)).length;
  await fetch(`${stack.apiUrl}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ email }).toString(),
  });
  const mail = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes(email) && m.subject.startsWith('Your sign-in link'));
  expect((await mailbox(stack.mailUrl)).length).toBeGreaterThan(before);
  const token = linkIn(mail, '/console/login/');
  const res = await fetch(`${stack.apiUrl}/console/login/${token}`, { method: 'POST', headers: { origin }, redirect: 'manual' });
  const cookie = /mg_console=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error(`No session for ${email}: ${res.status}`);
  return `mg_console=${cookie}`;
}

async function arrange(): Promise<Fixtures> {
  const origin = new URL(stack.apiUrl).origin;
  // A claim that settles on its own, with a refund the shop is asked to pay.
  const auto = await postClaim(stack.apiUrl, claimBody());
  await waitForClaim(stack.apiUrl, auto.json.claimId, (c) => c.status === 'settled');
  const listed = (await (await signedFetch(stack.apiUrl, 'GET', '/v1/actions')).json()) as {
    actions: { actionId: string; claimId: string; amount: { amount: number; currency: string } }[];
  };
  const action = listed.actions.find((a) => a.claimId === auto.json.claimId);
  if (!action) throw new Error('The settled claim asked nothing of the shop');

  // Claims that wait for approval by link, and one that the link approves so that it waits for its return.
  const approvals: { claimId: string; token: string; nonce: string }[] = [];
  for (let i = 0; i < APPROVAL_CLAIMS; i++) {
    const claimId = await kettleClaim();
    const token = await approvalToken(await orderOf(claimId));
    approvals.push({ claimId, token, nonce: nonceOf(await (await fetch(`${stack.apiUrl}/approvals/${token}`)).text()) });
  }
  const returningClaim = await kettleClaim();
  const returningOrder = ((await (await signedFetch(stack.apiUrl, 'GET', `/v1/claims/${returningClaim}`)).json()) as { orderId: string })
    .orderId;
  const returningToken = await approvalToken(returningOrder);
  const returningPage = await (await fetch(`${stack.apiUrl}/approvals/${returningToken}`)).text();
  await fetch(`${stack.apiUrl}/approvals/${returningToken}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ ...formFields(returningPage), decision: 'approve' }).toString(),
  });
  await waitForClaim(stack.apiUrl, returningClaim, (c) => c.status === 'awaiting_return');

  // A claim for the console to decide, two sessions (one for signing out), an unused sign-in link, a status link.
  const consoleClaims: string[] = [];
  for (let i = 0; i < CONSOLE_CLAIMS; i++) consoleClaims.push(await kettleClaim());
  const main = await signIn('agent@demo.test', origin);
  const doomed = await signIn('supervisor@demo.test', origin);
  await fetch(`${stack.apiUrl}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: 'email=finance%40demo.test',
  });
  const loginMail = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes('finance@demo.test'));
  const statusMail = await waitForMail(stack.mailUrl, (m) => (m.body.text ?? '').includes('/c/'));
  await stack.engine.idle(30_000);

  const fuzzBody = claimBody();
  fuzzBody.order.id = 'ORD-FUZZ';
  fuzzBody.customer.id = 'C-FUZZ';
  return {
    apiUrl: stack.apiUrl,
    origin,
    claimBody: fuzzBody,
    settled: { claimId: auto.json.claimId, actionId: action.actionId, amount: action.amount },
    approvals,
    returning: { claimId: returningClaim },
    consoleClaims,
    statusToken: linkIn(statusMail, '/c/'),
    loginToken: linkIn(loginMail, '/console/login/'),
    cookies: { main, doomed },
  };
}

// ---------------------------------------------------------------------------------- generators

const weighted = <T>(...arbs: [number, fc.Arbitrary<T>][]) => fc.oneof(...arbs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** A path template with each `{name}` filled, percent-encoding the values unless told they are raw. */
function fill(template: string, values: Readonly<Record<string, string>>, raw: ReadonlySet<string> = new Set()): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = values[name] ?? '';
    return raw.has(name) ? v : encodeURIComponent(v);
  });
}

/**
 * The path template's values with one of them replaced by an odd segment, sent raw; now and then
 * the whole target made odd instead (a `//` authority, an absolute form, a bracket that does not
 * parse, a fragment, a trailing slash).
 */
const oddPath = (template: string, values: Readonly<Record<string, string>>) => {
  const path = fill(template, values);
  const whole = fc.constantFrom(
    `//${path}`,
    `//[${path}`,
    `http://[${path}`,
    `http://attacker.test${path}`,
    `${path}/`,
    `${path}//`,
    `${path}#x`,
    `${path}?`,
    `${path};x=1`,
    `/.${path}`,
    `${path}/..`,
  );
  const names = Object.keys(values);
  if (names.length === 0) return whole;
  const one = fc
    .tuple(fc.constantFrom(...names), oddSegment)
    .map(([name, seg]) => fill(template, { ...values, [name]: seg }, new Set([name])));
  return fc.oneof({ weight: 4, arbitrary: one }, { weight: 1, arbitrary: whole });
};

/** Signing variants: right, wrong secret, unknown storefront, stale, future, malformed, missing. */
const badSigning: fc.Arbitrary<Signing> = fc.oneof(
  fc.constant({ secret: 'not-the-secret', storefront: 'demo', skew: 0 }),
  fc.constant({ secret: DEMO_SECRET, storefront: 'unknown-shop', skew: 0 }),
  fc.constant({ secret: DEMO_SECRET, storefront: 'demo', skew: -3_600 }),
  fc.constant({ secret: DEMO_SECRET, storefront: 'demo', skew: 3_600 }),
  fc.constant({ secret: DEMO_SECRET, storefront: 'demo', skew: -301 }),
  fc
    .constantFrom(
      '',
      't=,v1=',
      't=abc,v1=00',
      'v1=deadbeef',
      't=1,v1=',
      `t=${'9'.repeat(40)},v1=${'0'.repeat(64)}`,
      'garbage',
      't=1,v1=zz,v1=',
    )
    .map((header) => ({ secret: DEMO_SECRET, storefront: 'demo', skew: 0, header })),
  fc
    .constantFrom<Signing['omit']>('signature', 'storefront', 'both')
    .map((omit) => ({ secret: DEMO_SECRET, storefront: 'demo', skew: 0, omit })),
);

const rightSigning: Signing = { secret: DEMO_SECRET, storefront: 'demo', skew: 0 };

interface JsonRoute {
  readonly method: 'GET' | 'POST';
  readonly template: string;
  readonly values: Readonly<Record<string, string>>;
  /** The valid body, for a POST. */
  readonly body?: unknown;
  /** The schema the body is generated from, for a POST. */
  readonly schema?: Parameters<typeof jsonSchemaOf>[0];
  readonly auth: 'storefront' | 'finance';
  /** Query strings to start from, for a GET. */
  readonly queries?: fc.Arbitrary<string>;
  readonly idempotent?: true;
}

/** A query string with odd parts: a repeated or unknown parameter, odd values, broken percent-encoding. */
const oddQuery = (names: readonly string[]) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...names), fc.constantFrom('unknown', '', '%', '%zz', 'limit[]', '__proto__')),
        fc.oneof(
          oddText.map(encodeURIComponentSafe),
          fc.constantFrom('%', '%zz', '%ED%A0%80', '', '-1', '0', '1e3', '5.5', '999999999999'),
        ),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

/** Percent-encodes text, lone surrogates included (as their replacement character). */
function encodeURIComponentSafe(s: string): string {
  return encodeURIComponent(s.replace(/\p{Cs}/gu, '\ufffd'));
}

/** The requests for one route of the storefront or finance API. */
function jsonRequests(route: string, r: JsonRoute): fc.Arbitrary<FuzzRequest> {
  const validPath = fill(r.template, r.values);
  const contentType = { 'content-type': 'application/json' };
  const idem = r.idempotent ? fc.uuid().map((k) => ({ 'idempotency-key': k })) : fc.constant({});
  const base = r.body === undefined ? '' : JSON.stringify(r.body);
  const finance: Record<string, string> = r.auth === 'finance' ? { authorization: `Bearer ${FINANCE_KEY}` } : {};
  const make = (
    family: string,
    target: string,
    body: FuzzRequest['body'],
    headers: Record<string, string>,
    extra: Partial<FuzzRequest> = {},
  ) =>
    ({
      route,
      family,
      method: r.method,
      target,
      headers: { ...finance, ...headers },
      body,
      ...(r.auth === 'storefront' ? { sign: rightSigning } : {}),
      ...extra,
    }) as FuzzRequest;
  const withQuery = (q: string) => (q === '' ? validPath : `${validPath}?${q}`);
  const queries = r.queries ?? fc.constant('');
  const families: [number, fc.Arbitrary<FuzzRequest>][] = [
    [2, fc.tuple(idem, queries).map(([h, q]) => make('valid', withQuery(q), base, { ...contentType, ...h }))],
    [3, fc.tuple(idem, oddPath(r.template, r.values)).map(([h, p]) => make('odd path', p, base, { ...contentType, ...h }))],
    [
      r.auth === 'storefront' ? 2 : 0,
      fc
        .tuple(idem, badSigning)
        .map(([h, sign]) => make('bad signature', validPath, base, { ...contentType, ...h }, { sign, unsigned: true })),
    ],
    [
      1,
      fc
        .tuple(
          idem,
          fc.constantFrom(
            'text/plain',
            'application/json; charset=latin1',
            'APPLICATION/JSON',
            'application/jsonx',
            '',
            'multipart/form-data',
          ),
        )
        .map(([h, type]) => make(`content-type ${type}`, validPath, base, { ...(type ? { 'content-type': type } : {}), ...h })),
    ],
  ];
  if (r.method === 'GET') {
    families.push([
      4,
      fc
        .tuple(idem, oddQuery(['limit', 'cursor', 'status', 'from', 'to', 'storefront', 'claim', 'type', 'format']))
        .map(([h, q]) => make('odd query', withQuery(q), '', h)),
    ]);
    // A query changed after signing, not signed again.
    if (r.auth === 'storefront') {
      const notResigned = fc
        .tuple(queries, oddQuery(['limit', 'cursor']))
        .filter(([q, odd]) => q !== odd)
        .map(([q, odd]) =>
          make(
            'query not re-signed',
            withQuery(odd),
            '',
            {},
            { sign: { ...rightSigning, over: { target: withQuery(q) } }, unsigned: true },
          ),
        );
      families.push([1, notResigned]);
    }
  }
  if (r.method === 'POST' && r.body !== undefined) {
    const changed = changedJson(r.body);
    families.push(
      [4, fc.tuple(idem, changed).map(([h, body]) => make('changed, re-signed', validPath, body, { ...contentType, ...h }))],
      [
        2,
        fc
          .tuple(
            idem,
            changed.filter((body) => body !== base),
          )
          .map(([h, body]) =>
            make(
              'changed, not re-signed',
              validPath,
              body,
              { ...contentType, ...h },
              r.auth === 'storefront' ? { sign: { ...rightSigning, over: { body: base } }, unsigned: true } : {},
            ),
          ),
      ],
      [2, fc.tuple(idem, brokenJson).map(([h, body]) => make('broken JSON', validPath, body, { ...contentType, ...h }))],
      [
        1,
        fc
          .tuple(idem, fc.integer({ min: 64 * 1024 - 16, max: 200_000 }))
          .map(([h, n]) => make('huge body', validPath, `{"pad":"${'x'.repeat(n)}"}`, { ...contentType, ...h })),
      ],
      // Above API Gateway's own 10 MiB.
      [1, idem.map((h) => make('giant body', validPath, { giant: 10 * 1024 * 1024 + 1 }, { ...contentType, ...h }))],
      [
        1,
        fc
          .tuple(
            idem,
            fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 50 }),
          )
          .map(([h, bytes]) => make('invalid UTF-8', validPath, `{"a":"${bytes}"}`, { ...contentType, ...h, 'x-fuzz-latin1': '1' })),
      ],
      [
        1,
        fc
          .tuple(idem, fc.integer({ min: 0, max: 10 }))
          .map(([h, n]) =>
            make(
              'body on another path, not re-signed',
              validPath,
              base,
              { ...contentType, ...h },
              r.auth === 'storefront' ? { sign: { ...rightSigning, over: { target: `${validPath}x${n}` } }, unsigned: true } : {},
            ),
          ),
      ],
    );
    if (r.schema)
      families.push([
        3,
        fc
          .tuple(idem, arbitraryOf(jsonSchemaOf(r.schema)))
          .map(([h, v]) => make('from the schema', validPath, JSON.stringify(v), { ...contentType, ...h })),
      ]);
    if (route === 'POST /v1/claims') {
      families.push(
        [
          1,
          fc
            .constantFrom('', ' ', 'a'.repeat(256), 'ключ', 'a b', '\u0080')
            .map((k) => make('odd Idempotency-Key', validPath, base, { ...contentType, 'idempotency-key': k })),
        ],
        [1, fc.constant(0).map(() => make('no Idempotency-Key', validPath, base, contentType))],
      );
    }
  }
  return weighted(...families);
}

/** A urlencoded form from fields, each name as given (so a name may repeat). */
const formBody = (fields: readonly (readonly [string, string])[]) =>
  fields.map(([k, v]) => `${encodeURIComponentSafe(k)}=${encodeURIComponentSafe(v)}`).join('&');

/** The origin headers a post may carry: the page's own, another, `null`, none, and Sec-Fetch-Site variants. */
const originHeaders = (origin: string): fc.Arbitrary<Record<string, string>> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant({ origin, 'sec-fetch-site': 'same-origin' }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { origin: 'https://attacker.test', 'sec-fetch-site': 'cross-site' },
        { origin: 'null' },
        { origin, 'sec-fetch-site': 'cross-site' },
        { origin, 'sec-fetch-site': 'same-site' },
        { 'sec-fetch-site': 'cross-site' },
        {},
        { origin: `${origin}.attacker.test` },
        { origin: origin.replace('http:', 'https:') },
      ),
    },
  );

/** The fields of a decision form: valid ones, repeated ones, odd values. */
const decisionFields = (nonce: string | undefined): fc.Arbitrary<[string, string][]> => {
  const valid = fc.record({
    decision: fc.constantFrom('approve', 'reject'),
    amount: fc.oneof(fc.constant(''), oddAmount),
    note: fc.oneof(fc.constant('checked'), fc.constant(''), oddText),
    customerNote: fc.oneof(fc.constant(''), oddText),
  });
  return fc
    .tuple(
      valid,
      fc.oneof(fc.constant('none'), fc.constant('repeat'), fc.constant('odd decision')),
      fc.constantFrom('decision', 'amount', 'note', 'customerNote', 'nonce'),
      oddAmount,
      fc.constantFrom('APPROVE', 'yes', '', 'approve\u0000', 'reject ', 'approve,reject'),
    )
    .map(([v, twist, field, other, oddDecision]) => {
      const fields: [string, string][] = [
        ['decision', twist === 'odd decision' ? oddDecision : v.decision],
        ['amount', v.amount],
        ['note', v.note],
        ['customerNote', v.customerNote],
        ...(nonce === undefined ? [] : ([['nonce', nonce]] as [string, string][])),
      ];
      if (twist === 'repeat') fields.push([field, field === 'decision' ? (v.decision === 'approve' ? 'reject' : 'approve') : other]);
      return fields;
    });
};

/** Every route's requests, keyed `METHOD /template` as the registry lists them. */
function requestsByRoute(f: Fixtures): Record<string, fc.Arbitrary<FuzzRequest>> {
  const { claimId: settledClaim, actionId } = f.settled;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const html = (
    route: string,
    family: string,
    method: string,
    target: string,
    headers: Record<string, string> = {},
    body = '',
    extra: Partial<FuzzRequest> = {},
  ) => ({ route, family, method, target, headers, body, ...extra }) as FuzzRequest;
  const cookieOf = fc.oneof(
    { weight: 4, arbitrary: fc.constant(f.cookies.main) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'mg_console=',
        'mg_console=k1.AAAA',
        `mg_console=${'a'.repeat(5000)}`,
        `${f.cookies.main}; mg_console=k1.x`,
        'mg_console=%zz; a=b',
      ),
    },
  );

  /** GET and HEAD of a page: the valid link, odd links, odd cookies and queries. */
  const page = (route: string, template: string, values: Record<string, string>, cookie = false) =>
    weighted<FuzzRequest>(
      [
        2,
        (cookie ? cookieOf : fc.constant('')).map((c) =>
          html(route, 'valid', route.split(' ')[0] as string, fill(template, values), c ? { cookie: c } : {}),
        ),
      ],
      [
        3,
        oddPath(template, values).map((p) =>
          html(route, 'odd path', route.split(' ')[0] as string, p, cookie ? { cookie: f.cookies.main } : {}),
        ),
      ],
      [1, oddQuery(['a', 'token']).map((q) => html(route, 'odd query', route.split(' ')[0] as string, `${fill(template, values)}?${q}`))],
      [
        1,
        fc
          .constantFrom('text/html', '*/*', 'uk-UA,uk;q=0.9', 'xx-invalid-@@', 'a'.repeat(2000))
          .map((v) => html(route, 'odd accept-language', route.split(' ')[0] as string, fill(template, values), { 'accept-language': v })),
      ],
    );

  /** A form POST: valid, with repeated fields, odd values, from another origin, not a form, huge. */
  const post = (
    route: string,
    target: fc.Arbitrary<string>,
    fields: fc.Arbitrary<[string, string][]>,
    extra: { cookie?: boolean; consoleNonce?: 'main' | 'doomed' } = {},
  ) =>
    weighted<FuzzRequest>(
      [
        6,
        fc
          .tuple(target, fields, originHeaders(f.origin), extra.cookie ? cookieOf : fc.constant(''))
          .map(([t, fs, o, c]) =>
            html(
              route,
              'form',
              'POST',
              t,
              { ...form, ...o, ...(c ? { cookie: extra.consoleNonce === 'doomed' ? f.cookies.doomed : c } : {}) },
              formBody(fs),
              extra.consoleNonce ? { consoleNonce: extra.consoleNonce } : {},
            ),
          ),
      ],
      [
        1,
        fc
          .tuple(target, fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', ''))
          .map(([t, type]) =>
            html(
              route,
              `content-type ${type}`,
              'POST',
              t,
              { ...(type ? { 'content-type': type } : {}), origin: f.origin, ...(extra.cookie ? { cookie: f.cookies.main } : {}) },
              'decision=approve',
            ),
          ),
      ],
      [
        1,
        fc
          .tuple(target, fc.integer({ min: 64 * 1024, max: 150_000 }))
          .map(([t, n]) =>
            html(
              route,
              'huge form',
              'POST',
              t,
              { ...form, origin: f.origin, ...(extra.cookie ? { cookie: f.cookies.main } : {}) },
              `note=${'x'.repeat(n)}`,
            ),
          ),
      ],
      [
        1,
        fc
          .tuple(target, fc.string({ unit: 'binary', maxLength: 200 }))
          .map(([t, b]) => html(route, 'raw body', 'POST', t, { ...form, origin: f.origin }, b)),
      ],
    );

  const approvalTarget = (token: string) =>
    weighted<string>([5, fc.constant(`/approvals/${token}`)], [2, oddPath('/approvals/{token}', { token })]);
  const consoleClaimTarget = weighted<string>(
    [5, fc.constantFrom(...f.consoleClaims).map((claimId) => `/console/claims/${claimId}/decision`)],
    [1, fc.constantFrom(...f.approvals).map((a) => `/console/claims/${a.claimId}/decision`)],
    [2, fc.constantFrom(...f.consoleClaims).chain((claimId) => oddPath('/console/claims/{claimId}/decision', { claimId }))],
  );
  const followUp = `fu_${f.consoleClaims[0]}_3`;
  const noteFields = fc
    .tuple(fc.oneof(fc.constant('called the customer'), oddText), fc.boolean())
    .map(([note, twice]) => [['note', note], ...(twice ? [['note', 'again']] : [])] as [string, string][]);

  return {
    'POST /v1/claims': jsonRequests('POST /v1/claims', {
      method: 'POST',
      template: '/v1/claims',
      values: {},
      body: f.claimBody,
      schema: claimRequestSchema,
      auth: 'storefront',
      idempotent: true,
    }),
    'GET /v1/claims/{claimId}': jsonRequests('GET /v1/claims/{claimId}', {
      method: 'GET',
      template: '/v1/claims/{claimId}',
      values: { claimId: settledClaim },
      auth: 'storefront',
    }),
    'POST /v1/claims/{claimId}/returns': jsonRequests('POST /v1/claims/{claimId}/returns', {
      method: 'POST',
      template: '/v1/claims/{claimId}/returns',
      values: { claimId: f.returning.claimId },
      body: { items: [{ sku: 'KETTLE-1', quantity: 1 }], receivedAt: new Date().toISOString(), condition: 'used' },
      schema: returnReportSchema,
      auth: 'storefront',
    }),
    'GET /v1/actions': jsonRequests('GET /v1/actions', {
      method: 'GET',
      template: '/v1/actions',
      values: {},
      auth: 'storefront',
      queries: arbitraryOf(jsonSchemaOf(actionQuerySchema)).map((q) =>
        new URLSearchParams(Object.entries(q as Record<string, unknown>).map(([k, v]) => [k, String(v)] as [string, string])).toString(),
      ),
    }),
    'POST /v1/claims/{claimId}/actions/{actionId}': jsonRequests('POST /v1/claims/{claimId}/actions/{actionId}', {
      method: 'POST',
      template: '/v1/claims/{claimId}/actions/{actionId}',
      values: { claimId: settledClaim, actionId },
      body: { status: 'succeeded', provider: 'stripe', reference: 're_fuzz', amount: f.settled.amount },
      schema: actionReportSchema,
      auth: 'storefront',
    }),
    'POST /v1/claims/{claimId}/actions/{actionId}/cash': jsonRequests('POST /v1/claims/{claimId}/actions/{actionId}/cash', {
      method: 'POST',
      template: '/v1/claims/{claimId}/actions/{actionId}/cash',
      values: { claimId: settledClaim, actionId },
      body: {},
      schema: cashRequestSchema,
      auth: 'storefront',
    }),
    'GET /v1/ledger': weighted<FuzzRequest>(
      [
        4,
        jsonRequests('GET /v1/ledger', {
          method: 'GET',
          template: '/v1/ledger',
          values: {},
          auth: 'finance',
          queries: fc.constantFrom(
            'from=2026-01-01&to=2026-02-01',
            `claim=${settledClaim}`,
            `claim=${settledClaim}&format=csv`,
            'from=2026-01-01&to=2026-01-02&limit=1',
          ),
        }),
      ],
      [
        1,
        fc
          .constantFrom(
            '',
            'Bearer',
            'Bearer wrong',
            'bearer fuzz-finance-key',
            `Bearer ${FINANCE_KEY} x`,
            `Basic ${FINANCE_KEY}`,
            `Bearer ${'k'.repeat(5000)}`,
          )
          .map((a) => html('GET /v1/ledger', 'finance key', 'GET', `/v1/ledger?claim=${settledClaim}`, a ? { authorization: a } : {})),
      ],
    ),
    'GET /approvals/{token}': fc
      .constantFrom(...f.approvals)
      .chain((a) => page('GET /approvals/{token}', '/approvals/{token}', { token: a.token })),
    'HEAD /approvals/{token}': fc
      .constantFrom(...f.approvals)
      .chain((a) => page('HEAD /approvals/{token}', '/approvals/{token}', { token: a.token })),
    'POST /approvals/{token}': fc
      .constantFrom(...f.approvals)
      .chain((a) =>
        post(
          'POST /approvals/{token}',
          approvalTarget(a.token),
          weighted([4, decisionFields(a.nonce)], [1, decisionFields(undefined)], [1, decisionFields('v2.forged')]),
        ),
      ),
    'GET /c/{token}': page('GET /c/{token}', '/c/{token}', { token: f.statusToken }),
    'HEAD /c/{token}': page('HEAD /c/{token}', '/c/{token}', { token: f.statusToken }),
    'GET /console': page('GET /console', '/console', {}, true),
    'HEAD /console': page('HEAD /console', '/console', {}, true),
    'POST /console/login': post(
      'POST /console/login',
      fc.constant('/console/login'),
      fc
        .tuple(
          fc.oneof(fc.constantFrom('agent@demo.test', 'nobody@demo.test', 'AGENT@DEMO.TEST', ' agent@demo.test '), oddText),
          fc.boolean(),
        )
        .map(([email, twice]) => [['email', email], ...(twice ? [['email', 'finance@demo.test']] : [])] as [string, string][]),
    ),
    'GET /console/login/{token}': page('GET /console/login/{token}', '/console/login/{token}', { token: f.loginToken }),
    'HEAD /console/login/{token}': page('HEAD /console/login/{token}', '/console/login/{token}', { token: f.loginToken }),
    'POST /console/login/{token}': post(
      'POST /console/login/{token}',
      weighted<string>([1, fc.constant(`/console/login/${f.loginToken}`)], [3, oddPath('/console/login/{token}', { token: f.loginToken })]),
      fc.constant([]),
    ),
    'POST /console/logout': post('POST /console/logout', fc.constant('/console/logout'), fc.constant([]), {
      cookie: true,
      consoleNonce: 'doomed',
    }),
    'GET /console/claims/{claimId}': page(
      'GET /console/claims/{claimId}',
      '/console/claims/{claimId}',
      { claimId: f.consoleClaims[0] as string },
      true,
    ),
    'HEAD /console/claims/{claimId}': page(
      'HEAD /console/claims/{claimId}',
      '/console/claims/{claimId}',
      { claimId: f.consoleClaims[0] as string },
      true,
    ),
    'POST /console/claims/{claimId}/decision': post(
      'POST /console/claims/{claimId}/decision',
      consoleClaimTarget,
      decisionFields(undefined),
      { cookie: true, consoleNonce: 'main' },
    ),
    'POST /console/followups/{followUpId}/close': post(
      'POST /console/followups/{followUpId}/close',
      weighted<string>(
        [2, fc.constant(`/console/followups/${followUp}/close`)],
        [2, oddPath('/console/followups/{followUpId}/close', { followUpId: followUp })],
      ),
      noteFields,
      { cookie: true, consoleNonce: 'main' },
    ),
    'GET /health': page('GET /health', '/health', {}),
    'GET /health/deep': weighted<FuzzRequest>(
      [1, page('GET /health/deep', '/health/deep', {})],
      [
        2,
        fc
          .constantFrom(`Bearer ${FINANCE_KEY}`, 'Bearer wrong', `Basic ${FINANCE_KEY}`, `Bearer ${'k'.repeat(5000)}`)
          .map((a) => html('GET /health/deep', 'finance key', 'GET', '/health/deep', { authorization: a })),
      ],
    ),
    'GET /openapi.json': page('GET /openapi.json', '/openapi.json', {}),
    'GET /docs': page('GET /docs', '/docs', {}),
  };
}

// ------------------------------------------------------------------------------------- sending

/** A fresh form nonce of a console session, from its queue page (a GET: it writes nothing). */
async function freshNonce(cookie: string): Promise<string | undefined> {
  const res = await send('GET', '/console', { cookie }, Buffer.alloc(0));
  const m = /name="nonce" value="([^"]+)"/.exec(res.body);
  return m?.[1];
}

/** The request as bytes and headers, signed now if it is to be signed. */
async function materialise(r: FuzzRequest): Promise<{ headers: Record<string, string>; body: Buffer }> {
  let text = typeof r.body === 'string' ? r.body : '';
  if (r.consoleNonce) {
    const nonce = await freshNonce(r.consoleNonce === 'main' ? fx.cookies.main : fx.cookies.doomed);
    if (nonce) text = `${text}${text === '' ? '' : '&'}nonce=${encodeURIComponent(nonce)}`;
  }
  const { 'x-fuzz-latin1': latin1, ...rest } = r.headers;
  // A header value goes as its UTF-8 bytes, as a client that sends non-ASCII text in a header does (Node takes latin1 strings).
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(rest).map(([k, v]) => [
      k,
      [...v].some((c) => (c.codePointAt(0) ?? 0) > 0xff) ? Buffer.from(v, 'utf8').toString('latin1') : v,
    ]),
  );
  const body = typeof r.body === 'string' ? Buffer.from(text, latin1 ? 'latin1' : 'utf8') : Buffer.alloc(r.body.giant, 'a');
  if (r.sign) {
    const s = r.sign;
    const t = Math.floor(Date.now() / 1000) + s.skew;
    const signature = signatureHeader(s.secret, t, r.method, s.over?.target ?? r.target, s.over?.body ?? body.toString('utf8'));
    if (s.omit !== 'storefront' && s.omit !== 'both') headers['x-makegood-storefront'] = s.storefront;
    if (s.omit !== 'signature' && s.omit !== 'both') headers['x-makegood-signature'] = s.header ?? signature;
  }
  return { headers, body };
}

/** What the suite saw. */
interface Finding {
  readonly kind: '5xx' | 'write on 4xx' | 'unsigned change not refused' | 'not as documented';
  readonly request: string;
  readonly status: number;
  readonly detail: string;
}

const describeRequest = (r: FuzzRequest, body: Buffer) =>
  `${r.family} · ${r.method} ${r.target.slice(0, 160)}${r.target.length > 160 ? '…' : ''} · ${JSON.stringify(body.subarray(0, 160).toString('utf8'))}${body.length > 160 ? `… (${body.length} bytes)` : ''}`;

/** The route of the contract an exchange is for: a path API Gateway would not decode is matched with its `%` taken literally. */
function contractPath(target: string): string {
  return target.replace(/%(?![0-9A-Fa-f]{2})/g, '%25').replace(/%([0-9A-Fa-f]{2})/g, (m) => {
    try {
      decodeURIComponent(m);
      return m;
    } catch {
      return `%25${m.slice(1)}`;
    }
  });
}

beforeAll(async () => {
  dynamo = await countedDynamo();
  stack = await bootStack({ wakeFunctions: false, financeKey: FINANCE_KEY, dynamodbEndpoint: dynamo.url });
  fx = await arrange();
  contract = new OpenApiContract((await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as OpenApi31);
}, 180_000);
afterAll(async () => {
  agent.destroy();
  await stack?.cleanup();
  await dynamo?.close();
});

describe('hostile HTTP against the embedded stack', () => {
  it(`answers ${RUNS} generated requests over every route with no 5xx, and writes nothing for a 4xx`, async () => {
    // arrange: one lazily sampled stream of requests per registry route, taken round-robin
    const routes = functionSpecs.flatMap((s) => s.routes ?? []).map((r) => `${r.method} ${r.path}`);
    const byRoute = requestsByRoute(fx);
    expect(Object.keys(byRoute).sort()).toEqual([...routes].sort());
    const queues = new Map<string, FuzzRequest[]>(routes.map((r) => [r, []]));
    const next = (route: string, i: number): FuzzRequest => {
      const queue = queues.get(route) ?? [];
      if (queue.length === 0) queue.push(...fc.sample(byRoute[route] as fc.Arbitrary<FuzzRequest>, { numRuns: 50, seed: SEED + i }));
      return queue.shift() as FuzzRequest;
    };
    const findings: Finding[] = [];
    const byClass: Record<string, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    const byRouteCount: Record<string, number> = {};
    let writesOn4xx = 0;
    let refusedWritesOn4xx = 0;
    const timeByRoute: Record<string, number> = {};
    const byFamily: Record<string, Record<number, number>> = {};
    const started = Date.now();

    // act
    for (let i = 0; i < RUNS; i++) {
      const route = routes[i % routes.length] as string;
      const r = next(route, i);
      // Earlier 2xx answers may have started workflows: let them finish, so the writes seen are this request's.
      const t0 = Date.now();
      await stack.engine.idle(60_000);
      dynamo.takeWrites();
      const { headers, body } = await materialise(r);
      const before = dynamo.counts();
      const res = await send(r.method, r.target, headers, body);
      const after = dynamo.counts();
      byRouteCount[route] = (byRouteCount[route] ?? 0) + 1;
      timeByRoute[route] = (timeByRoute[route] ?? 0) + Date.now() - t0;
      const family = byFamily[`${route} · ${r.family}`] ?? {};
      family[res.status] = (family[res.status] ?? 0) + 1;
      byFamily[`${route} · ${r.family}`] = family;
      byClass[`${Math.floor(res.status / 100)}xx`] = (byClass[`${Math.floor(res.status / 100)}xx`] ?? 0) + 1;
      const what = describeRequest(r, body);
      const answer = `${res.status} ${res.body.slice(0, 300)}`;
      if (res.status >= 500) findings.push({ kind: '5xx', request: what, status: res.status, detail: answer });
      const wroteNow = dynamo.takeWrites();
      if (res.status >= 400 && res.status < 500) {
        const wrote = total(after.written) - total(before.written);
        // A conditional write the table refused changed nothing; it is counted, not a finding.
        refusedWritesOn4xx += total(after.attempted) - total(before.attempted) - wrote;
        if (wrote > 0) {
          writesOn4xx += wrote;
          const keys = wroteNow.flatMap((w) => w.keys.map((k) => `${w.op} ${k}`)).join(', ');
          findings.push({ kind: 'write on 4xx', request: what, status: res.status, detail: `${keys} · ${answer}` });
        }
      }
      // What the server refuses before any function runs, as API Gateway would, is its own answer and not the
      // functions': a path no route takes (404), a body above 10 MiB (413), a request line and headers above Node's
      // 16 KiB (431), a request line Node's parser refuses (400 without a body).
      const gateway =
        (res.status === 404 && res.body === '{"message":"Not Found"}') ||
        (res.status === 413 && res.body.startsWith('{"message"')) ||
        res.status === 431 ||
        (res.status === 400 && res.headers['content-type'] === undefined);
      const forPath = /"path":"(path\.|\(path\))/.test(res.body);
      if (r.unsigned && !gateway && ![401, 413].includes(res.status) && !(res.status === 400 && forPath))
        findings.push({ kind: 'unsigned change not refused', request: what, status: res.status, detail: answer });
      const documented = contract.route(r.method, contractPath(r.target));
      if (documented && !gateway) {
        const problems = contract.checkResponse(
          { method: r.method, path: contractPath(r.target), headers, body: body.toString('utf8') },
          { status: res.status, headers: res.headers, body: res.body },
        );
        if (problems.length > 0)
          findings.push({ kind: 'not as documented', request: what, status: res.status, detail: `${problems.join('; ')} · ${answer}` });
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `fuzz: ${RUNS} requests (seed ${SEED}, ${routes.length} routes, ${seconds} s): 2xx ${byClass['2xx']}, 3xx ${byClass['3xx']}, 4xx ${byClass['4xx']}, 5xx ${byClass['5xx']}; writes on 4xx: ${writesOn4xx} (conditional writes refused on 4xx: ${refusedWritesOn4xx}); findings: ${findings.length}`,
    );
    // MAKEGOOD_FUZZ_DETAIL=1: where the time went, and what each kind of request was answered.
    if (process.env.MAKEGOOD_FUZZ_DETAIL) {
      const statuses = (c: Record<number, number>) =>
        Object.entries(c)
          .map(([st, n]) => `${st}×${n}`)
          .join(' ');
      const families = Object.entries(byFamily).sort(([a], [b]) => a.localeCompare(b));
      console.log(families.map(([k, c]) => `${k}: ${statuses(c)}`).join('\n'));
      const slowest = Object.entries(timeByRoute).sort((a, b) => b[1] - a[1]);
      console.log(slowest.map(([k, v]) => `${k} ${v} ms`).join('\n'));
    }
    for (const f of findings.slice(0, 40)) console.log(`  ${f.kind} (${f.status}): ${f.request}\n    → ${f.detail}`);

    // assert
    expect(findings).toEqual([]);
    expect(routes.every((r) => (byRouteCount[r] ?? 0) >= Math.floor(RUNS / routes.length))).toBe(true);
  });
});
