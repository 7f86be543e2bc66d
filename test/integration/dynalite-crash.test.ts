import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynamo } from '#local/emulators.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const writer = join(import.meta.dirname, 'fixtures/dynalite-writer.ts');

/** Runs the writer on `dir` and kills it with SIGKILL `afterMs` after it is writing. */
async function writeAndKill(dir: string, atomic: boolean, afterMs: number): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', writer, dir], {
    env: { ...process.env, MAKEGOOD_ATOMIC: atomic ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the writer exited with ${code} before it was ready`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  await new Promise((r) => setTimeout(r, afterMs));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Index rows that are not exactly what their item implies, read through the DynamoDB API. */
async function inconsistencies(url: string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint: url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const items = new Map<string, string>();
  for await (const page of paginateScan({ client }, { TableName: 'crash' }))
    for (const i of page.Items ?? []) items.set(i.pk?.S ?? '', i.g?.S ?? '');
  const rows = new Map<string, number>();
  const problems: string[] = [];
  for await (const page of paginateScan({ client }, { TableName: 'crash', IndexName: 'byG' })) {
    for (const r of page.Items ?? []) {
      const pk = r.pk?.S ?? '';
      rows.set(pk, (rows.get(pk) ?? 0) + 1);
      if (items.get(pk) !== r.g?.S) problems.push(`index row ${pk}/${r.g?.S} but the item has ${items.get(pk) ?? 'gone'}`);
    }
  }
  for (const [pk, count] of rows) if (count > 1) problems.push(`${pk} is listed ${count} times`);
  for (const pk of items.keys()) if (!rows.has(pk)) problems.push(`${pk} is missing from the index`);
  client.destroy();
  return problems;
}

/** Kills a writer `kills` times on one directory, then opens it with startDynamo and lists what is inconsistent. */
async function crashRun(atomic: boolean, kills: number) {
  const dir = await mkdtemp(join(tmpdir(), 'makegood-dynalite-crash-'));
  dirs.push(dir);
  for (let k = 0; k < kills; k++) await writeAndKill(dir, atomic, 150 + ((k * 37) % 200));
  const dynamo = await startDynamo(dir, 0);
  try {
    if (!dynamo.repair) throw new Error('the first start under atomic writes must check the indexes');
    return { repair: dynamo.repair, after: await inconsistencies(dynamo.url) };
  } finally {
    await dynamo.close();
  }
}

describe('dynalite under kill -9', () => {
  it('with atomic writes, leaves every index row matching its item, with nothing to repair', async () => {
    // arrange, act: 6 kills in the middle of 16 concurrent writers changing index keys
    const run = await crashRun(true, 6);

    // assert
    expect(run.repair.items + run.repair.indexRows).toBeGreaterThan(0);
    expect(run.repair).toMatchObject({ orphans: 0, rewritten: 0 });
    expect(run.after).toEqual([]);
  }, 120_000);

  it("without them (dynalite's own writes), leaves broken index rows, which the boot-time repair mends", async () => {
    // arrange, act: the same kills against dynalite's own write path
    const run = await crashRun(false, 6);

    console.log(`dynalite's own writes, 6 kills: ${JSON.stringify(run.repair)}`);

    // assert: the defect is real (so the test above can fail), and repair leaves nothing behind
    expect(run.repair.orphans + run.repair.rewritten).toBeGreaterThan(0);
    expect(run.after).toEqual([]);
  }, 120_000);
});
