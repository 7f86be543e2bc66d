import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../cli/connect.ts';
import { keysCommand } from '../../cli/keys.ts';
import { storefrontCommand } from '../../cli/storefront.ts';
import { verifyWebhook } from '../../client/index.ts';
import { bootStack, claimBody, countItems, mailbox, signedFetch, waitForClaim } from './harness.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

/** Every webhook request the shop's receiver got. */
const received: { body: string; headers: IncomingHttpHeaders }[] = [];
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  stack = await bootStack({ functionEnv: { MAKEGOOD_WEBHOOK_FIRST_RETRY_MS: '50' } });
});
afterAll(async () => {
  await stack?.cleanup();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** Runs a `makegood` area in-process against the embedded stack, as the CLI does. */
async function makegood(area: 'storefront' | 'keys', ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => {
      out += t;
    },
    err: (t: string) => {
      err += t;
    },
    now: () => new Date(),
  };
  const opened = async (dataDir: string | undefined) => {
    const c = await connect(dataDir);
    if (!c.secrets) throw new Error('no secret store');
    return { deps: { state: c.deps.state, secrets: c.secrets }, secrets: c.secrets, target: c.target, deployed: c.deployed };
  };
  const command = area === 'storefront' ? storefrontCommand({ ...io, connect: opened }) : keysCommand({ ...io, connect: opened });
  const code = await command.run([...argv, '--data-dir', stack.dataDir]);
  return { code, out, err };
}

/** The secret printed on the line after `label`. */
function printed(out: string, label: RegExp): string {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => label.test(l));
  const secret = lines[at + 1]?.trim();
  if (at < 0 || !secret) throw new Error(`No ${label} in:\n${out}`);
  return secret;
}

/** Publishes the demo policy for a storefront, as `makegood policy put` would. */
async function publishDemoPolicy(storefrontId: string): Promise<void> {
  const { deps } = await connect(stack.dataDir);
  const demo = await deps.state.currentPolicy('demo');
  if (!demo) throw new Error('no demo policy');
  await deps.state.publishPolicy(storefrontId, demo.policy, new Date());
}

const claimPath = '/v1/claims/clm_none';
const as = (secret: string) => ({ storefront: 'shop2', secret });

describe('makegood storefront and keys, on the embedded stack', () => {
  let k1 = '';
  let webhook1 = '';

  it('onboards a storefront whose shop signs with the printed secret, and whose webhooks verify with the printed whsec', async () => {
    // act
    const added = await makegood(
      'storefront',
      'add',
      'shop2',
      '--name',
      'Second Shop',
      '--mail-from',
      'care@shop2.test',
      '--webhook-url',
      receiverUrl,
    );
    k1 = printed(added.out, /^Signing secret k1/);
    webhook1 = printed(added.out, /^Webhook signing secret k1/);
    await publishDemoPolicy('shop2');
    const accepted = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', claimBody(), { idempotencyKey: 'shop2-1', ...as(k1) });
    const { claimId } = (await accepted.json()) as { claimId: string };
    await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled', 400, as(k1));
    await eventually(() => received.some((r) => r.body.includes(claimId)));

    // assert
    expect(added.code, added.err).toBe(0);
    expect(accepted.status).toBe(202);
    expect(k1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(webhook1).toMatch(/^whsec_/);
    const delivery = received.find((r) => r.body.includes(claimId));
    expect(() => new Webhook(webhook1).verify(delivery?.body ?? '', delivery?.headers as Record<string, string>)).not.toThrow();
    expect((await signedFetch(stack.apiUrl, 'GET', claimPath, undefined, as('not-the-secret'))).status).toBe(401);
  });

  it('refuses a storefront that exists, a bad id, a bad address and a URL it cannot send to, and writes nothing', async () => {
    // arrange
    const items = await countItems(stack);
    const files = await readdir(join(stack.env.MAKEGOOD_SECRETS_DIR ?? '', 'storefronts'));

    // act
    const again = await makegood('storefront', 'add', 'shop2', '--name', 'Imposter');
    const badId = await makegood('storefront', 'add', '../approval-keys', '--name', 'X');
    const badMail = await makegood('storefront', 'add', 'shop3', '--name', 'X', '--mail-from', 'not an address');
    const badUrl = await makegood('storefront', 'add', 'shop3', '--name', 'X', '--webhook-url', 'http://example.com/hook');
    const noName = await makegood('storefront', 'add', 'shop3');

    // assert
    expect([again.code, badId.code, badMail.code, badUrl.code, noName.code]).toEqual([1, 2, 2, 1, 2]);
    expect(again.err).toMatch(/Storefront shop2 exists already; nothing was changed/);
    expect(badId.err).toMatch(/"\.\.\/approval-keys" is not a storefront id/);
    expect(badMail.err).toMatch(/--mail-from must be one email address/);
    expect(badUrl.err).toMatch(/webhook\.url: must be an absolute https:\/\/ URL/);
    expect(noName.err).toMatch(/--name is required/);
    expect(await countItems(stack)).toBe(items);
    expect(await readdir(join(stack.env.MAKEGOOD_SECRETS_DIR ?? '', 'storefronts'))).toEqual(files);
  });

  it('rotates the signing secret with a grace period in which both work, and retires the old one at once when told', async () => {
    // act
    const rotated = await makegood('storefront', 'rotate-secret', 'shop2', '--grace-hours', '24');
    const k2 = printed(rotated.out, /^New secret k2/);
    const during = await Promise.all(
      [k1, k2].map(async (s) => (await signedFetch(stack.apiUrl, 'GET', claimPath, undefined, as(s))).status),
    );
    const leaked = await makegood('storefront', 'rotate-secret', 'shop2', '--grace-hours', '0');
    const k3 = printed(leaked.out, /^New secret k3/);
    printedCurrent = k3;
    const statuses = await Promise.all(
      [k1, k2, k3].map(async (s) => (await signedFetch(stack.apiUrl, 'GET', claimPath, undefined, as(s))).status),
    );

    // assert — 404: signed well, the claim does not exist; 401: the signature is refused
    expect(rotated.code, rotated.err).toBe(0);
    expect(rotated.out).toMatch(/k1 until .*: until then requests signed with either are accepted/);
    expect(during).toEqual([404, 404]);
    expect(statuses).toEqual([401, 401, 404]);
  });

  it('signs each webhook with the old and the new secret during a webhook secret rotation, so a receiver holding either verifies it', async () => {
    // arrange
    const rotated = await makegood('storefront', 'rotate-secret', 'shop2', '--webhook');
    const webhook2 = printed(rotated.out, /^New secret k2/);

    // act
    const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', claimBody(), { idempotencyKey: 'shop2-2', ...as(printedCurrent) });
    const { claimId } = (await res.json()) as { claimId: string };
    await eventually(() => received.some((r) => r.body.includes(claimId)));
    const delivery = received.find((r) => r.body.includes(claimId));
    const headers = delivery?.headers as Record<string, string>;

    // assert
    expect(String(headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [webhook1, webhook2]) {
      expect(() => new Webhook(secret).verify(delivery?.body ?? '', headers)).not.toThrow();
      expect(verifyWebhook(secret, delivery?.body ?? '', headers)).toEqual(JSON.parse(delivery?.body ?? ''));
    }
  });

  it('lists key ids and dates but never a secret value', async () => {
    // act
    const text = await makegood('storefront', 'list');
    const json = await makegood('storefront', 'list', '--format', 'json');
    const files = await readFile(join(stack.env.MAKEGOOD_SECRETS_DIR ?? '', 'storefronts', 'shop2.json'), 'utf8');
    const secrets = JSON.parse(files) as { signing: { secret: string }[]; webhook: { secret: string }[] };

    // assert
    expect(text.out).toMatch(
      /shop2 {2}Second Shop\n {2}webhook: http:\/\/127\.0\.0\.1:\d+\/hooks\n {2}signing secrets: k3 \(made [^)]+\), k2 \(made [^,]+, retired/,
    );
    const listing = JSON.parse(json.out) as { id: string; signing: { id: string }[] }[];
    expect(listing.find((s) => s.id === 'shop2')?.signing.map((k) => k.id)).toEqual(['k3', 'k2', 'k1']);
    for (const s of [...secrets.signing, ...secrets.webhook]) {
      expect(text.out).not.toContain(s.secret);
      expect(json.out).not.toContain(s.secret);
    }
  });

  it('rotates the approval keys so that a status link sent before keeps opening', async () => {
    // arrange
    const mail = await lastStatusLink();

    // act
    const rotated = await makegood('keys', 'rotate-approval');
    const after = await fetch(mail, { redirect: 'manual' });
    const listed = await makegood('keys', 'list');

    // assert
    expect(rotated.code, rotated.err).toBe(0);
    expect(rotated.out).toMatch(/k2 seals new links now/);
    expect(listed.out).toMatch(/k2 {2}current\n {2}k1 {2}retires 20\d\d-/);
    expect(after.status).toBe(200);
  });
});

/** The current signing secret of shop2, as the rotation test left it (k3). */
let printedCurrent = '';

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The newest customer status link (`/c/…`) in the mailbox. */
async function lastStatusLink(): Promise<string> {
  const links = (await mailbox(stack.mailUrl)).flatMap((m) => m.body.text?.match(/https?:\/\/\S+\/c\/[A-Za-z0-9._~-]+/g) ?? []);
  const link = links.at(-1);
  if (!link) throw new Error('no status link in the mailbox');
  return link;
}
