import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ledgerTableSchema } from '#adapters/table-schema.ts';
import type { Random } from './random.ts';
import type { ClaimPlan } from './scenarios.ts';
import type { Endpoints, StackProcess } from './stack-process.ts';

/**
 * When each `kill -9` lands:
 * - `work`: once the clients have started `afterClaims` claims, plus `delayMs`, so the kills
 *   spread over the whole run and hit intakes, workflow steps, approvals and returns alike;
 * - `intake`: from there on, inside the next first POST of a claim whose storefront will not
 *   send it again: `delayMs` (0–25 ms) after its `received` entry shows in the ledger's customer
 *   index, which is the window between that entry and the start of the claim's workflow;
 * - `boot`: `delayMs` after the previous generation was spawned, ready or not, which is when it
 *   repairs its indexes and resumes the executions the last kill cut off.
 */
export type Kill =
  | { readonly mode: 'work' | 'intake'; readonly afterClaims: number; readonly delayMs: number }
  | { readonly mode: 'boot'; readonly delayMs: number };

export function planKills(random: Random, kills: number, claims: number): Kill[] {
  const plan = Array.from({ length: kills }, (): Kill => {
    const mode = random.weighted({ work: 55, intake: 25, boot: 20 });
    if (mode === 'boot') return { mode, delayMs: random.int(1500, 7000) };
    const afterClaims = random.int(1, Math.max(1, claims));
    return { mode, afterClaims, delayMs: mode === 'intake' ? random.int(0, 25) : random.int(0, 2500) };
  });
  // Work and intake kills in the order the clients reach them; a boot kill stays after the kill before it.
  const reached = plan.filter((k) => k.mode !== 'boot').sort((a, b) => a.afterClaims - b.afterClaims);
  return plan.map((k) => (k.mode === 'boot' ? k : (reached.shift() as Kill)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the kills need of the clients. */
export interface KillTargets {
  readonly claimsStarted: () => number;
  readonly done: () => boolean;
  readonly nextAbandonableIntake: () => Promise<ClaimPlan | undefined>;
}

/**
 * Waits until the claim's `received` entry is in the ledger's customer index (polled straight
 * from dynalite), for at most `ms`: the intake has then written its entry and is about to start
 * the workflow.
 */
async function receivedWritten(ep: Endpoints, plan: ClaimPlan, ms: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: ep.dynamodbUrl,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const { partitionKey } = ledgerTableSchema.indexes.byCustomer;
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const out = await client
        .send(
          new QueryCommand({
            TableName: ep.env.MAKEGOOD_LEDGER_TABLE ?? 'makegood-ledger',
            IndexName: 'byCustomer',
            KeyConditionExpression: '#k = :k',
            ExpressionAttributeNames: { '#k': partitionKey },
            ExpressionAttributeValues: { ':k': { S: `demo#${plan.body.customer.id}` } },
            Select: 'COUNT',
          }),
        )
        .catch(() => undefined);
      if ((out?.Count ?? 0) > 0) return;
      await sleep(3);
    }
  } finally {
    client.destroy();
  }
}

/**
 * Carries out the kills against the stack while the clients run: each is a SIGKILL of the
 * stack's process group, followed at once by a new start on the same data directory.
 * Resolves once every kill is done and the last generation answers.
 */
export async function runKills(
  stack: StackProcess,
  kills: readonly Kill[],
  clients: KillTargets,
  log: (line: string) => void,
): Promise<void> {
  let spawnedAt = Date.now();
  for (const [i, kill] of kills.entries()) {
    if (kill.mode === 'boot') {
      await sleep(Math.max(0, spawnedAt + kill.delayMs - Date.now()));
    } else {
      // These land on a running stack, once the clients have got that far.
      await stack.up().catch(() => {});
      while (clients.claimsStarted() < kill.afterClaims && !clients.done()) await sleep(50);
      if (kill.mode === 'intake' && !clients.done()) {
        const plan = await Promise.race([clients.nextAbandonableIntake(), sleep(20_000).then(() => undefined)]);
        const ep = await stack.up().catch(() => undefined);
        if (plan && ep) await receivedWritten(ep, plan, 3000);
      }
      await sleep(kill.delayMs);
    }
    if (stack.startFailure) return;
    await stack.killHard();
    const at = kill.mode === 'boot' ? '' : ` after ${kill.afterClaims} claims`;
    log(`kill ${i + 1}/${kills.length} (${kill.mode}${at} +${kill.delayMs} ms; ${clients.claimsStarted()} claims started)`);
    spawnedAt = Date.now();
    void stack.start();
  }
  await stack.up().catch(() => {});
}
