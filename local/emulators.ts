import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type sesLocalModule from 'aws-ses-v2-local';
import type * as sesStoreModule from 'aws-ses-v2-local/dist/store.js';
import dynalite from 'dynalite';
import * as z from 'zod';
import { EMAIL_KEY_HEADER } from '#adapters/ses-mailer.ts';
import { type IndexRepair, installAtomicWrites, repairIndexesOnce, storeOf } from './dynalite-atomic.ts';
import { readBody } from './read-body.ts';

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

/** The SES emulator, which also plays SES's mailbox simulator (see {@link mailboxSimulator}). */
export interface MailEmulator extends Emulator {
  /** Where the bounce and complaint events of emails sent through a configuration set go; none: they are dropped. */
  onFeedback(listener: MailFeedbackListener): void;
}

/** The DynamoDB emulator, which also counts the API operations it served (for benchmarks). */
export interface DynamoEmulator extends Emulator {
  /** Operations served so far, by name (`PutItem`, `Query`, …). */
  operations(): Promise<Readonly<Record<string, number>>>;
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
    operations: async () => ({ ...counts }),
    close: async () => {
      await closeServer(server);
      // dynalite keeps LevelDB open until its server's close event has run; give it that tick.
      await new Promise((r) => setImmediate(r));
    },
  };
}

/** What the emulator's own process (local/dynalite-process.ts) tells its parent. */
export type DynamoProcessMessage =
  | { readonly type: 'ready'; readonly url: string; readonly repair: IndexRepair | undefined }
  | { readonly type: 'operations'; readonly id: number; readonly operations: Readonly<Record<string, number>> };

/**
 * {@link startDynamo} in a child process (local/dynalite-process.ts), so that dynalite's CPU is
 * on another core than the handlers'. The child exits when this process goes away, however it
 * goes; `onExit` hears of a child that stopped after it began serving and before `close`. A
 * child that cannot start rejects the start instead.
 */
export async function startDynamoProcess(
  dir: string,
  host = '127.0.0.1',
  onExit: (code: number | null, signal: string | null) => void = () => {},
): Promise<DynamoEmulator & { readonly pid: number }> {
  await mkdir(dir, { recursive: true });
  const child = fork(fileURLToPath(new URL('./dynalite-process.ts', import.meta.url)), [dir, host], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let serving = false;
  let closing = false;
  const waiting = new Map<number, { resolve: (operations: Readonly<Record<string, number>>) => void; reject: (err: Error) => void }>();
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiting.values()) w.reject(new Error("The DynamoDB emulator's process has stopped"));
      waiting.clear();
      if (serving && !closing) onExit(code, signal);
      resolve();
    }),
  );
  const ready = await new Promise<Extract<DynamoProcessMessage, { type: 'ready' }>>((resolve, reject) => {
    child.on('message', (m: DynamoProcessMessage) => {
      if (m.type === 'ready') resolve(m);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`The DynamoDB emulator's process for ${dir} stopped before it served (code ${code}, signal ${signal})`)),
    );
  });
  serving = true;
  let nextId = 0;
  child.on('message', (m: DynamoProcessMessage) => {
    if (m.type !== 'operations') return;
    waiting.get(m.id)?.resolve(m.operations);
    waiting.delete(m.id);
  });
  return {
    url: ready.url,
    repair: ready.repair,
    pid: child.pid as number,
    operations: () =>
      new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error("The DynamoDB emulator's process has stopped"));
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        child.send({ type: 'operations', id });
      }),
    close: async () => {
      closing = true;
      if (child.connected) child.disconnect();
      await exited;
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
 * SES's mailbox simulator: an email to one of these addresses is answered, as SES answers it, with
 * a bounce (permanent, `5.1.1`) or a complaint event.
 */
export const mailboxSimulator = {
  bounce: 'bounce@simulator.amazonses.com',
  complaint: 'complaint@simulator.amazonses.com',
} as const;

/** Receives an SES event as EventBridge would deliver it to the rule's target (the registry's `onMailFeedback` function). */
export type MailFeedbackListener = (event: SesEventBridgeEvent) => Promise<unknown>;

/** An SES event publishing record in EventBridge's envelope: only bounces and complaints are emulated. */
export interface SesEventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Email Bounced' | 'Email Complaint Received';
  readonly source: 'aws.ses';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** The SES v2 SendEmail request fields the feedback events need. */
const sendRequestSchema = z.object({
  ConfigurationSetName: z.string().optional(),
  FromEmailAddress: z.string().optional(),
  Destination: z.object({ ToAddresses: z.array(z.string()).optional() }).optional(),
  EmailTags: z.array(z.object({ Name: z.string(), Value: z.string() })).optional(),
  Content: z.object({ Simple: z.object({ Subject: z.object({ Data: z.string() }).optional() }).optional() }).optional(),
});
type SendRequest = z.infer<typeof sendRequestSchema>;

const EMULATED_ACCOUNT_ID = '000000000000';
const EMULATED_REGION = 'eu-west-1';

/**
 * The events SES publishes for an email sent to the mailbox simulator, shaped as SES's event
 * publishing record (`eventType`, `mail`, `bounce` / `complaint`) inside EventBridge's envelope.
 * Like SES, only an email sent through a configuration set publishes any: its `mail.tags` hold the
 * request's EmailTags and SES's own `ses:*` tags.
 */
export function simulatorEvents(request: SendRequest, messageId: string, sentAt: Date, at: Date): SesEventBridgeEvent[] {
  const configurationSet = request.ConfigurationSetName;
  if (!configurationSet) return [];
  const from = request.FromEmailAddress ?? '';
  const to = request.Destination?.ToAddresses ?? [];
  const fromDomain = from.replace(/^.*@/, '').replace(/>.*$/, '');
  const tags: Record<string, string[]> = {
    'ses:configuration-set': [configurationSet],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['local'],
    'ses:source-ip': ['127.0.0.1'],
  };
  for (const tag of request.EmailTags ?? []) tags[tag.Name] = [tag.Value];
  const mail = {
    timestamp: sentAt.toISOString(),
    source: from,
    sourceArn: `arn:aws:ses:${EMULATED_REGION}:${EMULATED_ACCOUNT_ID}:identity/${fromDomain}`,
    sendingAccountId: EMULATED_ACCOUNT_ID,
    messageId,
    destination: to,
    headersTruncated: false,
    headers: [],
    commonHeaders: { from: [from], to, messageId, subject: request.Content?.Simple?.Subject?.Data ?? '' },
    tags,
  };
  const envelope = (detailType: SesEventBridgeEvent['detail-type'], detail: Record<string, unknown>): SesEventBridgeEvent => ({
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ses',
    account: EMULATED_ACCOUNT_ID,
    time: at.toISOString(),
    region: EMULATED_REGION,
    resources: [`arn:aws:ses:${EMULATED_REGION}:${EMULATED_ACCOUNT_ID}:configuration-set/${configurationSet}`],
    detail,
  });
  const events: SesEventBridgeEvent[] = [];
  for (const address of to) {
    const mailbox = address.trim().toLowerCase();
    if (mailbox === mailboxSimulator.bounce) {
      events.push(
        envelope('Email Bounced', {
          eventType: 'Bounce',
          bounce: {
            feedbackId: `${messageId}-bounce`,
            bounceType: 'Permanent',
            bounceSubType: 'General',
            bouncedRecipients: [
              { emailAddress: address, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
            ],
            timestamp: at.toISOString(),
            reportingMTA: 'dns; simulator.amazonses.com',
          },
          mail,
        }),
      );
    } else if (mailbox === mailboxSimulator.complaint) {
      events.push(
        envelope('Email Complaint Received', {
          eventType: 'Complaint',
          complaint: {
            feedbackId: `${messageId}-complaint`,
            complainedRecipients: [{ emailAddress: address }],
            timestamp: at.toISOString(),
            userAgent: 'makegood SES emulator',
            complaintFeedbackType: 'abuse',
            arrivalDate: at.toISOString(),
          },
          mail,
        }),
      );
    }
  }
  return events;
}

/** When an event is tried again after its target failed: EventBridge retries too, with backoff. */
const FEEDBACK_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 4_000];

/** Delivers each event to the listener, later, as SES does; a failed delivery is retried, and then reported on stderr. */
function deliverFeedback(events: readonly SesEventBridgeEvent[], listener: () => MailFeedbackListener | undefined): void {
  for (const event of events) {
    const attempt = (n: number) => {
      const target = listener();
      if (!target) return;
      target(event).catch((err: unknown) => {
        const delay = FEEDBACK_DELAYS_MS[n + 1];
        if (delay !== undefined) setTimeout(() => attempt(n + 1), delay).unref();
        else console.error(`[mail] the ${event['detail-type']} event ${event.id} was not taken after ${n + 1} attempts: ${String(err)}`);
      });
    };
    setTimeout(() => attempt(0), FEEDBACK_DELAYS_MS[0]).unref();
  }
}

/**
 * Adds `GET /makegood/sent?key=<idempotency key>` to the emulator: 200 `{messageId}` when an email
 * with that key is in the mailbox, 404 when none is (what `SesMailer.sentBefore` asks). A send
 * (`POST /v2/email/outbound-emails`) is read here first, so that once the emulator answers it,
 * an email to the mailbox simulator gets its events ({@link simulatorEvents}). Every other
 * request goes to the emulator as before.
 */
function answerSentKeys(server: Server, feedback: () => MailFeedbackListener | undefined): void {
  const emulator = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://mailbox');
    if (req.method === 'POST' && url.pathname === '/v2/email/outbound-emails') {
      void forwardSend(req, res, emulator, feedback);
      return;
    }
    if (req.method !== 'GET' || url.pathname !== '/makegood/sent') {
      for (const listener of emulator) listener(req, res);
      return;
    }
    const messageId = sentKeys.get(url.searchParams.get('key') ?? '');
    res.writeHead(messageId ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(messageId ? { messageId } : { message: 'No email was sent with this key' }));
  });
}

/** The `MessageId` of the emulator's answer to a send, if it is one. */
function messageIdOf(answer: string): string | undefined {
  try {
    const id = (JSON.parse(answer) as { MessageId?: unknown }).MessageId;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a SendEmail request, hands it to the emulator already parsed (its JSON body parser skips a
 * request whose body was read), and, when the emulator answers 200, delivers the simulator's
 * events for it.
 */
async function forwardSend(
  req: IncomingMessage,
  res: ServerResponse,
  emulator: ReadonlyArray<(req: IncomingMessage, res: ServerResponse) => void>,
  feedback: () => MailFeedbackListener | undefined,
): Promise<void> {
  const sentAt = new Date();
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, 26_214_400))?.toString('utf8') ?? 'null');
  } catch {
    body = undefined;
  }
  (req as IncomingMessage & { body?: unknown }).body = body;
  const request = sendRequestSchema.safeParse(body);
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const chunk = args[0];
    if (res.statusCode === 200 && request.success && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
      const messageId = messageIdOf(chunk.toString());
      if (messageId) deliverFeedback(simulatorEvents(request.data, messageId, sentAt, new Date()), feedback);
    }
    return end(...args);
  }) as typeof res.end;
  for (const listener of emulator) listener(req, res);
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
export async function startMail(file: string, port: number, host = '127.0.0.1'): Promise<MailEmulator> {
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
  let feedback: MailFeedbackListener | undefined;
  answerSentKeys(server, () => feedback);
  return {
    url: urlOf(server, host),
    onFeedback: (listener) => {
      feedback = listener;
    },
    close: async () => {
      feedback = undefined;
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
    secrets: join(dataDir, 'secrets'),
    /** The one secrets document of earlier versions, migrated at boot (seed.ts). */
    legacySecrets: join(dataDir, 'secrets.json'),
    executions: dataDir,
  };
}
