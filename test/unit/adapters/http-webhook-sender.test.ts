import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from 'makegood/client';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpWebhookSender } from '#adapters/http-webhook-sender.ts';

/**
 * The sender against a real HTTP server on 127.0.0.1 (a random port): what it puts on the wire,
 * and how each of a receiver's faults comes back as a result rather than an exception.
 */

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const body = JSON.stringify({ type: 'claim.received', timestamp: '2026-11-10T12:00:00.000Z', data: { claimId: 'clm_1', seq: 1 } });
const sender = new HttpWebhookSender();

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let server: Server | undefined;

/** Starts a receiver; `respond` answers each request (or never does). */
async function receiver(respond: (req: IncomingMessage, res: ServerResponse) => void) {
  const received: Received[] = [];
  const closed: string[] = [];
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
    res.on('close', () => closed.push(req.url ?? ''));
  });
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, closed };
}

function request(url: string, over: { timeoutMs?: number; secrets?: readonly string[] } = {}) {
  return {
    url,
    secrets: over.secrets ?? [secret],
    eventId: 'evt_clm_1_1',
    timestamp: new Date(),
    body,
    timeoutMs: over.timeoutMs ?? 5_000,
  };
}

/** The Standard Webhooks headers of a received request. */
function signedHeaders(got: Received | undefined) {
  return {
    'webhook-id': String(got?.headers['webhook-id']),
    'webhook-timestamp': String(got?.headers['webhook-timestamp']),
    'webhook-signature': String(got?.headers['webhook-signature']),
  };
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise<void>((resolve) => s.close(() => resolve()));
});

describe('HttpWebhookSender', () => {
  it('POSTs the body with Standard Webhooks headers that verify with the storefront’s secret', async () => {
    // arrange
    const r = await receiver((_req, res) => res.writeHead(204).end());
    const sent = request(`${r.url}/hooks/makegood`);

    // act
    const result = await sender.send(sent);

    // assert
    expect(result).toEqual({ kind: 'answered', status: 204 });
    expect(r.received).toHaveLength(1);
    const got = r.received[0];
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/hooks/makegood');
    expect(got?.body).toBe(body);
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['webhook-id']).toBe('evt_clm_1_1');
    expect(got?.headers['webhook-timestamp']).toBe(String(Math.floor(sent.timestamp.getTime() / 1000)));
    const headers = signedHeaders(got);
    // One secret, one signature.
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(got?.body ?? '', headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(got?.body ?? '', headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${got?.body} `, headers)).toThrow();
  });

  it('during a rotation signs with both secrets, and a receiver holding either one alone verifies the delivery', async () => {
    // arrange: the storefront's new secret and its old one, both in force
    const newSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const r = await receiver((_req, res) => res.writeHead(204).end());

    // act
    const result = await sender.send(request(r.url, { secrets: [newSecret, secret] }));

    // assert: two space-separated signatures, one per secret, in the order given
    expect(result).toEqual({ kind: 'answered', status: 204 });
    const got = r.received[0];
    const headers = signedHeaders(got);
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    for (const s of signatures) expect(s).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Set(signatures).size).toBe(2);
    const timestamp = new Date(Number(headers['webhook-timestamp']) * 1000);
    expect(signatures).toEqual([
      new Webhook(newSecret).sign(headers['webhook-id'], timestamp, got?.body ?? ''),
      new Webhook(secret).sign(headers['webhook-id'], timestamp, got?.body ?? ''),
    ]);
    // Standard Webhooks' own verifier, with either secret alone
    for (const one of [newSecret, secret]) expect(new Webhook(one).verify(got?.body ?? '', headers)).toEqual(JSON.parse(body));
    // the storefront's client (makegood/client), with either secret alone, from node:http's headers as received
    for (const one of [newSecret, secret]) expect(verifyWebhook(one, got?.body ?? '', got?.headers ?? {})).toEqual(JSON.parse(body));
    // and neither verifies a third secret, nor a changed body
    const stranger = `whsec_${randomBytes(24).toString('base64')}`;
    expect(() => new Webhook(stranger).verify(got?.body ?? '', headers)).toThrow();
    expect(() => verifyWebhook(stranger, got?.body ?? '', got?.headers ?? {})).toThrow(/does not verify/);
    expect(() => verifyWebhook(secret, `${got?.body} `, got?.headers ?? {})).toThrow(/does not verify/);
  });

  it.each([200, 410, 500, 503])('returns a %i as answered, whatever the status', async (status) => {
    // arrange
    const r = await receiver((_req, res) => res.writeHead(status).end('receiver says something'));

    // act
    const result = await sender.send(request(r.url));

    // assert
    expect(result).toEqual({ kind: 'answered', status });
  });

  it('does not follow a redirect: a 302 is the answer, and the signed body goes nowhere else', async () => {
    // arrange
    const r = await receiver((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });

    // act
    const result = await sender.send(request(`${r.url}/moved`));

    // assert
    expect(result).toEqual({ kind: 'answered', status: 302 });
    expect(r.received.map((x) => x.url)).toEqual(['/moved']);
  });

  // Bounded well below the suite's 60 s: a sender that ignored its timeout would hang here.
  it('gives up on a receiver that never answers: a timeout, and the connection is dropped', { timeout: 5_000 }, async () => {
    // arrange: the receiver reads the request and never responds
    const r = await receiver(() => {});

    // act
    const result = await sender.send(request(r.url, { timeoutMs: 200 }));

    // assert
    expect(result).toEqual({ kind: 'timeout' });
    await expect.poll(() => r.closed).toEqual(['/']);
  });

  it('returns a closed port as unreachable, with the connection error', async () => {
    // arrange: a port that was just listened on and closed again
    const r = await receiver(() => {});
    const s = server;
    server = undefined;
    await new Promise<void>((resolve) => s?.close(() => resolve()));

    // act
    const result = await sender.send(request(r.url));

    // assert
    expect(result).toEqual({ kind: 'unreachable', message: 'ECONNREFUSED' });
  });

  it('returns a URL it cannot send to as unreachable rather than throwing', async () => {
    // act
    const result = await sender.send(request('not a url'));

    // assert
    expect(result.kind).toBe('unreachable');
  });
});
