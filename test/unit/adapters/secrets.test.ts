import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DocumentSecrets, fileSource, secretsManagerSource } from '#adapters/secrets.ts';

const APPROVAL_KEY = '0123456789abcdef'.repeat(4);
const document = { approvalKey: APPROVAL_KEY, financeKey: 'finance-key-1', storefronts: { demo: 'demo-secret-1' } };

const sm = mockClient(SecretsManagerClient);

afterEach(() => {
  sm.reset();
  vi.useRealTimers();
});

describe('DocumentSecrets', () => {
  it('reads the storefront secret, the approval key and the finance key from the document', async () => {
    // arrange
    const secrets = new DocumentSecrets(async () => JSON.stringify(document));

    // act
    const [storefront, approvalKey, financeKey] = await Promise.all([
      secrets.storefrontSecret('demo'),
      secrets.approvalKey(),
      secrets.financeKey(),
    ]);

    // assert
    expect(storefront).toBe('demo-secret-1');
    expect(approvalKey).toEqual(Buffer.from(APPROVAL_KEY, 'utf8'));
    expect(financeKey).toBe('finance-key-1');
  });

  it.each(['other', '__proto__', 'constructor', 'toString', 'hasOwnProperty'])('knows no secret for the storefront %j', async (id) => {
    // arrange
    const secrets = new DocumentSecrets(async () => JSON.stringify(document));

    // act
    const secret = await secrets.storefrontSecret(id);

    // assert
    expect(secret).toBeUndefined();
  });

  it.each([
    ['a short approval key', { ...document, approvalKey: 'short-key-9f3a' }, /approvalKey/],
    ['a short finance key', { ...document, financeKey: 'short' }, /financeKey/],
    ['a storefront id with a #', { ...document, storefronts: { 'de#mo': 'demo-secret-1' } }, /storefront ids/],
    ['a short storefront secret', { ...document, storefronts: { demo: 'q7z' } }, /storefronts/],
    ['an unknown field', { ...document, extra: true }, /extra/],
  ])('refuses a document with %s, naming the problem', async (_what, doc, problem) => {
    // arrange
    const secrets = new DocumentSecrets(async () => JSON.stringify(doc));

    // act
    const reading = secrets.financeKey();

    // assert
    await expect(reading).rejects.toThrow(problem);
  });

  it('answers no finance key until an operator sets one (a fresh deploy generates only the approval key)', async () => {
    // arrange
    const secrets = new DocumentSecrets(async () => JSON.stringify({ approvalKey: APPROVAL_KEY, storefronts: {} }));

    // act
    const key = await secrets.financeKey();

    // assert
    expect(key).toBeUndefined();
  });

  it('names the problem of a bad document without repeating the secret values in it', async () => {
    // arrange
    const secrets = new DocumentSecrets(async () =>
      JSON.stringify({ ...document, approvalKey: 'short-key-9f3a', storefronts: { demo: 'q7z' } }),
    );

    // act
    const error = await secrets.storefrontSecret('demo').catch((err: Error) => err);

    // assert
    expect(String(error)).toMatch(/approvalKey/);
    expect(String(error)).not.toContain('short-key-9f3a');
    expect(String(error)).not.toContain('q7z');
    expect(String(error)).not.toContain('finance-key-1');
  });

  it('loads the document once and serves later reads from the cache', async () => {
    // arrange
    const load = vi.fn(async () => JSON.stringify(document));
    const secrets = new DocumentSecrets(load);

    // act
    await secrets.storefrontSecret('demo');
    await secrets.approvalKey();
    await secrets.financeKey();

    // assert
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('loads the document again once the cache expired, so a rotated secret takes effect', async () => {
    // arrange
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-10T12:00:00.000Z') });
    const load = vi
      .fn<() => Promise<string>>()
      .mockResolvedValueOnce(JSON.stringify(document))
      .mockResolvedValueOnce(JSON.stringify({ ...document, financeKey: 'finance-key-2' }));
    const secrets = new DocumentSecrets(load);
    const before = await secrets.financeKey();

    // act
    vi.setSystemTime(new Date('2026-11-10T12:04:59.000Z'));
    const cached = await secrets.financeKey();
    vi.setSystemTime(new Date('2026-11-10T12:05:01.000Z'));
    const rotated = await secrets.financeKey();

    // assert
    expect([before, cached, rotated]).toEqual(['finance-key-1', 'finance-key-1', 'finance-key-2']);
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe('secret sources', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'makegood-secrets-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fileSource reads the document from a file', async () => {
    // arrange
    const path = join(dir, 'secrets.json');
    await writeFile(path, JSON.stringify(document));

    // act
    const secret = await new DocumentSecrets(fileSource(path)).storefrontSecret('demo');

    // assert
    expect(secret).toBe('demo-secret-1');
  });

  it('secretsManagerSource reads the secret string of the configured secret', async () => {
    // arrange
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(document) });
    const source = secretsManagerSource(new SecretsManagerClient({ region: 'eu-west-1' }), 'makegood/secrets');

    // act
    const text = await source();

    // assert
    expect(JSON.parse(text)).toEqual(document);
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: 'makegood/secrets' });
  });

  it('secretsManagerSource refuses a secret without a string value', async () => {
    // arrange
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const source = secretsManagerSource(new SecretsManagerClient({ region: 'eu-west-1' }), 'makegood/secrets');

    // act
    const reading = source();

    // assert
    await expect(reading).rejects.toThrow('makegood/secrets has no string value');
  });
});
