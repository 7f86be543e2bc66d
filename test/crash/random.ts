/**
 * A seeded source of randomness (mulberry32), so that a failing run can be replayed: the same
 * seed gives the same claims, the same decisions and the same kill schedule. What it cannot fix
 * is the exact instant a kill lands relative to the stack's work, which the scheduler decides.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One element, picked uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One key, picked with the given weights. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
  /** A short id made of the seeded stream, for order and customer ids. */
  id(): string;
}

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
    weighted: <K extends string>(weights: Readonly<Record<K, number>>): K => {
      const entries = Object.entries(weights) as [K, number][];
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let at = next() * total;
      for (const [key, w] of entries) {
        at -= w;
        if (at < 0) return key;
      }
      return (entries.at(-1) as [K, number])[0];
    },
    id: () => int(0, 0xffffffff).toString(16).padStart(8, '0'),
  };
}
