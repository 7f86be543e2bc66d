import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type ExecutionRecord } from '#local/stepfunctions/checkpoint-store.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'makegood-checkpoints-'));
  dirs.push(dir);
  return dir;
}

function record(name: string, transitions: number): ExecutionRecord {
  return {
    version: 1,
    name,
    executionArn: `arn:aws:states:eu-west-1:000000000000:execution:makegood-local:${name}`,
    stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:makegood-local',
    input: '{"claimId":"c-1"}',
    status: 'RUNNING',
    startDate: '2025-01-01T00:00:00.000Z',
    checkpoint: { state: 'Assess', input: { claimId: 'c-1' }, enteredAt: '2025-01-01T00:00:00.000Z' },
    transitions,
    waiting: [],
  };
}

/** What this proves: a record on disk is only ever a whole, committed version. */
describe('CheckpointStore', () => {
  it('loads only committed records, and deletes torn and stale temporary files unread', async () => {
    // arrange: claim-1 committed at 1 transition; a crash tore a later write of it and left a
    // whole, never-renamed one (7 transitions); a start of claim-2 never got past its temporary file
    const dir = await tempDir();
    await new CheckpointStore(dir).save(record('claim-1', 1));
    const newer = JSON.stringify(record('claim-1', 7));
    await writeFile(path.join(dir, 'claim-1.json.4242.1.tmp'), newer.slice(0, newer.length / 2));
    await writeFile(path.join(dir, 'claim-1.json.4242.2.tmp'), newer);
    await writeFile(path.join(dir, 'claim-2.json.4242.3.tmp'), JSON.stringify(record('claim-2', 1)));

    // act
    const loaded = new CheckpointStore(dir).load();

    // assert
    expect(loaded).toEqual([record('claim-1', 1)]);
    expect(await readdir(dir)).toEqual(['claim-1.json']);
  });

  it('resolves a save only once the newest state is renamed into place, coalescing saves in between', async () => {
    // arrange
    const dir = await tempDir();
    const store = new CheckpointStore(dir);
    const rec = record('claim-3', 1);

    // act: three changes while the first write runs
    const first = store.save(rec);
    rec.transitions = 2;
    const second = store.save(rec);
    rec.transitions = 3;
    rec.checkpoint = { state: 'Route', input: { next: 'conclude' }, enteredAt: '2025-01-01T00:00:01.000Z' };
    const third = store.save(rec);
    const pendingWhileWriting = store.isWriting('claim-3');
    const results = await Promise.all([first, second, third]);
    const onDisk = JSON.parse(await readFile(path.join(dir, 'claim-3.json'), 'utf8')) as ExecutionRecord;

    // assert
    expect(results).toEqual([true, true, true]);
    expect(pendingWhileWriting).toBe(true);
    expect(store.isWriting('claim-3')).toBe(false);
    expect(onDisk).toEqual(rec);
    expect(await readdir(dir)).toEqual(['claim-3.json']);
  });

  it('skips a record file that does not parse, naming it, and loads the others', async () => {
    // arrange
    const dir = await tempDir();
    await new CheckpointStore(dir).save(record('claim-4', 2));
    await writeFile(path.join(dir, 'claim-5.json'), '{"version":1,"name":"claim-5"');
    const lines: string[] = [];

    // act
    const loaded = new CheckpointStore(dir, { log: (line) => lines.push(line) }).load();

    // assert
    expect(loaded.map((r) => r.name)).toEqual(['claim-4']);
    expect(lines).toEqual([expect.stringContaining('skipped unreadable') as string]);
    expect(lines[0]).toContain('claim-5.json');
  });

  it('answers false, logs, and leaves no temporary file when a write cannot be committed', async () => {
    // arrange: a directory where the record should go, so the rename fails
    const dir = await tempDir();
    await mkdir(path.join(dir, 'claim-6.json'));
    const lines: string[] = [];
    const store = new CheckpointStore(dir, { log: (line) => lines.push(line) });

    // act
    const ok = await store.save(record('claim-6', 1));

    // assert
    expect(ok).toBe(false);
    expect(lines).toEqual([expect.stringContaining('could not write') as string]);
    expect(await readdir(dir)).toEqual(['claim-6.json']);
  });
});
