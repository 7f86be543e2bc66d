import { describe, expect, it } from 'vitest';
import { type SecretStore, storefrontSecretsSchema } from '#adapters/secrets.ts';
import type { Storefront } from '#ports';
import { keysCommand } from '../../../cli/keys.ts';
import { DEFAULT_GRACE_HOURS, parseStorefrontArgs, rotateSecret, storefrontCommand } from '../../../cli/storefront.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');

/** An in-memory stack: storefront settings and secrets. */
function fakes() {
  const storefronts = new Map<string, Storefront>();
  const files = new Map<string, string>();
  const secrets: SecretStore = {
    read: async (name) => files.get(name),
    write: async (name, value) => {
      files.set(name, value);
    },
  };
  const state = {
    storefront: async (id: string) => storefronts.get(id),
    storefronts: async () => [...storefronts.keys()],
    putStorefront: async (s: Storefront) => {
      storefronts.set(s.id, s);
    },
  };
  return { storefronts, files, deps: { state, secrets } };
}

async function run(argv: string[], f = fakes(), area: 'storefront' | 'keys' = 'storefront') {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => {
      out += t;
    },
    err: (t: string) => {
      err += t;
    },
    now: () => NOW,
  };
  const connect = async () => ({ deps: f.deps, secrets: f.deps.secrets, target: 'the test stack', deployed: true });
  const command = area === 'storefront' ? storefrontCommand({ ...io, connect }) : keysCommand({ ...io, connect });
  return { code: await command.run(argv), out, err, f };
}

describe('makegood storefront: the command line', () => {
  it.each([
    [['add'], /expected 1 argument \(the storefront id\), not 0/],
    [['add', 'a b', '--name', 'X'], /"a b" is not a storefront id/],
    [['add', 'shop', '--name', ' '], /--name is required/],
    [['add', 'shop', '--name', 'X', '--reply-to', 'Ann <ann@x.test>'], /--reply-to must be one email address/],
    [['add', 'shop', '--name', 'X', '--grace-hours', '3'], /storefront add: --grace-hours does not apply/],
    [['rotate-secret', 'shop', '--grace-hours=-1'], /--grace-hours must be a whole number of hours from 0 to 2160, not "-1"/],
    [['rotate-secret', 'shop', '--grace-hours', '2161'], /not "2161"/],
    [['rotate-secret', 'shop', '--grace-hours', '1.5'], /not "1\.5"/],
    [['set-webhook', 'shop'], /--url is required/],
    [['list', '--format', 'xml'], /--format must be text or json, not "xml"/],
    [['remove', 'shop'], /unknown subcommand remove/],
  ])('refuses %j with a usage error naming the problem', (argv, message) => {
    // act
    const parsing = () => parseStorefrontArgs(argv);

    // assert
    expect(parsing).toThrow(message);
  });

  it('takes a week of grace by default', () => {
    // act
    const request = parseStorefrontArgs(['rotate-secret', 'shop']);

    // assert
    expect(request).toEqual({ kind: 'rotate-secret', storefrontId: 'shop', webhook: false, graceHours: DEFAULT_GRACE_HOURS });
  });

  it('adds a storefront with a signing secret of its own, written before the settings, and says when a deployed stack takes it', async () => {
    // act
    const r = await run(['add', 'shop', '--name', 'Shop', '--return-address', 'Shop\\nStreet 1']);

    // assert
    expect(r.code, r.err).toBe(0);
    expect(r.f.storefronts.get('shop')).toEqual({ id: 'shop', name: 'Shop', returnAddress: 'Shop\nStreet 1' });
    const doc = storefrontSecretsSchema.parse(JSON.parse(r.f.files.get('storefronts/shop') ?? ''));
    expect(doc.signing).toEqual([{ id: 'k1', secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), createdAt: NOW.toISOString() }]);
    expect(r.out).toContain(doc.signing[0]?.secret);
    expect(r.out).toContain('Requests signed with it are accepted within 30 seconds.');
    expect(r.out).toContain('makegood policy put <file> --storefront shop');
  });

  it('refuses to rotate the secrets of a storefront that does not exist, or a webhook secret it does not have, writing nothing', async () => {
    // arrange
    const f = fakes();
    await run(['add', 'shop', '--name', 'Shop'], f);
    const before = new Map(f.files);

    // act
    const unknown = await run(['rotate-secret', 'other'], f);
    const noWebhook = await run(['rotate-secret', 'shop', '--webhook'], f);

    // assert
    expect([unknown.code, noWebhook.code]).toEqual([1, 1]);
    expect(unknown.err).toMatch(/No storefront other; nothing was changed/);
    expect(noWebhook.err).toMatch(/has no webhook secret to rotate; set its endpoint with makegood storefront set-webhook shop/);
    expect(f.files).toEqual(before);
  });

  it('keeps the old secret in force for the grace period it was given, and the newest first', async () => {
    // arrange
    const f = fakes();
    await run(['add', 'shop', '--name', 'Shop'], f);

    // act
    const { added, retiring } = await rotateSecret(
      { kind: 'rotate-secret', storefrontId: 'shop', webhook: false, graceHours: 48 },
      f.deps,
      NOW,
    );

    // assert
    expect(added).toMatchObject({ id: 'k2', createdAt: NOW.toISOString() });
    expect(retiring).toEqual([expect.objectContaining({ id: 'k1', retiresAt: '2026-12-05T12:00:00.000Z' })]);
  });
});

describe('makegood storefront: what it must never lose', () => {
  it('keeps the secrets of a storefront that has them but no settings, and shows none of them', async () => {
    // arrange — secrets a shop signs with, left by an earlier version without settings
    const f = fakes();
    const live = { signing: [{ id: 'k1', secret: 'LIVE-secret-the-shop-uses', createdAt: '2026-11-01T00:00:00.000Z' }] };
    f.files.set('storefronts/legacy', JSON.stringify(live));

    // act
    const r = await run(['add', 'legacy', '--name', 'Legacy'], f);

    // assert
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(f.files.get('storefronts/legacy') ?? '')).toEqual(live);
    expect(f.storefronts.get('legacy')).toEqual({ id: 'legacy', name: 'Legacy' });
    expect(r.out).toContain('keeping the secrets it already had (signing k1; webhook none)');
    expect(r.out).not.toContain('LIVE-secret');
  });

  it('sets the webhook URL before it makes the secret, so a failed write leaves no secret nobody saw', async () => {
    // arrange
    const f = fakes();
    await run(['add', 'shop', '--name', 'Shop'], f);
    const put = f.deps.state.putStorefront;
    f.deps.state.putStorefront = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    // act
    const failed = await run(['set-webhook', 'shop', '--url', 'https://shop.test/hooks'], f).catch((e: Error) => e.message);
    f.deps.state.putStorefront = put;
    const again = await run(['set-webhook', 'shop', '--url', 'https://shop.test/hooks'], f);

    // assert
    expect(failed).toMatch(/ProvisionedThroughputExceededException/);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/Webhook signing secret k1, shown only now:\n {2}whsec_/);
  });

  it('refuses a storefront id that Secrets Manager would take for an ARN suffix', () => {
    // act
    const parsing = () => parseStorefrontArgs(['add', 'shop-AbCdEf', '--name', 'Shop']);

    // assert
    expect(parsing).toThrow(/ends in - and six letters or digits/);
  });
});

describe('makegood keys: the command line', () => {
  it('refuses a bad --retire-after-days and an unknown subcommand, and lists without a value', async () => {
    // arrange
    const f = fakes();
    f.files.set('approval-keys', JSON.stringify({ current: 'k1', k1: 'x'.repeat(64) }));

    // act
    const bad = await run(['rotate-approval', '--retire-after-days', 'soon'], f, 'keys');
    const unknown = await run(['forget'], f, 'keys');
    const rotated = await run(['rotate-approval', '--retire-after-days', '30'], f, 'keys');

    // assert
    expect([bad.code, unknown.code, rotated.code]).toEqual([2, 2, 0]);
    expect(bad.err).toMatch(/--retire-after-days must be a whole number of days from 0 to 3650, not "soon"/);
    expect(rotated.out).toMatch(/k2 seals new links from 2026-12-03T12:06:00\.000Z, once every function has read it/);
    expect(JSON.parse(f.files.get('approval-keys') ?? '').activatesAt).toEqual({ k2: '2026-12-03T12:06:00.000Z' });
    expect(rotated.out).toMatch(/Warning: links sealed by the older keys stop working when they retire/);
    expect(rotated.out).toContain('k2  current from 2026-12-03T12:06:00.000Z');
    expect(rotated.out).toContain('k1  retires 2027-01-02T12:06:00.000Z');
    expect(rotated.out).not.toContain('x'.repeat(64));
  });

  it('says that there are no keys rather than making some', async () => {
    // act
    const r = await run(['list'], fakes(), 'keys');

    // assert
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/There are no approval keys/);
  });
});
