import fc from 'fast-check';

/**
 * What an attacker sends instead of what a page or a storefront would: odd text, odd numbers,
 * broken JSON, broken percent-encodings, and ways to change a JSON document a little.
 */

/** Text no honest client sends, but any client can: each is one value of a field. */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\t\n',
    '\u0000',
    'a\u0000b',
    '\u0007',
    'ORD-1\r\nBcc: victim@example.com',
    '\u202egpj.exe',
    '\u2066\u2067\u2068\u2069',
    '\u200b\u200c\u200d\ufeff',
    '\u2028\u2029',
    '\ud800',
    '\udfff',
    'a\ud83d',
    '\ude00b',
    '👩‍👩‍👧‍👦',
    'e\u0301\u0301\u0301\u0301',
    'شركة',
    'ЗАМ-1001',
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    ['$', '{7*7}{{7*7}}%s%n'].join(''),
    '__proto__',
    'constructor',
    'null',
    'NaN',
    '%00%zz%',
    '../../../etc/passwd',
    'clm_00000000000000000000000000000000',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: 200, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** Numbers at and past the edges: fractions, negatives, beyond 2^53, and JSON spellings that parse to ±Infinity or -0. */
export const oddNumber: fc.Arbitrary<{ json: string }> = fc
  .oneof(
    fc.constantFrom(
      '0',
      '-0',
      '-1',
      '0.5',
      '10.001',
      '1e-7',
      '0.1e1',
      '9007199254740991',
      '9007199254740992',
      '9007199254740993',
      '123456789012345678901234567890',
      '1e21',
      '1e308',
      '-1e308',
      '1e999',
      '-1e999',
      '2147483648',
      '-2147483649',
    ),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
    fc.integer().map(String),
  )
  .map((json) => ({ json }));

/** An amount as a person might type one into a form, or an attacker would. */
export const oddAmount: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '93.99',
    '10.00',
    '10',
    '0',
    '0.00',
    '-5',
    '10.001',
    '1e9',
    '1e999',
    'NaN',
    'Infinity',
    '0x10',
    '１０',
    '١٠',
    '10,00',
    ' 10.00 ',
    '10.00€',
    '9999999999999999999.99',
    '.5',
    '5.',
    '+5',
  ),
  fc.double({ noNaN: true }).map(String),
  oddText,
);

/** A path segment that is not what the route expects: broken and odd percent-encodings, dot segments, long and odd ids. */
export const oddSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%',
    '%zz',
    '%1',
    '%E0%A4%A',
    '%ED%A0%80',
    '%C0%AF',
    '%C0%80',
    '%FF',
    '%F4%90%80%80',
    '%00',
    '%0A',
    '%0D%0A',
    '%E2%80%AE',
    '%2F',
    '%252F',
    '%25',
    '..',
    '.',
    '%2E%2E',
    'clm_00000000000000000000000000000000',
    'v2.AAAA',
    's1.AAAA',
    'l1.AAAA',
    // The shapes of sealed tokens (a key id, then a body): they reach the key lookup and the cipher.
    `v2.k1.${'A'.repeat(60)}`,
    `s1.k1.${'A'.repeat(60)}`,
    `l1.k2.${'A'.repeat(60)}`,
    `s1.k999999.${'A'.repeat(60)}`,
  ),
  fc.integer({ min: 500, max: 6_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 200, max: 2_000 }).map((n) => '%E2%82%AC'.repeat(n)),
  // Raw bytes 0x21–0xff: Node sends them as they are (latin1), as any client could.
  fc
    .string({ unit: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 })
    .filter((s) => !/[/?#]/.test(s)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((s) => encodeURIComponent(s)),
);

/** A JSON text that does not parse, or parses to something no schema takes at its root. */
export const brokenJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    '[1,2',
    'null',
    'true',
    '0',
    '"text"',
    '[]',
    '{}',
    'NaN',
    '\ufeff{}',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"a":1}{"b":2}',
    '{"a":1} trailing',
  ),
  // Deep nesting within the 64 KiB limit.
  fc.integer({ min: 1_000, max: 30_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1_000, max: 10_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

/** Every path to a leaf of a JSON value, as keys and indexes. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.length === 0 ? [path] : value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? [path] : entries.flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [path];
}

/** One way to change one place of a JSON document. */
type Change =
  | { readonly kind: 'replace'; readonly with: unknown }
  | { readonly kind: 'number'; readonly json: string }
  | { readonly kind: 'remove' }
  | { readonly kind: 'add'; readonly key: string; readonly value: unknown };

const change: fc.Arbitrary<Change> = fc.oneof(
  // A wrong type, or odd text where text goes.
  fc
    .oneof(fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({}), oddText, fc.integer())
    .map((v) => ({ kind: 'replace', with: v }) as const),
  oddNumber.map((n) => ({ kind: 'number', json: n.json }) as const),
  fc.constant({ kind: 'remove' } as const),
  fc
    .record({ key: fc.oneof(oddText, fc.constantFrom('__proto__', 'extra', 'claimId')), value: fc.jsonValue({ maxDepth: 1 }) })
    .map((a) => ({ kind: 'add', ...a }) as const),
);

/**
 * A JSON document changed in one to three places (a leaf replaced by a wrong type or odd text, a
 * number by an odd spelling, a field removed, a field added), as the text that goes on the wire.
 */
export function changedJson(base: unknown): fc.Arbitrary<string> {
  const spots = leaves(base);
  return fc.array(fc.tuple(fc.nat({ max: spots.length - 1 }), change), { minLength: 1, maxLength: 3 }).map((changes) => {
    const doc = structuredClone(base) as Record<string | number, unknown>;
    const numbers: string[] = [];
    for (const [at, c] of changes) {
      const path = spots[at] ?? [];
      const last = path.at(-1);
      let parent: Record<string | number, unknown> = doc;
      for (const key of path.slice(0, -1)) parent = (parent[key] ?? {}) as Record<string | number, unknown>;
      if (c.kind === 'add') {
        const holder = last === undefined ? doc : parent;
        if (holder !== null && typeof holder === 'object' && !Array.isArray(holder)) holder[c.key] = c.value;
        continue;
      }
      if (last === undefined) continue;
      if (c.kind === 'remove') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
      } else if (c.kind === 'replace') {
        parent[last] = c.with;
      } else {
        // A marker string, swapped for the number's own spelling once the document is text.
        parent[last] = `\u0000num${numbers.length}\u0000`;
        numbers.push(c.json);
      }
    }
    return numbers.reduce((text, json, i) => text.replace(JSON.stringify(`\u0000num${i}\u0000`), json), JSON.stringify(doc));
  });
}
