import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import { parsePolicy } from '#domain/policy.ts';
import { demoClaims } from '#local/demo.ts';
import { repoRoot } from '#local/stack.ts';
import { bootStack, mailbox, signedFetch, waitForClaim, writeStackSecrets } from './harness.ts';

/**
 * The console's walls, over plain HTTP: an approver sees and acts on their own storefront's
 * claims within their own tiers, and nothing else; a sign-in link works once.
 */
type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
const OTHER = 'other';
const OTHER_SECRET = 'it-console-other-secret';

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'makegood-console-'));
  await writeStackSecrets(dataDir, { storefronts: { [OTHER]: OTHER_SECRET } });
  stack = await bootStack({ dataDir });
  // A second shop whose policy names the same agent: one address, two shops, two separate sign-ins.
  const deps = makeDeps(parseConfig(stack.env));
  await deps.state.putStorefront({ id: OTHER, name: 'Other Shop' });
  const policy = parsePolicy(JSON.parse(await readFile(join(repoRoot, 'policies/demo.json'), 'utf8')));
  await deps.state.publishPolicy(OTHER, { ...policy, storefrontId: OTHER }, new Date());
});
afterAll(async () => {
  await stack?.cleanup();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: stack.apiUrl, ...headers },
    body,
  });
}

/** Signs in as `email` at `shop` by the mailed link: the session cookie, and the link that signed in. */
async function signIn(email: string, shop: string): Promise<{ cookie: string; link: string }> {
  const before = (await mailbox(stack.mailUrl)).length;
  expect((await post('/console/login', form({ email }))).status).toBe(200);
  let link: string | undefined;
  for (let i = 0; i < 200 && !link; i++) {
    const mails = (await mailbox(stack.mailUrl)).slice(before).filter((m) => m.destination.to.includes(email));
    const links = mails.map((m) => /(https?:\/\/\S+\/console\/login\/[A-Za-z0-9._~-]+)/.exec(m.body.text ?? '')?.[1]);
    // One link per shop whose policy names the address; the confirmation page says which shop.
    for (const l of links) if (l && (await (await fetch(l)).text()).includes(`<b>${shop}</b>`)) link = l;
    if (!link) await new Promise((r) => setTimeout(r, 50));
  }
  if (!link) throw new Error(`no sign-in link for ${email} at ${shop}`);
  const res = await post(new URL(link).pathname, '');
  expect(res.status).toBe(303);
  const cookie = /mg_console=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  return { cookie: `mg_console=${cookie}`, link };
}

async function claimAwaitingAgent(storefront?: { storefront: string; secret: string }): Promise<{ claimId: string; orderId: string }> {
  const body = demoClaims().approval;
  body.order.id = `ORD-${randomUUID().slice(0, 8)}`;
  body.customer = { ...body.customer, id: `C-${randomUUID().slice(0, 8)}`, email: `c-${randomUUID().slice(0, 8)}@example.com` };
  const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID(), ...(storefront ?? {}) });
  expect(res.status).toBe(202);
  const { claimId } = (await res.json()) as { claimId: string };
  await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'awaiting_approval', 400, storefront);
  return { claimId, orderId: body.order.id };
}

describe('the console’s walls', () => {
  it('shows an agent only their own shop’s claims, a supervisor nothing below their tier, and changes nothing they may not', async () => {
    // arrange: a claim for the demo agent, and one for the other shop's agent (the same address)
    const demo = await claimAwaitingAgent();
    const other = await claimAwaitingAgent({ storefront: OTHER, secret: OTHER_SECRET });
    const agent = await signIn('agent@demo.test', 'Demo Shop');
    const supervisor = await signIn('supervisor@demo.test', 'Demo Shop');

    // act
    const agentQueue = await (await fetch(`${stack.apiUrl}/console`, { headers: { cookie: agent.cookie } })).text();
    const foreign = await fetch(`${stack.apiUrl}/console/claims/${other.claimId}`, { headers: { cookie: agent.cookie } });
    const supervisorQueue = await (await fetch(`${stack.apiUrl}/console`, { headers: { cookie: supervisor.cookie } })).text();
    const below = await fetch(`${stack.apiUrl}/console/claims/${demo.claimId}`, { headers: { cookie: supervisor.cookie } });
    // The supervisor forges a decision on the agent's round with a nonce of their own session.
    const supervisorPage = await (await fetch(`${stack.apiUrl}/console`, { headers: { cookie: supervisor.cookie } })).text();
    const nonce = /name="nonce" value="([^"]+)"/.exec(supervisorPage)?.[1] ?? '';
    const forged = await post(`/console/claims/${demo.claimId}/decision`, form({ nonce, decision: 'approve', amount: '93.99' }), {
      cookie: supervisor.cookie,
    });
    const replayedLink = await post(new URL(agent.link).pathname, '');

    // assert
    expect(agentQueue).toContain(demo.orderId);
    expect(agentQueue).not.toContain(other.orderId);
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).not.toContain(other.orderId);
    expect(supervisorQueue).not.toContain(demo.orderId);
    expect(below.status).toBe(404);
    expect(forged.status).toBe(404);
    expect(replayedLink.status).toBe(409);
    const after = await waitForClaim(stack.apiUrl, demo.claimId, () => true);
    expect(after.status).toBe('awaiting_approval');
    expect(after.timeline.map((t) => t.type)).not.toContain('approved');
  });
});
