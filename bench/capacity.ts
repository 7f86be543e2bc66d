/**
 * A DynamoDB capacity meter for benchmarks: an HTTP proxy in front of dynalite that counts the read
 * and write request units each call would consume on DynamoDB on demand, by AWS's item-size rules.
 *
 * - Reads: the proxy asks for `ReturnConsumedCapacity: TOTAL` and takes dynalite's figure (4 KB a
 *   unit, strongly consistent 1, eventually consistent 0.5; a Query sums its items' sizes first).
 *   The figure is taken out of the answer again unless the caller asked for it.
 * - Writes: dynalite prices only the table, so the proxy reads the item before and after the write
 *   and prices it itself: 1 unit per KB of the larger version on the table, and on each global
 *   secondary index the item is in, 1 unit per KB of what the index projects, twice when the write
 *   moves the item to another index key (a delete and a put), nothing when the projection is
 *   unchanged. A write whose condition fails still costs the table its units.
 *
 * Reading around each write is only sound when no other writer touches the same item in between,
 * so the cost benchmark files its claims one at a time.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, type TableDescription } from '@aws-sdk/client-dynamodb';
import db from 'dynalite/db/index.js';
import { sdkLogger } from '#adapters/deps.ts';

type Item = Record<string, AttributeValue>;

/** What the meter counted: request units and calls, by operation. */
export interface CapacityCounts {
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly calls: Readonly<Record<string, number>>;
  /** Write units by table and the item's kind (its partition key's prefix, up to the first `#`). */
  readonly writeUnitsByKind: Readonly<Record<string, number>>;
}

/** AWS's item size: attribute names plus values (dynalite implements the rules). */
const sizeOf = (item: Item | undefined): number => (item ? (db.itemSize(item) as number) : 0);
const kbUnits = (bytes: number): number => Math.ceil(bytes / 1024);

interface TableShape {
  readonly key: readonly string[];
  readonly indexes: readonly { readonly key: readonly string[]; readonly project: (item: Item) => Item }[];
}

function shapeOf(t: TableDescription): TableShape {
  const key = (t.KeySchema ?? []).map((k) => k.AttributeName as string);
  const indexes = (t.GlobalSecondaryIndexes ?? []).map((g) => {
    const indexKey = (g.KeySchema ?? []).map((k) => k.AttributeName as string);
    const type = g.Projection?.ProjectionType ?? 'ALL';
    const kept = new Set([...key, ...indexKey, ...(type === 'INCLUDE' ? (g.Projection?.NonKeyAttributes ?? []) : [])]);
    const project = (item: Item): Item =>
      type === 'ALL' ? item : Object.fromEntries(Object.entries(item).filter(([name]) => kept.has(name)));
    return { key: indexKey, project };
  });
  return { key, indexes };
}

/** The write units one item write costs: the table, and every index it is or was in. */
export function writeUnits(shape: TableShape, before: Item | undefined, after: Item | undefined, conditionFailed: boolean): number {
  const table = Math.max(1, kbUnits(Math.max(sizeOf(before), conditionFailed ? 0 : sizeOf(after))));
  if (conditionFailed) return table;
  let indexes = 0;
  for (const index of shape.indexes) {
    const inIndex = (item: Item | undefined) => item !== undefined && index.key.every((k) => item[k] !== undefined);
    const was = inIndex(before) ? index.project(before as Item) : undefined;
    const is = inIndex(after) ? index.project(after as Item) : undefined;
    const keyOf = (item: Item) => JSON.stringify(index.key.map((k) => item[k]));
    if (was && is && keyOf(was) === keyOf(is)) {
      if (JSON.stringify(was) !== JSON.stringify(is)) indexes += kbUnits(Math.max(sizeOf(was), sizeOf(is)));
    } else {
      if (was) indexes += kbUnits(sizeOf(was));
      if (is) indexes += kbUnits(sizeOf(is));
    }
  }
  return table + indexes;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

/** Starts the meter in front of `target` (dynalite's URL); the stack is pointed at `url`. */
export async function startCapacityMeter(target: string): Promise<{ url: string; counts(): CapacityCounts; close(): Promise<void> }> {
  const direct = new DynamoDBClient({
    endpoint: target,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'meter', secretAccessKey: 'meter' },
    logger: sdkLogger,
  });
  const shapes = new Map<string, Promise<TableShape>>();
  const shape = (table: string) => {
    let s = shapes.get(table);
    if (!s) {
      s = direct.send(new DescribeTableCommand({ TableName: table })).then((d) => shapeOf(d.Table as TableDescription));
      shapes.set(table, s);
    }
    return s;
  };
  const read = async (table: string, key: Item) =>
    (await direct.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  let readUnits = 0;
  let writes = 0;
  const calls: Record<string, number> = {};
  const byKind: Record<string, number> = {};

  const forward = (headers: Record<string, string | string[] | undefined>, body: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const url = new URL(target);
      const out = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const op = target.slice(target.indexOf('.') + 1);
        calls[op] = (calls[op] ?? 0) + 1;
        const raw = Buffer.concat(chunks).toString('utf8');
        const input = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
        const table = String(input.TableName ?? '');
        const asked = input.ReturnConsumedCapacity;
        let body = raw;
        let before: Item | undefined;
        let key: Item | undefined;
        if (READS.has(op) && asked === undefined) body = JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' });
        if (WRITES.has(op)) {
          const s = await shape(table);
          const source = (op === 'PutItem' ? input.Item : input.Key) as Item;
          key = Object.fromEntries(s.key.map((k) => [k, source[k] as AttributeValue]));
          before = await read(table, key);
        }
        const answer = await forward(req.headers, body);
        let text = answer.body;
        if (READS.has(op) && answer.status === 200) {
          const out = JSON.parse(text) as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] };
          const consumed = Array.isArray(out.ConsumedCapacity) ? out.ConsumedCapacity : out.ConsumedCapacity ? [out.ConsumedCapacity] : [];
          for (const c of consumed) readUnits += c.CapacityUnits ?? 0;
          if (asked === undefined) {
            delete out.ConsumedCapacity;
            text = JSON.stringify(out);
          }
        }
        if (WRITES.has(op) && key) {
          // DynamoDB names the error in `__type` (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`).
          const failed =
            answer.status === 400 && String((JSON.parse(text) as { __type?: unknown }).__type).endsWith('#ConditionalCheckFailedException');
          if (answer.status === 200 || failed) {
            const s = await shape(table);
            const units = writeUnits(s, before, failed ? before : await read(table, key), failed);
            const pk = key[s.key[0] as string]?.S ?? '?';
            const kind = `${table}:${pk.split('#')[0]}`;
            byKind[kind] = (byKind[kind] ?? 0) + units;
            writes += units;
          }
        }
        const headers = { ...answer.headers };
        delete headers['content-length'];
        delete headers['x-amz-crc32']; // the body may have changed; the SDK v3 does not check it
        res.writeHead(answer.status, { ...headers, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      })().catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazon.coral.service#InternalFailure', message: `capacity meter: ${String(err)}` }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ readUnits, writeUnits: writes, calls: { ...calls }, writeUnitsByKind: { ...byKind } }),
    close: async () => {
      direct.destroy();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
