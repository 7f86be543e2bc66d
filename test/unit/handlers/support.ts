import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { vi } from 'vitest';
import { entryItem } from '#adapters/dynamo-ledger.ts';
import type { ClaimRequest } from '#domain/claim.ts';
import { singleKeyRing } from '#domain/key-ring.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry, type StoredDecision } from '#domain/ledger.ts';
import { signatureHeader } from '#domain/signature.ts';

/**
 * Shared arrangements for the handler tests: the environment the handlers read, a secrets directory,
 * API Gateway HTTP API (payload v2) events, and ledger/state items shaped as the adapters write them.
 */

export const LEDGER_TABLE = 'makegood-ledger';
export const STATE_TABLE = 'makegood-state';
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:makegood-refund';
export const APPROVAL_KEY = '0123456789abcdef'.repeat(4);
export const DEMO_SECRET = 'demo-secret-1';
export const FINANCE_KEY = 'finance-key-1';
/** The ring the handlers build from the `approval-keys` secret {@link writeSecrets} writes: {@link APPROVAL_KEY} as `k1`. */
export const APPROVAL_KEYS = singleKeyRing(Buffer.from(APPROVAL_KEY, 'utf8'));

/**
 * Writes the secrets as the embedded stack keeps them (adapters/secrets.ts `directoryStore`):
 * `<dir>/approval-keys.json`, `<dir>/finance-key.json` and `<dir>/storefronts/<id>.json` (a
 * signing secret `k1` each). A secret left out is not written, as if it were never configured.
 */
export function writeSecrets(
  dir: string,
  secrets: { approvalKey?: string; financeKey?: string; storefronts?: Record<string, string> } = {
    approvalKey: APPROVAL_KEY,
    financeKey: FINANCE_KEY,
    storefronts: { demo: DEMO_SECRET },
  },
): void {
  mkdirSync(join(dir, 'storefronts'), { recursive: true });
  if (secrets.approvalKey !== undefined)
    writeFileSync(join(dir, 'approval-keys.json'), JSON.stringify({ current: 'k1', k1: secrets.approvalKey }));
  if (secrets.financeKey !== undefined) writeFileSync(join(dir, 'finance-key.json'), JSON.stringify({ key: secrets.financeKey }));
  for (const [id, secret] of Object.entries(secrets.storefronts ?? {})) {
    writeFileSync(
      join(dir, 'storefronts', `${id}.json`),
      JSON.stringify({ signing: [{ id: 'k1', secret, createdAt: '2026-11-01T00:00:00.000Z' }] }),
    );
  }
}

/** The instant every handler test runs at (only `Date` is faked). */
export const NOW = new Date('2026-11-10T12:00:00.000Z');
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Sets the environment the handlers parse (with a temporary secrets directory), freezes `Date` at
 * {@link NOW} and forgets loaded modules, so that the next `await import(...)` of a handler builds
 * its dependencies from this environment. Returns the cleanup.
 */
export function stubRuntime(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'makegood-unit-'));
  const secretsDir = join(dir, 'secrets');
  writeSecrets(secretsDir);
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('MAKEGOOD_LEDGER_TABLE', LEDGER_TABLE);
  vi.stubEnv('MAKEGOOD_STATE_TABLE', STATE_TABLE);
  vi.stubEnv('MAKEGOOD_STATE_MACHINE_ARN', STATE_MACHINE_ARN);
  vi.stubEnv('MAKEGOOD_SECRETS_DIR', secretsDir);
  vi.stubEnv('MAKEGOOD_SECRETS_PREFIX', undefined);
  vi.stubEnv('MAKEGOOD_PUBLIC_URL', 'https://api.demo.test');
  vi.stubEnv('MAKEGOOD_MAIL_FROM', 'makegood@demo.test');
  // The 500 path logs the error on purpose; keep the test output quiet.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
  vi.resetModules();
  return () => {
    vi.unstubAllEnvs();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** An API Gateway HTTP API (payload format 2.0) event. */
export function httpEvent(args: {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  pathParameters?: Record<string, string>;
  requestId?: string;
}): APIGatewayProxyEventV2 {
  const body = args.body ?? '';
  return {
    version: '2.0',
    routeKey: `${args.method} ${args.path}`,
    rawPath: args.path,
    rawQueryString: args.query ?? '',
    headers: { host: 'api.demo.test', 'user-agent': 'vitest', ...args.headers },
    ...(args.pathParameters ? { pathParameters: args.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.demo.test',
      domainPrefix: 'api',
      http: { method: args.method, path: args.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest' },
      requestId: args.requestId ?? 'req-1',
      routeKey: `${args.method} ${args.path}`,
      stage: '$default',
      time: NOW.toUTCString(),
      timeEpoch: NOW.getTime(),
    },
    // As API Gateway may deliver it: base64 of the raw bytes.
    ...(body === '' ? {} : { body: Buffer.from(body, 'utf8').toString('base64'), isBase64Encoded: true }),
  } as APIGatewayProxyEventV2;
}

/** A storefront-signed event; `t`, `secret` and `storefront` can be overridden to break it. */
export function signedEvent(args: {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  storefront?: string;
  secret?: string;
  t?: number;
  requestId?: string;
}): APIGatewayProxyEventV2 {
  const body = args.body ?? '';
  const t = args.t ?? nowSeconds();
  return httpEvent({
    method: args.method,
    path: args.path,
    body,
    ...(args.pathParameters ? { pathParameters: args.pathParameters } : {}),
    ...(args.requestId ? { requestId: args.requestId } : {}),
    headers: {
      'X-Makegood-Storefront': args.storefront ?? 'demo',
      'X-Makegood-Signature': signatureHeader(args.secret ?? DEMO_SECRET, t, args.method, args.path, body),
      ...args.headers,
    },
  });
}

/** The claim of DESIGN.md's example, valid at {@link NOW}. */
export function demoClaim(): ClaimRequest {
  return {
    order: {
      id: 'ORD-1001',
      placedAt: '2026-11-01T10:00:00Z',
      deliveredAt: '2026-11-03T10:00:00Z',
      currency: 'EUR',
      paid: 12999,
      shipping: 499,
      items: [{ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 }],
    },
    customer: { id: 'C-42', email: 'ann@example.com', name: 'Ann', locale: 'uk' },
    complaint: {
      reason: 'damaged',
      items: [{ sku: 'CHOC-BOX', quantity: 1 }],
      desiredOutcome: 'refund',
      message: 'The box arrived crushed.',
      channel: 'web',
      evidence: ['https://shop.example/uploads/123.jpg'],
    },
  };
}

/** The demo policy document. */
export const demoPolicyDocument: unknown = JSON.parse(readFileSync(new URL('../../../policies/demo.json', import.meta.url), 'utf8'));

/** The state-table item of a published policy version, as DynamoState writes it. */
export function policyItem(version = 1, storefrontId = 'demo'): Record<string, unknown> {
  return {
    pk: `POLICY#${storefrontId}`,
    sk: `V#${String(version).padStart(8, '0')}`,
    version,
    document: JSON.stringify(demoPolicyDocument),
    publishedAt: '2026-11-01T00:00:00.000Z',
  };
}

/** A claim's identity fields for the ledger. */
export function claimRef(claimId: string, storefrontId = 'demo'): ClaimRef {
  return { claimId, storefrontId, orderId: 'ORD-1001', customerId: 'C-42', currency: 'EUR' };
}

/** The `received` draft the intake writes, for the claim of {@link demoClaim}. */
export function receivedDraft(storefrontId = 'demo'): EntryDraft {
  return {
    type: 'received',
    step: 'received',
    status: 'received',
    actor: { kind: 'storefront', id: storefrontId },
    policyVersion: null,
    data: { claim: { ...demoClaim(), complaint: { ...demoClaim().complaint } }, idempotencyKey: 'key-0' },
  };
}

/** A `decided` draft carrying `decision`. */
export function decidedDraft(decision: StoredDecision): EntryDraft {
  return {
    type: 'decided',
    step: 'decided#1',
    status: 'assessing',
    actor: { kind: 'system' },
    policyVersion: decision.policyVersion,
    data: { decision: JSON.parse(JSON.stringify(decision)) },
  };
}

/** A decision for the demo claim: `cash` euro-cents, approved at `tier`. */
export function decision(cash: number, tier: StoredDecision['tier']): StoredDecision {
  return {
    outcome: 'refund_without_return',
    cash: { amount: cash, currency: 'EUR' },
    storeCredit: { amount: 0, currency: 'EUR' },
    goodwill: { amount: 0, currency: 'EUR' },
    returnRequired: false,
    tier,
    policyVersion: 1,
    rules: [{ id: 'perishable', text: 'Food is not sent back' }],
    units: [{ sku: 'CHOC-BOX', quantity: 1 }],
  };
}

/** Chains drafts into entries exactly as DynamoLedger.append would. */
export function chainOf(ref: ClaimRef, drafts: EntryDraft[], at = new Date('2026-11-09T08:00:00.000Z')): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const d of drafts) out.push(chainEntry(ref, out.at(-1), d, at));
  return out;
}

/** Ledger items as DynamoLedger writes them. */
export const itemsOf = (entries: LedgerEntry[]) => entries.map(entryItem);

/** The error DynamoDB answers a refused condition with. */
export function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}
