/**
 * What the ledger benchmarks share: dynalite served from a directory in a child process (as
 * `npm start` runs it, so the benchmark's own process plays the client), and BatchWriteItem
 * fills, which only benchmarks use (the product appends one conditional PutItem at a time).
 *
 *   npx tsx bench/dynalite.ts DIR   # the child: serves DIR and sends its URL to the parent
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkLogger } from '#adapters/deps.ts';
import { startDynamo } from '#local/emulators.ts';

/** Serves dynalite from `dir` in a child process; resolves with its URL once it listens. */
export async function serveDynamo(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), [dir], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
  });
  return { url, child };
}

/** Stops the child started by {@link serveDynamo} and waits for it to exit. */
export async function stopDynamo(child: ChildProcess): Promise<void> {
  child.disconnect();
  await new Promise((r) => child.once('exit', r));
}

/**
 * A document client for the benchmark's dynalite, with retries for a busy emulator, and the
 * product's SDK logger (deps.ts), or with `sdkDefaultLogger` the SDK's own, to measure the difference.
 */
export function benchClients(
  url: string,
  options: { sdkDefaultLogger?: boolean } = {},
): { client: DynamoDBClient; db: DynamoDBDocumentClient } {
  const client = new DynamoDBClient({
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 10,
    ...(options.sdkDefaultLogger ? {} : { logger: sdkLogger }),
  });
  return { client, db: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }) };
}

/** Writes `items` (at most 25) to `table`, again until nothing is left unprocessed. */
export async function batchWrite(db: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]): Promise<void> {
  let pending = items.map((Item) => ({ PutRequest: { Item } }));
  while (pending.length > 0) {
    const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
    pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
  }
}

// Child mode: serve dynalite from a directory and report the URL to the parent.
if (process.send && process.argv[2] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dynamo = await startDynamo(process.argv[2], 0);
  process.send({ url: dynamo.url });
  process.on('disconnect', () => void dynamo.close().then(() => process.exit(0)));
}
