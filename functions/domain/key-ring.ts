/**
 * Signing keys with ids, so a key can be rotated without breaking what the old one signed.
 *
 * Every token makegood seals (approval links, status links, console links, cookies and form
 * nonces) names the id of the key that sealed it. New tokens are sealed with the ring's current
 * key; a token opens under the key its id names while that key is in the ring and not retired. A
 * rotation adds a key, makes it current, and gives the old one a retirement time at least as far
 * off as the longest-lived token it sealed, so every link already sent keeps working until it
 * expires of itself.
 */

/** A key id: `k` and a number (`k1`, `k2`, …), as tokens carry it. */
export const KEY_ID = /^k[1-9][0-9]{0,5}$/;

/** The keys that open tokens, and the one that seals new ones. */
export interface KeyRing {
  /** The key new tokens are sealed with. */
  readonly current: { readonly id: string; readonly key: Buffer };
  /** The key of this id, when it is in the ring and not retired at `now`; else undefined. */
  key(id: string, now: Date): Buffer | undefined;
}

/** One key of a ring as stored: its secret, and when it stops opening tokens (none: never). */
export interface RingKey {
  readonly id: string;
  readonly key: Buffer;
  readonly retiresAt?: Date;
}

/** A ring of `keys` whose current key is `currentId` (which must be among them and not retired). */
export function keyRing(currentId: string, keys: readonly RingKey[]): KeyRing {
  const byId = new Map(keys.map((k) => [k.id, k]));
  const current = byId.get(currentId);
  if (!current) throw new Error(`The key ring's current key ${currentId} is not among its keys (${[...byId.keys()].join(', ')})`);
  return {
    current: { id: current.id, key: current.key },
    key(id, now) {
      const k = byId.get(id);
      if (!k) return undefined;
      // The current key never retires: a stale retirement time left on it must not lock out every link.
      return k.id === current.id || k.retiresAt === undefined || now < k.retiresAt ? k.key : undefined;
    },
  };
}

/** A ring of one key (tests, and stacks that have never rotated). */
export function singleKeyRing(key: Buffer, id = 'k1'): KeyRing {
  return keyRing(id, [{ id, key }]);
}
