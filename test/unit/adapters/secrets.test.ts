import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  approvalKeyRing,
  approvalKeysSchema,
  directoryStore,
  rotated,
  rotatedApprovalKeys,
  type SecretSource,
  StoreSecrets,
  secretKinds,
  secretsManagerStore,
} from '#adapters/secrets.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const clock = { now: () => NOW };
const KEY1 = '0123456789abcdef'.repeat(4);
const KEY2 = 'fedcba9876543210'.repeat(4);
const WHSEC1 = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const WHSEC2 = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;

const documents: Record<string, unknown> = {
  'approval-keys': { current: 'k2', k2: KEY2, k1: KEY1, retiresAt: { k1: '2027-01-01T00:00:00.000Z' } },
  'finance-key': { key: 'finance-key-1' },
  'storefronts/demo': {
    signing: [
      { id: 'k2', secret: 'demo-secret-2', createdAt: '2026-12-01T00:00:00.000Z' },
      { id: 'k1', secret: 'demo-secret-1', createdAt: '2026-11-01T00:00:00.000Z', retiresAt: '2026-12-08T00:00:00.000Z' },
    ],
    webhook: [
      { id: 'k2', secret: WHSEC2, createdAt: '2026-12-01T00:00:00.000Z' },
      { id: 'k1', secret: WHSEC1, createdAt: '2026-11-01T00:00:00.000Z', retiresAt: '2026-12-02T00:00:00.000Z' },
    ],
  },
};

function sourceOf(docs: Record<string, unknown>): SecretSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: async (name) => {
      reads.push(name);
      return Object.hasOwn(docs, name) ? JSON.stringify(docs[name]) : undefined;
    },
  };
}

const sm = mockClient(SecretsManagerClient);

afterEach(() => {
  sm.reset();
  vi.useRealTimers();
});

describe('StoreSecrets', () => {
  it('serves every signing and webhook secret still in force, newest first, and none retired', async () => {
    // arrange
    const secrets = new StoreSecrets(sourceOf(documents), secretKinds, clock);

    // act
    const [signing, webhooks] = await Promise.all([secrets.storefrontSigningSecrets('demo'), secrets.webhookSecrets('demo')]);

    // assert — k1's signing secret is in its grace period; k1's webhook secret retired yesterday
    expect(signing).toEqual(['demo-secret-2', 'demo-secret-1']);
    expect(webhooks).toEqual([WHSEC2]);
  });

  it('opens tokens of every approval key in force and seals with the current one', async () => {
    // arrange
    const secrets = new StoreSecrets(sourceOf(documents), secretKinds, clock);

    // act
    const ring = await secrets.approvalKeys();

    // assert
    expect(ring.current).toEqual({ id: 'k2', key: Buffer.from(KEY2) });
    expect(ring.key('k1', NOW)).toEqual(Buffer.from(KEY1));
    expect(ring.key('k1', new Date('2027-01-01T00:00:00.000Z'))).toBeUndefined();
    expect(ring.key('k3', NOW)).toBeUndefined();
    expect(await secrets.financeKey()).toBe('finance-key-1');
  });

  it.each(['other', '__proto__', 'constructor', '../approval-keys', 'a/b', 'demo.json', '', 'x'.repeat(65)])(
    'knows no secret for the storefront %j, and reads nothing outside the storefronts for it',
    async (id) => {
      // arrange
      const source = sourceOf(documents);
      const secrets = new StoreSecrets(source, secretKinds, clock);

      // act
      const [signing, webhooks] = await Promise.all([secrets.storefrontSigningSecrets(id), secrets.webhookSecrets(id)]);

      // assert
      expect([signing, webhooks]).toEqual([[], []]);
      expect(source.reads.every((name) => /^storefronts\/[A-Za-z0-9_-]{1,64}$/.test(name))).toBe(true);
    },
  );

  it('refuses to read a kind of secret the function is not granted, naming it', async () => {
    // arrange
    const source = sourceOf(documents);
    const secrets = new StoreSecrets(source, ['storefronts'], clock);

    // act
    const errors = await Promise.all([
      secrets.approvalKeys().catch((e: Error) => e.message),
      secrets.financeKey().catch((e: Error) => e.message),
    ]);

    // assert
    expect(errors[0]).toMatch(/approval-keys was read, but this function's access grants no approval secrets/);
    expect(errors[1]).toMatch(/finance-key was read, but this function's access grants no finance secrets/);
    expect(source.reads).toEqual([]);
  });

  it('names the secret and the field of a malformed secret, and never a value', async () => {
    // arrange
    const secrets = new StoreSecrets(
      sourceOf({
        'approval-keys': { current: 'k3', k1: 'short-key-9f3a', k2: KEY2 },
        'storefronts/demo': {
          signing: [{ id: 'one', secret: 'demo-secret-1', createdAt: 'yesterday' }],
          webhook: [{ id: 'k1', secret: 'q7z', createdAt: NOW.toISOString() }],
        },
      }),
      secretKinds,
      clock,
    );

    // act
    const approval = await secrets.approvalKeys().catch((e: Error) => e.message);
    const storefront = await secrets.storefrontSigningSecrets('demo').catch((e: Error) => e.message);

    // assert
    expect(approval).toMatch(/^The secret approval-keys is not as expected: /);
    expect(approval).toMatch(/k1: a key is a string of at least 32 characters/);
    expect(approval).toMatch(/current: names k3, which is not a key of the document/);
    expect(storefront).toMatch(/^The secret storefronts\/demo is not as expected: /);
    expect(storefront).toMatch(/signing\.0\.id/);
    expect(storefront).toMatch(/signing\.0\.createdAt/);
    expect(storefront).toMatch(/webhook\.0\.secret/);
    for (const value of ['short-key-9f3a', KEY2, 'demo-secret-1', 'q7z']) {
      expect(approval).not.toContain(value);
      expect(storefront).not.toContain(value);
    }
  });

  it('says which secret is not JSON', async () => {
    // arrange
    const secrets = new StoreSecrets({ read: async () => '{"current":' }, secretKinds, clock);

    // act
    const reading = secrets.approvalKeys();

    // assert
    await expect(reading).rejects.toThrow('The secret approval-keys is not valid JSON');
  });

  it('says that the approval keys are missing, and that a missing finance key authenticates nobody', async () => {
    // arrange
    const secrets = new StoreSecrets(sourceOf({}), secretKinds, clock);

    // act
    const reading = secrets.approvalKeys();

    // assert
    await expect(reading).rejects.toThrow(/approval-keys does not exist/);
    expect(await secrets.financeKey()).toBeUndefined();
  });

  it('reads each secret once per cache period, so a rotation takes effect after it, and a missing one again after 30 s', async () => {
    // arrange
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-10T12:00:00.000Z') });
    const docs: Record<string, unknown> = { 'finance-key': { key: 'finance-key-1' } };
    const source = sourceOf(docs);
    const secrets = new StoreSecrets(source, secretKinds, clock, 5 * 60_000);
    const before = [await secrets.financeKey(), await secrets.storefrontSigningSecrets('new-shop')];

    // act
    docs['finance-key'] = { key: 'finance-key-2' };
    docs['storefronts/new-shop'] = { signing: [{ id: 'k1', secret: 'new-shop-secret', createdAt: NOW.toISOString() }] };
    vi.setSystemTime(new Date('2026-11-10T12:00:29.000Z'));
    const cached = [await secrets.financeKey(), await secrets.storefrontSigningSecrets('new-shop')];
    vi.setSystemTime(new Date('2026-11-10T12:00:31.000Z'));
    const shopAdded = await secrets.storefrontSigningSecrets('new-shop');
    vi.setSystemTime(new Date('2026-11-10T12:05:01.000Z'));
    const rotatedKey = await secrets.financeKey();

    // assert
    expect(before).toEqual(['finance-key-1', []]);
    expect(cached).toEqual(['finance-key-1', []]);
    expect(shopAdded).toEqual(['new-shop-secret']);
    expect(rotatedKey).toBe('finance-key-2');
    expect(source.reads.filter((n) => n === 'finance-key')).toHaveLength(2);
  });
});

describe('StoreSecrets under requests for made-up storefronts', () => {
  it('keeps at most 1,000 secrets cached, dropping the oldest read first', async () => {
    // arrange
    const source = sourceOf(documents);
    const secrets = new StoreSecrets(source, secretKinds, clock);
    await secrets.storefrontSigningSecrets('demo');

    // act
    for (let i = 0; i < 1000; i++) await secrets.storefrontSigningSecrets(`made-up-${i}`);
    await secrets.storefrontSigningSecrets('made-up-999');
    await secrets.storefrontSigningSecrets('demo');

    // assert — the newest is still cached; demo, the oldest, was dropped and read again
    expect(source.reads.filter((n) => n === 'storefronts/made-up-999')).toHaveLength(1);
    expect(source.reads.filter((n) => n === 'storefronts/demo')).toHaveLength(2);
  });
});

describe('rotation', () => {
  it('puts the new secret first and retires those in force at the end of the grace period, dropping the retired', () => {
    // arrange
    const list = [
      { id: 'k3', secret: 'three-333', createdAt: '2026-11-01T00:00:00.000Z' },
      { id: 'k2', secret: 'two-22222', createdAt: '2026-10-01T00:00:00.000Z', retiresAt: '2026-12-04T00:00:00.000Z' },
      { id: 'k1', secret: 'one-11111', createdAt: '2026-09-01T00:00:00.000Z', retiresAt: '2026-11-01T00:00:00.000Z' },
    ];

    // act
    const next = rotated(list, 'four-4444', NOW, new Date('2026-12-10T12:00:00.000Z'));

    // assert — k2 keeps its earlier retirement; k1 is gone
    expect(next).toEqual([
      { id: 'k4', secret: 'four-4444', createdAt: NOW.toISOString() },
      { id: 'k3', secret: 'three-333', createdAt: '2026-11-01T00:00:00.000Z', retiresAt: '2026-12-10T12:00:00.000Z' },
      { id: 'k2', secret: 'two-22222', createdAt: '2026-10-01T00:00:00.000Z', retiresAt: '2026-12-04T00:00:00.000Z' },
    ]);
  });

  it('makes a new approval key current, and the old one opens its tokens until it retires', () => {
    // arrange
    const doc = approvalKeysSchema.parse({ current: 'k1', k1: KEY1 });

    // act
    const next = rotatedApprovalKeys(doc, KEY2, NOW, new Date('2027-06-01T12:00:00.000Z'));
    const ring = approvalKeyRing(next, NOW);

    // assert
    expect(next).toEqual({ current: 'k2', k2: KEY2, k1: KEY1, retiresAt: { k1: '2027-06-01T12:00:00.000Z' } });
    expect(ring.current.id).toBe('k2');
    expect(ring.key('k1', new Date('2027-06-01T11:59:59.000Z'))).toEqual(Buffer.from(KEY1));
    expect(ring.key('k1', new Date('2027-06-01T12:00:00.000Z'))).toBeUndefined();
  });
});

describe('approval key rotation, the hard cases', () => {
  it('keeps the key that was current even when its document gives it a retirement time', () => {
    // arrange — a stale retirement left on the current key (a hand rollback)
    const doc = approvalKeysSchema.parse({
      current: 'k1',
      k1: KEY1,
      k2: KEY2,
      retiresAt: { k1: '2026-06-01T00:00:00.000Z', k2: '2026-06-01T00:00:00.000Z' },
    });

    // act
    const next = rotatedApprovalKeys(doc, 'c'.repeat(64), NOW, new Date('2027-06-01T12:00:00.000Z'));

    // assert — k1 still opens what it sealed; k2, retired, is gone
    expect(next.current).toBe('k3');
    expect(next.k1).toBe(KEY1);
    expect(next.k2).toBeUndefined();
    expect(approvalKeyRing(next, NOW).key('k1', NOW)).toEqual(Buffer.from(KEY1));
  });

  it('lets the old key seal until the new one activates, and the new one open from the start', () => {
    // arrange
    const activateAt = new Date(NOW.getTime() + 6 * 60_000);
    const next = rotatedApprovalKeys(
      approvalKeysSchema.parse({ current: 'k1', k1: KEY1 }),
      KEY2,
      NOW,
      new Date('2027-06-01T12:00:00.000Z'),
      activateAt,
    );

    // act
    const before = approvalKeyRing(next, NOW);
    const after = approvalKeyRing(next, activateAt);

    // assert
    expect(next.activatesAt).toEqual({ k2: activateAt.toISOString() });
    expect(before.current.id).toBe('k1');
    expect(before.key('k2', NOW)).toEqual(Buffer.from(KEY2));
    expect(after.current.id).toBe('k2');
  });
});

describe('secret stores', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'makegood-secrets-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('directoryStore writes each secret as a file only its owner can read, and reads it back', async () => {
    // arrange
    const store = directoryStore(dir);

    // act
    await store.write('storefronts/shop-1', '{"signing":[]}', 'ignored');
    const read = await store.read('storefronts/shop-1');
    const missing = await store.read('storefronts/shop-2');

    // assert
    expect(read).toBe('{"signing":[]}');
    expect(missing).toBeUndefined();
    expect((await stat(join(dir, 'storefronts', 'shop-1.json'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'storefronts', 'shop-1.json'), 'utf8')).toBe('{"signing":[]}');
  });

  it('directoryStore serves what the embedded stack wrote to StoreSecrets', async () => {
    // arrange
    await writeFile(join(dir, 'finance-key.json'), JSON.stringify({ key: 'finance-from-file' }));

    // act
    const key = await new StoreSecrets(directoryStore(dir), ['finance'], clock, 0).financeKey();

    // assert
    expect(key).toBe('finance-from-file');
  });

  it('secretsManagerStore reads <prefix>/<name>, and says undefined for a secret that does not exist', async () => {
    // arrange
    sm.on(GetSecretValueCommand, { SecretId: 'makegood/Stateful/finance-key' }).resolves({ SecretString: '{"key":"k"}' });
    sm.on(GetSecretValueCommand, { SecretId: 'makegood/Stateful/storefronts/none' }).rejects(
      new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
    );
    const store = secretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }), 'makegood/Stateful');

    // act
    const [found, missing] = await Promise.all([store.read('finance-key'), store.read('storefronts/none')]);

    // assert
    expect(found).toBe('{"key":"k"}');
    expect(missing).toBeUndefined();
  });

  it('secretsManagerStore refuses a secret without a string value', async () => {
    // arrange
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const store = secretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }), 'makegood/Stateful');

    // act
    const reading = store.read('finance-key');

    // assert
    await expect(reading).rejects.toThrow('makegood/Stateful/finance-key has no string value');
  });

  it('secretsManagerStore puts a new value of an existing secret, and creates one that does not exist', async () => {
    // arrange
    sm.on(PutSecretValueCommand, { SecretId: 'p/storefronts/old' }).resolves({});
    sm.on(PutSecretValueCommand, { SecretId: 'p/storefronts/new' }).rejects(
      new ResourceNotFoundException({ message: 'no', $metadata: {} }),
    );
    sm.on(CreateSecretCommand).resolves({});
    const store = secretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }), 'p');

    // act
    await store.write('storefronts/old', 'v1', 'old shop');
    await store.write('storefronts/new', 'v2', 'new shop');

    // assert
    expect(sm.commandCalls(CreateSecretCommand).map((c) => c.args[0].input)).toEqual([
      { Name: 'p/storefronts/new', SecretString: 'v2', Description: 'new shop' },
    ]);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(2);
  });
});
