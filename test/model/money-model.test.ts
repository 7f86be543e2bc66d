import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '#adapters/dynamo-ledger.ts';
import { DynamoState } from '#adapters/dynamo-state.ts';
import type { Policy } from '#domain/policy.ts';
import { repoRoot } from '#local/stack.ts';
import { bootStack } from '../integration/harness.ts';
import { writeModelPolicy } from './policy.ts';
import { describeFailure, runScenarios } from './runner.ts';
import { type Scenario, scenarioArb } from './scenario.ts';

/**
 * The money model: random orders with 2–6 claims each, posted at once against one embedded
 * stack, with replays, return reports and ~10 % of workflow task answers lost after the work ran
 * (so the ASL retries the step). After each scenario comes to rest, the money rules of DESIGN.md
 * are checked on the ledger and the stored totals (see checks.ts).
 *
 * - `MAKEGOOD_MODEL_SEEDS` scenarios (default 1000); `MAKEGOOD_MODEL_SEEDS=20` smoke-runs it.
 * - `MAKEGOOD_MODEL_SEED` the fast-check seed (default {@link DEFAULT_SEED}): the same seed
 *   gives the same scenarios (the interleaving of concurrent claims and the lost answers vary).
 * - `MAKEGOOD_MODEL_ONLY=12,40` runs only those scenarios of the seed, to replay a failure.
 * - `MAKEGOOD_MODEL_CONCURRENCY` scenarios in flight at once (default 6).
 * - `MAKEGOOD_MODEL_REPORTS=careful` sends return reports only once the ledger shows the claim
 *   waiting for goods again, instead of as soon as the status says `awaiting_return` (`eager`,
 *   the default, as a storefront polling the status would): it tells a race of the report with
 *   the workflow apart from other failures.
 * Failures are printed with the scenario's index and JSON, and written to
 * `test-artifacts/money-model-failures.json`.
 */
const DEFAULT_SEED = 20_261_103;
const SEEDS = Number(process.env.MAKEGOOD_MODEL_SEEDS ?? 1000);
const SEED = Number(process.env.MAKEGOOD_MODEL_SEED ?? DEFAULT_SEED);
const CONCURRENCY = Number(process.env.MAKEGOOD_MODEL_CONCURRENCY ?? 6);
const ONLY = (process.env.MAKEGOOD_MODEL_ONLY ?? '')
  .split(',')
  .filter((s) => s.trim() !== '')
  .map(Number);
const REPORTS = process.env.MAKEGOOD_MODEL_REPORTS === 'careful' ? 'careful' : 'eager';
/** The share of workflow task answers lost after the task ran. */
const LOSS_RATE = 0.1;

/** A small seeded PRNG (mulberry32): the lost answers follow the seed, not Math.random. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack | undefined;
let policyDir: string | undefined;
let policy: Policy;
let lostAnswers = 0;

beforeAll(async () => {
  policyDir = await mkdtemp(join(tmpdir(), 'makegood-model-'));
  const written = await writeModelPolicy(policyDir);
  policy = written.policy;
  const rng = mulberry32(SEED ^ 0x5eed);
  stack = await bootStack({
    demoPolicyFile: written.file,
    loseTaskAnswer: () => {
      const lost = rng() < LOSS_RATE;
      if (lost) lostAnswers += 1;
      return lost;
    },
  });
});

afterAll(async () => {
  await stack?.cleanup();
  if (policyDir) await rm(policyDir, { recursive: true, force: true });
});

/** The adapters the checks read with, on the stack's tables. */
function adapters(s: Stack) {
  const client = new DynamoDBClient({
    endpoint: s.env.MAKEGOOD_DYNAMODB_ENDPOINT,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    ledger: new DynamoLedger(db, s.env.MAKEGOOD_LEDGER_TABLE ?? 'makegood-ledger', { now: () => new Date() }),
    state: new DynamoState(db, s.env.MAKEGOOD_STATE_TABLE ?? 'makegood-state'),
  };
}

/** The scenarios of this run, with their index in the seed's sequence. */
function scenariosOfRun(): { scenarios: Scenario[]; indices: number[] } {
  if (ONLY.length > 0) {
    const all = fc.sample(scenarioArb, { numRuns: Math.max(...ONLY) + 1, seed: SEED });
    return { scenarios: ONLY.map((i) => all[i] as Scenario), indices: ONLY };
  }
  const scenarios = fc.sample(scenarioArb, { numRuns: SEEDS, seed: SEED });
  return { scenarios, indices: scenarios.map((_, i) => i) };
}

describe('money model', () => {
  it(`keeps the money rules over ${ONLY.length > 0 ? `scenarios ${ONLY.join(', ')}` : `${SEEDS} random scenarios`} (seed ${SEED})`, async () => {
    // arrange
    if (!stack) throw new Error('The stack did not start');
    const { scenarios, indices } = scenariosOfRun();
    const started = Date.now();
    const run = Date.now().toString(36);
    const seconds = () => ((Date.now() - started) / 1000).toFixed(1);

    // act
    const tally = await runScenarios(scenarios, indices, {
      apiUrl: stack.apiUrl,
      deps: { ...adapters(stack), policy },
      // The ASL waits at most 1 + 2 + 4 + 8 s over a step's retries: 20 s without an entry is stuck.
      timing: { pollMs: 40, maxPollMs: 400, stallMs: 20_000, reports: REPORTS },
      execution: (claimId) => {
        const record = stack?.engine.describe(claimId);
        if (!record) return undefined;
        const where = record.checkpoint?.state ?? 'start';
        if (record.status === 'RUNNING') return { ended: false, at: `running in ${where}` };
        return { ended: true, at: `${record.status} after ${where}${record.error ? `: ${record.error} ${record.cause ?? ''}` : ''}` };
      },
      concurrency: CONCURRENCY,
      orderId: (i) => `MDL-${run}-${i}`,
      progress: (done, t) => {
        if (done % 100 === 0 || done === scenarios.length) {
          console.log(
            `[money model] ${done}/${scenarios.length} scenarios, ${t.claims} claims, ${t.failures.length} failing, ${seconds()} s`,
          );
        }
      },
    });

    // assert
    const statuses = Object.entries(tally.byStatus)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    const byCheck = new Map<string, number>();
    for (const f of tally.failures)
      for (const check of new Set(f.violations.map((v) => v.check))) byCheck.set(check, (byCheck.get(check) ?? 0) + 1);
    const failing = [...byCheck].map(([check, n]) => `${check} ${n}`).join(', ');
    console.log(
      `[money model] seed ${SEED}, ${REPORTS} reports: ${tally.scenarios} scenarios, ${tally.claims} claims (${statuses}), ${tally.reports} return reports, ` +
        `${lostAnswers} lost task answers injected, ${tally.failures.length} failing scenarios${failing ? ` (${failing})` : ''}, ${seconds()} s`,
    );
    if (tally.failures.length > 0) {
      const dir = join(repoRoot, 'test-artifacts');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'money-model-failures.json'), JSON.stringify({ seed: SEED, failures: tally.failures }, null, 2));
      console.log(tally.failures.slice(0, 5).map(describeFailure).join('\n\n'));
    }
    expect(tally.failures.map((f) => `#${f.index}: ${f.violations.map((v) => `[${v.check}] ${v.message}`).join('; ')}`)).toEqual([]);
  });
});
