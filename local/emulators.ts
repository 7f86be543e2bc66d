import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type sesLocalModule from 'aws-ses-v2-local';
import type * as sesStoreModule from 'aws-ses-v2-local/dist/store.js';
import dynalite from 'dynalite';
import { EMAIL_KEY_HEADER } from '#adapters/ses-mailer.ts';
import { type IndexRepair, installAtomicWrites, repairIndexesOnce, storeOf } from './dynalite-atomic.ts';

// aws-ses-v2-local is CommonJS and keeps its mailbox in a module-level store. Loading both the
// server and the store through one `require` guarantees they share that store, whichever loader
// (Node, tsx, vitest) imports this file.
const require = createRequire(import.meta.url);
const sesLocal = require('aws-ses-v2-local') as typeof sesLocalModule;
const sesStore = require('aws-ses-v2-local/dist/store.js') as { -readonly [K in keyof typeof sesStoreModule]: (typeof sesStoreModule)[K] };
const { getStoreReadonly } = sesStore;

/** A running emulator. */
export interface Emulator {
  readonly url: string;
  close(): Promise<void>;
}

/** The DynamoDB emulator, which also counts the API operations it served (for benchmarks). */
export interface DynamoEmulator extends Emulator {
  /** Operations served so far, by name (`PutItem`, `Query`, …). */
  operations(): Readonly<Record<string, number>>;
  /**
   * What the index check found and fixed, on the first start of a data directory under atomic
   * writes (see local/dynalite-atomic.ts); undefined on later starts, which need none.
   */
  readonly repair: IndexRepair | undefined;
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

/**
 * dynalite (the DynamoDB API over LevelDB) with its data under `dir`. Each item is written in one
 * LevelDB batch with its index rows, so a `kill -9` at any instant leaves them consistent, and a
 * data directory written before that has its indexes repaired on its first start
 * (local/dynalite-atomic.ts).
 */
export async function startDynamo(dir: string, port: number, host = '127.0.0.1'): Promise<DynamoEmulator> {
  await mkdir(dir, { recursive: true });
  installAtomicWrites();
  const options = { path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
  const server: Server = dynalite(options);
  const repair = await repairIndexesOnce(storeOf(options));
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
    repair,
    operations: () => ({ ...counts }),
    close: async () => {
      await closeServer(server);
      // dynalite keeps LevelDB open until its server's close event has run; give it that tick.
      await new Promise((r) => setImmediate(r));
    },
  };
}

/** One sent email as the SES emulator keeps it. */
type StoredEmail = ReturnType<typeof getStoreReadonly>['emails'][number];

/** The mailbox file of the running SES emulator (one per process: the emulator's store is module-wide). */
let mailboxFile: string | undefined;

/**
 * Makes the emulator's store durable: each email is appended to the mailbox file, synchronously,
 * before the emulator answers the send, so a `kill -9` at any instant loses no email the caller
 * was told was sent. Clearing the store (the viewer's button) empties the file.
 */
function persistSends(): void {
  if (persisting) return;
  const saveEmail = sesStore.saveEmail;
  sesStore.saveEmail = (email: StoredEmail) => {
    if (mailboxFile) appendFileSync(mailboxFile, `${JSON.stringify(email)}\n`);
    saveEmail(email);
    indexSent(email);
  };
  const clearStore = sesStore.clearStore;
  sesStore.clearStore = () => {
    if (mailboxFile) writeFileSync(mailboxFile, '');
    clearStore();
    sentKeys.clear();
  };
  persisting = true;
}
let persisting = false;

/** Message ids by the idempotency key makegood sends each email with (`EMAIL_KEY_HEADER`). */
const sentKeys = new Map<string, string>();

function indexSent(email: StoredEmail): void {
  const key = email.headers?.find((h) => h.name.toLowerCase() === EMAIL_KEY_HEADER.toLowerCase())?.value;
  if (key !== undefined && !sentKeys.has(key)) sentKeys.set(key, email.messageId);
}

/**
 * Adds `GET /makegood/sent?key=<idempotency key>` to the emulator: 200 `{messageId}` when an email
 * with that key is in the mailbox, 404 when none is (what `SesMailer.sentBefore` asks). Every
 * other request goes to the emulator as before.
 */
function answerSentKeys(server: Server): void {
  const emulator = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://mailbox');
    if (req.method !== 'GET' || url.pathname !== '/makegood/sent') {
      for (const listener of emulator) listener(req, res);
      return;
    }
    const messageId = sentKeys.get(url.searchParams.get('key') ?? '');
    res.writeHead(messageId ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(messageId ? { messageId } : { message: 'No email was sent with this key' }));
  });
}

/**
 * Reads a mailbox file: one email per line. A line cut short by a crash in the middle of its
 * append (only ever the last: its send never returned) is cut off the file, so that the next
 * append starts a line of its own.
 */
async function readMailbox(file: string): Promise<StoredEmail[]> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  if (whole.length < text.length) await truncate(file, Buffer.byteLength(whole));
  return whole
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StoredEmail);
}

/**
 * The SES v2 emulator with its mailbox viewer. The emulator keeps mail in memory; each send is
 * also appended to `file` before it is answered, and loaded back on start, so the mailbox
 * survives restarts and crashes as the ledger does. A mailbox saved whole by an earlier version
 * (`mailbox.json` beside it) is taken over on the first start.
 */
export async function startMail(file: string, port: number, host = '127.0.0.1'): Promise<Emulator> {
  const store = getStoreReadonly();
  const legacy = join(dirname(file), 'mailbox.json');
  const older = await readFile(legacy, 'utf8').then(
    (text) => JSON.parse(text) as StoredEmail[],
    () => undefined,
  );
  if (older) {
    await writeFile(file, [...older, ...(await readMailbox(file))].map((e) => `${JSON.stringify(e)}\n`).join(''), { flag: 'w' });
    await rm(legacy);
  }
  const saved = await readMailbox(file);
  // The file is the mailbox: the process-wide store starts from it, whatever an earlier stack left.
  store.emails.length = 0;
  sentKeys.clear();
  for (const email of saved) {
    store.emails.push(email);
    indexSent(email);
  }
  persistSends();
  mailboxFile = file;
  // A CommonJS module: under Node's ESM loader its exports object is the default import.
  // The emulator answers GetAccount (the health check) only with an account to describe.
  process.env.AWS_SES_ACCOUNT ??= JSON.stringify(EMULATED_ACCOUNT);
  const server = (await sesLocal.default({ host, port })) as Server;
  answerSentKeys(server);
  return {
    url: urlOf(server, host),
    close: async () => {
      await closeServer(server);
      if (mailboxFile === file) mailboxFile = undefined;
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
    mail: join(dataDir, 'mailbox.jsonl'),
    secrets: join(dataDir, 'secrets.json'),
    executions: dataDir,
  };
}
