/**
 * What a claim costs on AWS, counted on the embedded stack and priced with bench/prices.json.
 *
 *   npm run bench:cost [-- --claims 10 --mix auto=70,return=10,approval=20 --json FILE]
 *
 * Files `--claims` claims of each kind (bench/claims.ts) one at a time, as the shop and its agent
 * would play them, and counts for each: the state transitions the engine ran, the Lambda
 * invocations and their billed milliseconds, DynamoDB request units by AWS's item-size rules
 * (bench/capacity.ts), emails sent, HTTP API requests, and webhook deliveries (the dispatcher is
 * woken by hand after each claim). Then it prices the mix three ways with the same sheet: makegood
 * as counted, the classic design, and the floor (both modelled; see `designs`).
 *
 * Durations are this machine's against the emulators, not Lambda's against DynamoDB: a proxy for
 * the duration line, which is a small part of the total. Prints figures; asserts nothing.
 */
// First, before anything loads the X-Ray SDK: as under npm start, its async hook stays off (local/tracing-off.ts).
import '#local/tracing-off.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FUNCTION_MEMORY_MB, functionSpecs } from '#handlers/registry.ts';
import { startDynamo } from '#local/emulators.ts';
import { type RunningStack, repoRoot, startStack } from '#local/stack.ts';
import { startCapacityMeter } from './capacity.ts';
import { type ClaimKind, playClaim } from './claims.ts';
import { describeMachine, formatSummary, machine, type Summary, summary, wholeArg, writeJson } from './stats.ts';

// The SDK warns once per process that it will need Node 22 from 2027; a benchmark knows.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { values } = parseArgs({
  options: {
    claims: { type: 'string', default: '10' },
    mix: { type: 'string', default: 'auto=70,return=10,approval=20' },
    json: { type: 'string' },
  },
});
const perKind = wholeArg('claims', values.claims);
const KINDS: readonly ClaimKind[] = ['auto', 'return', 'approval'];

/** `auto=70,return=10,approval=20` → shares that sum to 1. */
function parseMix(text: string): Record<ClaimKind, number> {
  const mix: Record<ClaimKind, number> = { auto: 0, return: 0, approval: 0 };
  for (const part of text.split(',')) {
    const [kind, share] = part.split('=');
    if (!KINDS.includes(kind as ClaimKind) || !/^\d+(\.\d+)?$/.test(share ?? ''))
      throw new Error(`--mix: "${part}" is not <kind>=<percent> with kind one of ${KINDS.join(', ')}`);
    mix[kind as ClaimKind] = Number(share);
  }
  const total = KINDS.reduce((s, k) => s + mix[k], 0);
  if (Math.abs(total - 100) > 1e-9) throw new Error(`--mix: the shares add up to ${total}, not 100`);
  for (const k of KINDS) mix[k] /= 100;
  return mix;
}
const mix = parseMix(values.mix);

interface Prices {
  readonly prices: Record<
    | 'stepFunctionsStandardTransition'
    | 'lambdaArmRequest'
    | 'lambdaArmGbSecond'
    | 'dynamodbWriteRequestUnit'
    | 'dynamodbReadRequestUnit'
    | 'sesEmail'
    | 'httpApiRequest',
    { readonly usd: number; readonly source: string }
  >;
}
const sheet = JSON.parse(await readFile(join(repoRoot, 'bench/prices.json'), 'utf8')) as Prices;
const price = (k: keyof Prices['prices']) => sheet.prices[k].usd;

/** What one claim used: the lines of the bill. */
interface Usage {
  transitions: number;
  lambdaRequests: number;
  gbSeconds: number;
  writeUnits: number;
  readUnits: number;
  emails: number;
  apiRequests: number;
  webhooks: number;
  dynamodbCalls: number;
}
/** A measured claim's usage, with its write units by table and item kind (the partition key's prefix). */
type Measured = Usage & { readonly writeUnitsByKind: Record<string, number> };
const LINES: readonly (keyof Usage)[] = [
  'transitions',
  'lambdaRequests',
  'gbSeconds',
  'writeUnits',
  'readUnits',
  'emails',
  'apiRequests',
  'webhooks',
  'dynamodbCalls',
];

/** Dollars for one claim's usage. */
function dollars(u: Usage): Record<string, number> {
  return {
    'Step Functions': u.transitions * price('stepFunctionsStandardTransition'),
    'Lambda requests': u.lambdaRequests * price('lambdaArmRequest'),
    'Lambda duration': u.gbSeconds * price('lambdaArmGbSecond'),
    'DynamoDB writes': u.writeUnits * price('dynamodbWriteRequestUnit'),
    'DynamoDB reads': u.readUnits * price('dynamodbReadRequestUnit'),
    'SES emails': u.emails * price('sesEmail'),
    'HTTP API requests': u.apiRequests * price('httpApiRequest'),
  };
}
const total = (u: Usage) => Object.values(dollars(u)).reduce((s, x) => s + x, 0);

/**
 * The two designs priced beside makegood, per kind of claim. Not measured: counted from what
 * each design does, with every item under 1 KB (one unit a write, one a read).
 *
 * The classic design is AWS's human-approval sample pattern grown to this product: a Lambda for
 * each step (validate, persist, decide, check limits, notify, record the payout), a Choice after
 * the decision, a state that waits on the approval's task token, and a status write per step.
 * The issue gives it 6–10 transitions and 4–6 writes; auto claims take the low end, claims with a
 * return or a person the high end. Emails, API requests and webhooks are those the product needs
 * either way (taken from the floor), so the difference is the workflow's own.
 *
 * The floor is the fewest a Standard workflow needs for the same promises: a durable intake write,
 * one write per fact the ledger must hold (decided, approved, goods back, settled) and one for the
 * order's running total that bounds refunds under concurrency; one state for the work and one per
 * wait for a person or for goods; the emails a customer must get (the outcome; for a return, the
 * instructions first; for a person, the acknowledgement and the approver's request); and the API
 * calls of the shop (the claim, each report, the action's result) and the agent's page and answer.
 */
const designs: Record<'classic' | 'floor', Record<ClaimKind, Omit<Usage, 'gbSeconds' | 'dynamodbCalls'>>> = {
  floor: {
    auto: { transitions: 1, lambdaRequests: 3, writeUnits: 3, readUnits: 1, emails: 1, apiRequests: 2, webhooks: 2 },
    return: { transitions: 2, lambdaRequests: 5, writeUnits: 4, readUnits: 2, emails: 2, apiRequests: 3, webhooks: 4 },
    approval: { transitions: 4, lambdaRequests: 8, writeUnits: 6, readUnits: 3, emails: 4, apiRequests: 5, webhooks: 6 },
  },
  classic: {
    auto: { transitions: 6, lambdaRequests: 6, writeUnits: 4, readUnits: 4, emails: 1, apiRequests: 2, webhooks: 2 },
    return: { transitions: 8, lambdaRequests: 8, writeUnits: 5, readUnits: 5, emails: 2, apiRequests: 3, webhooks: 4 },
    approval: { transitions: 10, lambdaRequests: 10, writeUnits: 6, readUnits: 6, emails: 4, apiRequests: 5, webhooks: 6 },
  },
};

// ---------------------------------------------------------------------------------- the stack

const received: string[] = [];
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received.push(String(req.headers['webhook-id']));
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
const SECRET = 'bench-secret';
const dataDir = await mkdtemp(join(tmpdir(), 'makegood-bench-cost-'));
const dynamo = await startDynamo(join(dataDir, 'dynalite'), 0);
const meter = await startCapacityMeter(dynamo.url);
const stack: RunningStack = await startStack({
  dataDir,
  apiPort: 0,
  mailPort: 0,
  demoSecret: SECRET,
  dynamodbEndpoint: meter.url,
  demoWebhook: { url: webhookUrl, secret: `whsec_${Buffer.from('bench-webhook-secret-32-bytes!!!').toString('base64')}` },
  wakeFunctions: false,
  log: () => {},
});
const httpFunctions = new Set(functionSpecs.filter((s) => (s.routes ?? []).length > 0).map((s) => s.id));
const mailCount = async () => ((await (await fetch(`${stack.mailUrl}/store`)).json()) as { emails: unknown[] }).emails.length;
const sum = (r: Readonly<Record<string, number>>, keep: (id: string) => boolean = () => true) =>
  Object.entries(r).reduce((s, [id, n]) => s + (keep(id) ? n : 0), 0);

/** Plays one claim and its webhook deliveries; what it used. */
async function measure(kind: ClaimKind): Promise<Measured> {
  const before = { stats: await stack.stats(), capacity: meter.counts(), mails: await mailCount(), hooks: received.length };
  const { claimId } = await playClaim(stack, SECRET, kind);
  await stack.invoke('DispatchWebhooks', { storefronts: ['demo'] });
  const after = { stats: await stack.stats(), capacity: meter.counts(), mails: await mailCount(), hooks: received.length };
  const delta = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
  const invocations = delta(after.stats.invocations, before.stats.invocations);
  const billedMs = delta(after.stats.billedMs, before.stats.billedMs);
  return {
    transitions: stack.engine.transitions(claimId),
    lambdaRequests: sum(invocations),
    gbSeconds: (sum(billedMs) / 1000) * (FUNCTION_MEMORY_MB / 1024),
    writeUnits: after.capacity.writeUnits - before.capacity.writeUnits,
    readUnits: after.capacity.readUnits - before.capacity.readUnits,
    emails: after.mails - before.mails,
    apiRequests: sum(invocations, (id) => httpFunctions.has(id)),
    webhooks: after.hooks - before.hooks,
    dynamodbCalls: sum(delta(after.capacity.calls, before.capacity.calls)),
    writeUnitsByKind: Object.fromEntries(
      Object.entries(delta(after.capacity.writeUnitsByKind, before.capacity.writeUnitsByKind)).filter(([, n]) => n > 0),
    ),
  };
}

const measured: Record<ClaimKind, Measured[]> = { auto: [], return: [], approval: [] };
try {
  for (const kind of KINDS) await measure(kind); // warm-up: JIT, table files, the first secrets read
  for (let i = 0; i < perKind; i++) for (const kind of KINDS) measured[kind].push(await measure(kind));
} finally {
  await stack.close();
  await meter.close();
  await dynamo.close();
  receiver.close();
  await rm(dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------- the bill

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const meanUsage = (us: readonly Usage[]): Usage => Object.fromEntries(LINES.map((l) => [l, mean(us.map((u) => u[l]))])) as unknown as Usage;
/** Mean write units by table and item kind. */
function byKindMean(us: readonly Measured[]): Record<string, number> {
  const kinds = new Set(us.flatMap((u) => Object.keys(u.writeUnitsByKind)));
  return Object.fromEntries([...kinds].sort().map((k) => [k, mean(us.map((u) => u.writeUnitsByKind[k] ?? 0))]));
}
const perKindSummary = Object.fromEntries(
  KINDS.map((k) => [k, Object.fromEntries(LINES.map((l) => [l, summary(measured[k].map((u) => u[l]))]))]),
) as Record<ClaimKind, Record<keyof Usage, Summary>>;
const makegood = Object.fromEntries(KINDS.map((k) => [k, meanUsage(measured[k])])) as Record<ClaimKind, Usage>;
/** The floor and the classic design take makegood's measured mean GB-s per invocation. */
const gbSecondsPerInvocation = mean(KINDS.flatMap((k) => measured[k].map((u) => u.gbSeconds / u.lambdaRequests)));
const modelled = (d: 'classic' | 'floor'): Record<ClaimKind, Usage> =>
  Object.fromEntries(
    KINDS.map((k) => [k, { ...designs[d][k], gbSeconds: designs[d][k].lambdaRequests * gbSecondsPerInvocation, dynamodbCalls: 0 }]),
  ) as Record<ClaimKind, Usage>;
const all = { makegood, classic: modelled('classic'), floor: modelled('floor') };
const mixed = (byKind: Record<ClaimKind, Usage>): Usage =>
  Object.fromEntries(LINES.map((l) => [l, KINDS.reduce((s, k) => s + mix[k] * byKind[k][l], 0)])) as unknown as Usage;
const perMillion = (u: Usage) => Object.fromEntries(Object.entries(dollars(u)).map(([line, usd]) => [line, usd * 1e6]));

const designNames = ['makegood', 'classic', 'floor'] as const;
/** Each design's bill for the mix, priced once: per claim by kind, the mix, per 1M claims by line, and the total. */
const bills = Object.fromEntries(
  designNames.map((name) => {
    const m = mixed(all[name]);
    return [name, { perClaim: all[name], mix: m, perMillionClaims: perMillion(m), totalPerMillionClaims: total(m) * 1e6 }];
  }),
) as Record<
  (typeof designNames)[number],
  { perClaim: Record<ClaimKind, Usage>; mix: Usage; perMillionClaims: Record<string, number>; totalPerMillionClaims: number }
>;
const writeUnitsByKind = Object.fromEntries(KINDS.map((k) => [k, byKindMean(measured[k])])) as Record<ClaimKind, Record<string, number>>;

const result = {
  machine: machine(),
  command: `npm run bench:cost -- --claims ${perKind} --mix ${values.mix}`,
  claimsPerKind: perKind,
  mix,
  memoryMb: FUNCTION_MEMORY_MB,
  perKind: perKindSummary,
  writeUnitsByKind,
  designs: bills,
};

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`Per claim, makegood as counted (${perKind} of each kind, median (min–max)), ${describeMachine()}`);
console.log(`  ${pad('', 16)}${KINDS.map((k) => pad(k, 26)).join('')}`);
for (const l of LINES)
  console.log(`  ${pad(l, 16)}${KINDS.map((k) => pad(formatSummary(perKindSummary[k][l], l === 'gbSeconds' ? 4 : 1), 26)).join('')}`);
console.log('  write units by table and item kind, mean:');
for (const k of KINDS)
  console.log(
    `    ${pad(k, 10)}${Object.entries(writeUnitsByKind[k])
      .map(([item, n]) => `${item} ${n.toFixed(1)}`)
      .join(', ')}`,
  );
console.log(
  `\nPer 1M claims, mix ${KINDS.map((k) => `${k} ${Math.round(mix[k] * 100)} %`).join(', ')}, at ${FUNCTION_MEMORY_MB} MB, us-east-1:`,
);
console.log(`  ${pad('', 20)}${designNames.map((n) => pad(n, 14)).join('')}`);
for (const line of Object.keys(dollars(makegood.auto)))
  console.log(`  ${pad(line, 20)}${designNames.map((n) => pad(`$${(bills[n].perMillionClaims[line] ?? 0).toFixed(2)}`, 14)).join('')}`);
console.log(`  ${pad('total', 20)}${designNames.map((n) => pad(`$${bills[n].totalPerMillionClaims.toFixed(2)}`, 14)).join('')}`);
console.log(`\nmakegood: $${bills.makegood.totalPerMillionClaims.toFixed(0)} per 1M claims`);
await writeJson(values.json, result);
