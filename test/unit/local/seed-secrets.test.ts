import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSecrets } from '#local/seed.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const OLD_KEY = 'a'.repeat(64);
const WHSEC = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
let dir: string;
const read = async (name: string) => JSON.parse(await readFile(join(dir, 'secrets', `${name}.json`), 'utf8'));
const settings = { demoSecret: 'demo-secret', financeKey: 'finance-1' };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-seed-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded secrets at boot', () => {
  it('moves an earlier version’s secrets.json over: its approval key as k1, each storefront’s secrets, and renames it', async () => {
    // arrange
    await writeFile(
      join(dir, 'secrets.json'),
      JSON.stringify({
        approvalKey: OLD_KEY,
        financeKey: 'old',
        storefronts: { demo: 'demo-secret', shop: 'shop-secret' },
        webhooks: { shop: WHSEC },
      }),
    );

    // act
    await ensureSecrets(join(dir, 'secrets'), join(dir, 'secrets.json'), settings, NOW);

    // assert
    expect(await read('approval-keys')).toEqual({ current: 'k1', k1: OLD_KEY });
    expect(await read('storefronts/shop')).toEqual({
      signing: [{ id: 'k1', secret: 'shop-secret', createdAt: NOW.toISOString() }],
      webhook: [{ id: 'k1', secret: WHSEC, createdAt: NOW.toISOString() }],
    });
    expect(await read('finance-key')).toEqual({ key: 'finance-1' });
    await expect(stat(join(dir, 'secrets.json'))).rejects.toThrow(/ENOENT/);
    expect((await stat(join(dir, 'secrets.json.migrated'))).isFile()).toBe(true);
  });

  it('finishes a migration that stopped halfway, overwriting nothing already moved', async () => {
    // arrange — a first boot wrote one storefront, then stopped; the shop's secret was rotated since
    await writeFile(join(dir, 'secrets.json'), JSON.stringify({ approvalKey: OLD_KEY, storefronts: { a: 'a-secret-1', b: 'b-secret-1' } }));
    await mkdir(join(dir, 'secrets', 'storefronts'), { recursive: true });
    const rotated = { signing: [{ id: 'k2', secret: 'a-secret-2', createdAt: NOW.toISOString() }] };
    await writeFile(join(dir, 'secrets', 'storefronts', 'a.json'), JSON.stringify(rotated));

    // act
    await ensureSecrets(join(dir, 'secrets'), join(dir, 'secrets.json'), settings, NOW);
    await ensureSecrets(join(dir, 'secrets'), join(dir, 'secrets.json'), settings, NOW);

    // assert
    expect(await read('storefronts/a')).toEqual(rotated);
    expect(await read('storefronts/b')).toEqual({ signing: [{ id: 'k1', secret: 'b-secret-1', createdAt: NOW.toISOString() }] });
    expect(await read('approval-keys')).toEqual({ current: 'k1', k1: OLD_KEY });
  });

  it('keeps a generated approval key across boots, and lets the demo storefront follow its environment', async () => {
    // act
    await ensureSecrets(join(dir, 'secrets'), join(dir, 'secrets.json'), settings, NOW);
    const first = await read('approval-keys');
    await ensureSecrets(join(dir, 'secrets'), join(dir, 'secrets.json'), { ...settings, demoSecret: 'demo-secret-2' }, NOW);

    // assert
    expect(first).toEqual({ current: 'k1', k1: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await read('approval-keys')).toEqual(first);
    expect((await read('storefronts/demo')).signing).toEqual([{ id: 'k2', secret: 'demo-secret-2', createdAt: NOW.toISOString() }]);
  });
});
