import fc from 'fast-check';
import { z } from 'zod';

/**
 * fast-check arbitraries generated from the zod schemas the handlers validate with.
 *
 * Why not `zod-fast-check`: its latest release (0.10.1) declares `zod ^3.18.0` and
 * `fast-check <4.0.0` as peers, and with this project's zod 4.6.7 it throws "'ZodObject' schemas are
 * not supported" on the first object (it reads zod 3's internals). So the schemas go through zod
 * 4's own JSON Schema export (`z.toJSONSchema`, the same conversion the OpenAPI document is built
 * with), and this small builder turns the JSON Schema into an arbitrary. It covers what the
 * request schemas use: `$ref` into `$defs`, objects (required and optional properties), arrays,
 * strings (lengths, `pattern`, the `date-time`, `date`, `email` and `uri` formats), integers and
 * numbers with their bounds, `enum`, `const` and unions. The values it makes are valid by the
 * schema's shape; refinements the JSON Schema cannot say (a sku that must be in the order) make
 * most of them fail later, which is what a fuzz wants.
 */

/** The parts of a JSON Schema (2020-12) the builder reads. */
export interface JsonSchema {
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
}

/** The JSON Schema of what a zod schema accepts as input (defaults make fields optional). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** Arrays and strings are kept short: the fuzz wants many requests, not a few huge ones. */
const MAX_ITEMS = 4;
const MAX_STRING = 40;

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace(/^#\/\$defs\//, '');
  const target = root.$defs?.[name];
  if (!target) throw new Error(`Unresolved $ref ${schema.$ref}`);
  return resolve(target, root);
}

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? MAX_STRING, MAX_STRING));
  if (s.format === 'date-time')
    return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'date')
    return fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
  if (s.format === 'email') return fc.emailAddress();
  if (s.format === 'uri') return fc.webUrl();
  const fits = (t: string) => t.length >= minLength && t.length <= (s.maxLength ?? Number.POSITIVE_INFINITY);
  if (s.pattern) {
    const pattern = new RegExp(s.pattern, 'u');
    try {
      return fc.stringMatching(pattern).filter(fits);
    } catch {
      // fast-check cannot build every class (`\p{Cs}` has no character of its own): draw text and keep what matches.
      return fc.string({ unit: 'grapheme', minLength, maxLength }).filter((t) => fits(t) && pattern.test(t));
    }
  }
  return fc.string({ unit: 'grapheme', minLength, maxLength }).filter(fits);
}

function integerOf(s: JsonSchema): fc.Arbitrary<number> {
  const min = Math.max(
    s.minimum ?? Number.MIN_SAFE_INTEGER,
    s.exclusiveMinimum === undefined ? Number.MIN_SAFE_INTEGER : s.exclusiveMinimum + 1,
  );
  const max = Math.min(
    s.maximum ?? Number.MAX_SAFE_INTEGER,
    s.exclusiveMaximum === undefined ? Number.MAX_SAFE_INTEGER : s.exclusiveMaximum - 1,
  );
  // Mostly small values, as real requests carry; the bounds themselves too.
  const small = fc.integer({ min: Math.max(min, -100_000), max: Math.max(Math.max(min, -100_000), Math.min(max, 100_000)) });
  return fc.oneof({ weight: 8, arbitrary: small }, { weight: 1, arbitrary: fc.constantFrom(min, max) });
}

/** An arbitrary of the values `schema` describes; `root` holds the `$defs` its references point into. */
export function arbitraryOf(schema: JsonSchema, root: JsonSchema = schema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, root);
  if (depth > 8) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const union = s.anyOf ?? s.oneOf;
  if (union) return fc.oneof(...union.map((u) => arbitraryOf(u, root, depth + 1)));
  if (s.allOf?.[0]) return arbitraryOf(s.allOf[0], root, depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const props = s.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = arbitraryOf(v, root, depth + 1);
      return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    case 'array':
      return fc.array(arbitraryOf(s.items ?? {}, root, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? MAX_ITEMS, MAX_ITEMS)),
      });
    case 'string':
      return stringOf(s);
    case 'integer':
      return integerOf(s);
    case 'number':
      return fc.double({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
