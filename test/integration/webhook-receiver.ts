import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A fresh Standard Webhooks signing secret: `whsec_` and the base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * How the receiver answers one request: a status (after `delayMs`, if given), a closed socket
 * without an answer, or no answer at all until {@link WebhookReceiver.close} or
 * {@link WebhookReceiver.releaseHung}.
 */
export type Reply = { readonly status: number; readonly delayMs?: number } | { readonly destroy: true } | { readonly hang: true };

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  /** 0-based arrival order. */
  readonly n: number;
  /** Arrival time (epoch ms). */
  readonly at: number;
  readonly id: string;
  readonly body: string;
  /** The Standard Webhooks headers as sent. */
  readonly headers: { readonly 'webhook-id': string; readonly 'webhook-timestamp': string; readonly 'webhook-signature': string };
  /** Whether `new Webhook(secret).verify(body, headers)` accepted it. */
  readonly verified: boolean;
  /** What the plan said to do, e.g. `500`, `200 after 1500 ms`, `destroy`, `hang`. */
  readonly reply: string;
  /** True when the sender went away before the receiver answered (a timeout on its side). */
  aborted: boolean;
}

/** An event the receiver processed: the first request with its id that it accepted. */
export interface ProcessedEvent {
  readonly id: string;
  readonly body: string;
  /** When it was processed (epoch ms). */
  readonly at: number;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 that misbehaves as its plan says. It verifies each
 * request's signature, and processes each event once by `webhook-id`: a request it accepts with
 * an id it already processed is a duplicate, kept apart (with its body) and not processed again.
 * A request accepted with a delayed answer is processed on arrival, as a receiver that commits
 * before it answers would, so a sender that timed out and sends again makes a duplicate.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly processed = new Map<string, ProcessedEvent>();
  readonly duplicates: { readonly id: string; readonly body: string }[] = [];
  private readonly hung = new Set<ServerResponse>();

  private constructor(
    private readonly secret: string,
    private plan: (n: number) => Reply,
    private readonly server: ReturnType<typeof createServer>,
    /** `http://127.0.0.1:<port>/webhooks` */
    readonly url: string,
  ) {}

  /** Starts a receiver on a random loopback port. */
  static async start(secret: string, plan: (n: number) => Reply): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((req, res) => void receiver?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    receiver = new WebhookReceiver(secret, plan, server, `http://127.0.0.1:${port}/webhooks`);
    return receiver;
  }

  /** Answers from now on as `plan` says (it is given each request's arrival number). */
  setPlan(plan: (n: number) => Reply): void {
    this.plan = plan;
  }

  /** Answers every request left hanging with `status`. */
  releaseHung(status: number): void {
    for (const res of this.hung) if (!res.writableEnded) res.writeHead(status).end();
    this.hung.clear();
  }

  /** Requests still waiting for an answer. */
  get hanging(): number {
    return [...this.hung].filter((r) => !r.writableEnded && !r.destroyed).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => String(req.headers[name] ?? '');
    const id = header('webhook-id');
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': header('webhook-timestamp'),
      'webhook-signature': header('webhook-signature'),
    };
    let verified = true;
    try {
      new Webhook(this.secret).verify(body, headers);
    } catch {
      verified = false;
    }
    const n = this.requests.length;
    const reply: Reply = verified ? this.plan(n) : { status: 400 };
    const record: ReceivedRequest = {
      n,
      at: Date.now(),
      id,
      body,
      headers,
      verified,
      reply:
        'destroy' in reply ? 'destroy' : 'hang' in reply ? 'hang' : `${reply.status}${reply.delayMs ? ` after ${reply.delayMs} ms` : ''}`,
      aborted: false,
    };
    this.requests.push(record);
    res.once('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    if ('destroy' in reply) {
      req.socket.destroy();
      return;
    }
    if ('hang' in reply) {
      this.hung.add(res);
      return;
    }
    if (reply.status >= 200 && reply.status < 300) {
      const first = this.processed.get(id);
      if (first) this.duplicates.push({ id, body });
      else this.processed.set(id, { id, body, at: record.at });
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (!res.destroyed) res.writeHead(reply.status, { 'content-type': 'text/plain' }).end('ok');
  }

  /** Stops listening and drops every connection, hung ones included. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or throws `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
