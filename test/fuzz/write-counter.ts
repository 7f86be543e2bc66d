import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamo } from '#local/emulators.ts';

/** The DynamoDB operations that write. */
export const WRITE_OPS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'] as const;

/** Write operations by name: those asked for, and those that wrote (answered 200). */
export interface WriteCounts {
  readonly attempted: Readonly<Record<string, number>>;
  readonly written: Readonly<Record<string, number>>;
}

/** One write that went through: its operation and the partition key of each item it wrote. */
export interface Write {
  readonly op: string;
  readonly keys: readonly string[];
}

/** The partition keys (`pk`) a write request names. */
function keysOf(op: string, body: string): string[] {
  try {
    const input = JSON.parse(body) as {
      Item?: { pk?: { S?: string } };
      Key?: { pk?: { S?: string } };
      RequestItems?: Record<
        string,
        { PutRequest?: { Item?: { pk?: { S?: string } } }; DeleteRequest?: { Key?: { pk?: { S?: string } } } }[]
      >;
    };
    if (op === 'BatchWriteItem')
      return Object.values(input.RequestItems ?? {}).flatMap((reqs) =>
        reqs.map((r) => r.PutRequest?.Item?.pk?.S ?? r.DeleteRequest?.Key?.pk?.S ?? '?'),
      );
    return [input.Item?.pk?.S ?? input.Key?.pk?.S ?? '?'];
  } catch {
    return ['?'];
  }
}

/**
 * dynalite behind a pass-through proxy that counts each write operation twice: when it is asked
 * for, and when it wrote. The stack's own counter (`stats().dynamodb`) counts operations asked
 * for, so a conditional put that was refused (a spent sign-in link, a nonce used before) counts as
 * a write although it changed nothing; the proxy sees the answer and tells the two apart.
 */
export async function countedDynamo(): Promise<{
  url: string;
  counts(): WriteCounts;
  /** The writes that went through since the last call. */
  takeWrites(): Write[];
  close(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'makegood-fuzz-ddb-'));
  const dynamo = await startDynamo(dir, 0);
  const upstream = new URL(dynamo.url);
  const attempted: Record<string, number> = {};
  const written: Record<string, number> = {};
  let log: Write[] = [];
  const server: Server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.slice(target.indexOf('.') + 1);
    const writes = (WRITE_OPS as readonly string[]).includes(op);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (writes) {
            attempted[op] = (attempted[op] ?? 0) + 1;
            if (answer.statusCode === 200) {
              written[op] = (written[op] ?? 0) + 1;
              log.push({ op, keys: keysOf(op, Buffer.concat(chunks).toString('utf8')) });
            }
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (err) => res.destroy(err));
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ attempted: { ...attempted }, written: { ...written } }),
    takeWrites: () => {
      const taken = log;
      log = [];
      return taken;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dynamo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
