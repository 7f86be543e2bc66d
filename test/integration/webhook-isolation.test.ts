import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import { parsePolicy } from '#domain/policy.ts';
import { repoRoot } from '#local/stack.ts';
import { bootStack, claimBody, signedFetch, waitForClaim, writeStackSecrets } from './harness.ts';
import { eventually, newWebhookSecret, WebhookReceiver } from './webhook-receiver.ts';

/** A second shop, with its own signing secret and webhook secret, next to the demo storefront. */
const OTHER = 'other-shop';
const OTHER_SECRET = 'other-shop-secret';
/** Long enough that the demo's hanging attempts outlast everything the other shop does. */
const TIMEOUT_MS = 5_000;

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('webhook lanes', () => {
  it('delivers one shop’s events while another shop’s receiver hangs', async () => {
    // arrange: the demo shop's receiver never answers; the other shop's answers at once
    const demoSecret = newWebhookSecret();
    const otherSecret = newWebhookSecret();
    const hanging = await WebhookReceiver.start(demoSecret, () => ({ hang: true }));
    cleanups.push(() => hanging.close());
    const healthy = await WebhookReceiver.start(otherSecret, () => ({ status: 204 }));
    cleanups.push(() => healthy.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'makegood-lanes-'));
    // The other shop's signing and webhook secrets go in before the stack starts on this directory.
    await writeStackSecrets(dataDir, { storefronts: { [OTHER]: OTHER_SECRET }, webhooks: { [OTHER]: otherSecret } });
    const stack = await bootStack({
      dataDir,
      demoWebhook: { url: hanging.url, secret: demoSecret },
      functionEnv: { MAKEGOOD_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
    cleanups.push(() => stack.cleanup());
    const deps = makeDeps(parseConfig(stack.env));
    await deps.state.putStorefront({ id: OTHER, name: 'Other Shop', webhook: { url: healthy.url } });
    const policy = parsePolicy(JSON.parse(await readFile(join(repoRoot, 'policies/demo.json'), 'utf8')));
    await deps.state.publishPolicy(OTHER, policy, new Date());

    // act: a demo claim first, so its lane is hanging, then three claims of the other shop
    const demo = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', claimBody(), { idempotencyKey: randomUUID() });
    expect(demo.status).toBe(202);
    await eventually('the demo receiver to hold a request', () => (hanging.hanging > 0 ? true : undefined));
    const others: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', claimBody(), {
        idempotencyKey: randomUUID(),
        storefront: OTHER,
        secret: OTHER_SECRET,
      });
      expect(res.status).toBe(202);
      others.push(((await res.json()) as { claimId: string }).claimId);
    }
    for (const claimId of others)
      await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled', 400, { storefront: OTHER, secret: OTHER_SECRET });
    await eventually('the other shop’s 12 events', () => (healthy.processed.size >= 12 ? true : undefined));

    // assert: every event of the other shop arrived while the demo's first attempts still hang,
    // none of which has timed out yet (each would take 5 s): its lane held up nobody
    expect(healthy.processed.size).toBe(12);
    expect(hanging.hanging).toBeGreaterThan(0);
    expect(hanging.processed.size).toBe(0);
    const demoEvents = await deps.outbox.claimEvents(((await demo.json()) as { claimId: string }).claimId);
    expect(demoEvents.every((e) => e.status === 'pending' && e.attempts === 0)).toBe(true);
  });
});
