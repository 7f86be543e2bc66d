import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type sesLocalModule from 'aws-ses-v2-local';
import type * as sesStoreModule from 'aws-ses-v2-local/dist/store.js';
import dynalite from 'dynalite';

// aws-ses-v2-local is CommonJS and keeps its mailbox in a module-level store. Loading both the
// server and the store through one `require` guarantees they share that store, whichever loader
// (Node, tsx, vitest) imports this file.
const require = createRequire(import.meta.url);
const sesLocal = require('aws-ses-v2-local') as typeof sesLocalModule;
const { getStoreReadonly } = require('aws-ses-v2-local/dist/store.js') as typeof sesStoreModule;

/** A running emulator. */
export interface Emulator {
  readonly url: string;
  close(): Promise<void>;
}

/** The DynamoDB emulator, which also counts the API operations it served (for benchmarks). */
export interface DynamoEmulator extends Emulator {
  /** Operations served so far, by name (`PutItem`, `Query`, …). */
  operations(): Readonly<Record<string, number>>;
}

function urlOf(server: Server, host: string): string {
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** dynalite (the DynamoDB API over LevelDB) with its data under `dir`. */
export async function startDynamo(dir: string, port: number, host = '127.0.0.1'): Promise<DynamoEmulator> {
  await mkdir(dir, { recursive: true });
  const server: Server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const counts: Record<string, number> = {};
  server.on('request', (req: { headers: Record<string, string | string[] | undefined> }) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.slice(target.indexOf('.') + 1) || 'unknown';
    counts[op] = (counts[op] ?? 0) + 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    url: urlOf(server, host),
    operations: () => ({ ...counts }),
    close: async () => {
      await closeServer(server);
      // dynalite keeps LevelDB open until its server's close event has run; give it that tick.
      await new Promise((r) => setImmediate(r));
    },
  };
}

/**
 * The SES v2 emulator with its mailbox viewer. It keeps mail in memory, so the mailbox is saved
 * to `file` on close and loaded back on start: restarting keeps the mail, as it keeps the ledger.
 */
export async function startMail(file: string, port: number, host = '127.0.0.1'): Promise<Emulator> {
  const store = getStoreReadonly();
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as typeof store.emails;
    if (store.emails.length === 0) store.emails.push(...saved);
  } catch {
    // First start: no mailbox yet.
  }
  // A CommonJS module: under Node's ESM loader its exports object is the default import.
  // The emulator answers GetAccount (the health check) only with an account to describe.
  process.env.AWS_SES_ACCOUNT ??= JSON.stringify(EMULATED_ACCOUNT);
  const server = (await sesLocal.default({ host, port })) as Server;
  return {
    url: urlOf(server, host),
    close: async () => {
      await closeServer(server);
      await writeFile(`${file}.tmp`, JSON.stringify(store.emails));
      await rename(`${file}.tmp`, file);
    },
  };
}

const EMULATED_ACCOUNT = {
  DedicatedIpAutoWarmupEnabled: false,
  Details: {
    AdditionalContactEmailAddresses: [],
    ContactLanguage: 'EN',
    MailType: 'TRANSACTIONAL',
    ReviewDetails: { CaseId: 'local', Status: 'GRANTED' },
    UseCaseDescription: 'makegood embedded mode',
    WebsiteURL: 'http://127.0.0.1',
  },
  EnforcementStatus: 'HEALTHY',
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 1_000_000, MaxSendRate: 1000, SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: [] },
};

/** Where the embedded mode keeps things under its data directory. */
export function dataPaths(dataDir: string) {
  return {
    dynamo: join(dataDir, 'dynamodb'),
    mail: join(dataDir, 'mailbox.json'),
    secrets: join(dataDir, 'secrets.json'),
    executions: dataDir,
  };
}
