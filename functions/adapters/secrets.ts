import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { KEY_ID, type KeyRing, keyRing } from '#domain/key-ring.ts';
import type { SecretKind } from '#handlers/registry.ts';
import type { Clock, Secrets } from '#ports';
import { secretNames } from './secret-names.ts';

/**
 * The secrets, one per concern, so each function reads only what it needs (its access in
 * registry.ts names the kinds, and the CDK grants exactly those secrets):
 *
 * - `approval-keys` (kind `approval`): the keys of every link and cookie makegood seals,
 *   `{"current":"k2","k2":"<key>","k1":"<key>","retiresAt":{"k1":"<ISO time>"}}`. Each key's id
 *   travels in the tokens it sealed (key-ring.ts); a retired key opens nothing.
 * - `finance-key` (kind `finance`): `{"key":"<bearer key of the finance API>"}`.
 * - `storefronts/<id>` (kind `storefronts`), one per storefront:
 *   `{"signing":[{"id":"k2","secret":"…","createdAt":"…"},{"id":"k1",…,"retiresAt":"…"}],
 *   "webhook":[{"id":"k1","secret":"whsec_…","createdAt":"…"}]}`, newest first. Every signing
 *   secret in force is accepted on the storefront's requests, and every webhook secret in force
 *   signs its webhooks (Standard Webhooks sends one signature per secret), so a rotation has a
 *   grace period in which both the old and the new secret work.
 *
 * On AWS each is a Secrets Manager secret named `<prefix>/<name>`; in the embedded stack, a file
 * `<dir>/<name>.json`. `npx makegood storefront …` and `npx makegood keys …` write them.
 */
export type { SecretKind };
export const secretKinds = ['storefronts', 'approval', 'finance'] as const satisfies readonly SecretKind[];

export { secretNames } from './secret-names.ts';

/** Storefront ids are parts of DynamoDB keys (`ORDER#<storefront>#<order>`) and of secret names: no `#`, `/`, `.` or spaces. */
export const STOREFRONT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A Standard Webhooks signing secret: `whsec_` and the base64 of at least 24 random bytes. */
export const webhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'a webhook secret is `whsec_` followed by the base64 of at least 24 random bytes');

const keyIdSchema = z.string().regex(KEY_ID, 'a key id is k and a number (k1, k2, …)');
const instant = z.iso.datetime({ offset: true });

/** The approval keys document. */
export const approvalKeysSchema = z
  .looseObject({
    current: keyIdSchema,
    retiresAt: z.record(keyIdSchema, instant).optional(),
    /**
     * When a key that was just made current starts sealing: until then the key before it goes on
     * sealing, and the new one only opens. A rotation sets it past the functions' cache period, so
     * no function seals with a key another has not read yet.
     */
    activatesAt: z.record(keyIdSchema, instant).optional(),
  })
  .superRefine((doc, ctx) => {
    for (const [field, value] of Object.entries(doc)) {
      if (field === 'current' || field === 'retiresAt' || field === 'activatesAt') continue;
      if (!KEY_ID.test(field))
        ctx.addIssue({ code: 'custom', path: [field], message: 'is neither current, retiresAt, activatesAt nor a key id (k1, k2, …)' });
      else if (typeof value !== 'string' || value.length < 32)
        ctx.addIssue({ code: 'custom', path: [field], message: 'a key is a string of at least 32 characters' });
    }
    if (typeof doc[doc.current] !== 'string')
      ctx.addIssue({ code: 'custom', path: ['current'], message: `names ${doc.current}, which is not a key of the document` });
  });
export type ApprovalKeysDocument = z.infer<typeof approvalKeysSchema>;

export const financeKeySchema = z.strictObject({ key: z.string().min(8) });

/** One of a storefront's secrets, with its id and life. */
export const versionedSecretSchema = z.strictObject({
  id: keyIdSchema,
  secret: z.string().min(8),
  createdAt: instant,
  /** From this time on the secret is no longer accepted (or, for a webhook secret, used). */
  retiresAt: instant.optional(),
});
export type VersionedSecret = z.infer<typeof versionedSecretSchema>;

export const storefrontSecretsSchema = z.strictObject({
  signing: z.array(versionedSecretSchema).min(1),
  webhook: z.array(versionedSecretSchema.extend({ secret: webhookSecretSchema })).optional(),
});
export type StorefrontSecretsDocument = z.infer<typeof storefrontSecretsSchema>;

/** Where the secrets are read from: Secrets Manager under a prefix, or a directory of files. */
export interface SecretSource {
  /** The named secret's string; undefined when there is no such secret. */
  read(name: string): Promise<string | undefined>;
}

/** A source that can also be written: what the CLI's storefront and key commands use. */
export interface SecretStore extends SecretSource {
  /** Creates the named secret, or stores a new value of it. */
  write(name: string, value: string, description: string): Promise<void>;
}

/** How long a secret read is trusted before it is read again (a rotation takes effect then). */
export const SECRET_CACHE_MS = 5 * 60 * 1000;
/** The most secrets one function keeps cached; the oldest read goes first. */
const MAX_CACHED_SECRETS = 1000;
/** How long "no such secret" is trusted: short, so a storefront just added can sign in a minute. */
export const MISSING_SECRET_CACHE_MS = 30 * 1000;

/** Parses a secret's text with its schema; the error names the secret and the fields, never a value. */
export function parseSecret<T>(name: string, text: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`The secret ${name} is not valid JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
    throw new Error(`The secret ${name} is not as expected: ${problems}`);
  }
  return parsed.data;
}

/** Whether a versioned secret is still in force at `now`. */
export function inForce(secret: VersionedSecret, now: Date): boolean {
  return secret.retiresAt === undefined || now < new Date(secret.retiresAt);
}

/**
 * The {@link Secrets} port over a {@link SecretSource}, reading only the kinds `granted` (a read
 * of another kind fails, naming it, as IAM refuses it on AWS; the embedded stack and the CLI are
 * given every kind), each secret cached for {@link SECRET_CACHE_MS}.
 */
export class StoreSecrets implements Secrets {
  private readonly cache = new Map<string, { value: unknown; until: number }>();

  constructor(
    private readonly source: SecretSource,
    private readonly granted: readonly SecretKind[],
    private readonly clock: Clock,
    private readonly cacheMs = SECRET_CACHE_MS,
  ) {}

  private async get<T>(kind: SecretKind, name: string, schema: z.ZodType<T>): Promise<T | undefined> {
    if (!this.granted.includes(kind)) {
      throw new Error(`The secret ${name} was read, but this function's access grants no ${kind} secrets (functions/handlers/registry.ts)`);
    }
    const hit = this.cache.get(name);
    if (hit && Date.now() < hit.until) return hit.value as T | undefined;
    const text = await this.source.read(name);
    const value = text === undefined ? undefined : parseSecret(name, text, schema);
    // Bounded: requests naming made-up storefronts must not grow a function's memory without end.
    if (this.cache.size >= MAX_CACHED_SECRETS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.delete(name);
    this.cache.set(name, {
      value,
      until: Date.now() + (value === undefined ? Math.min(this.cacheMs, MISSING_SECRET_CACHE_MS) : this.cacheMs),
    });
    return value;
  }

  private async storefront(storefrontId: string): Promise<StorefrontSecretsDocument | undefined> {
    if (!STOREFRONT_ID.test(storefrontId)) return undefined;
    return this.get('storefronts', secretNames.storefront(storefrontId), storefrontSecretsSchema);
  }

  async storefrontSigningSecrets(storefrontId: string): Promise<string[]> {
    const now = this.clock.now();
    return ((await this.storefront(storefrontId))?.signing ?? []).filter((s) => inForce(s, now)).map((s) => s.secret);
  }

  async webhookSecrets(storefrontId: string): Promise<string[]> {
    const now = this.clock.now();
    return ((await this.storefront(storefrontId))?.webhook ?? []).filter((s) => inForce(s, now)).map((s) => s.secret);
  }

  async approvalKeys(): Promise<KeyRing> {
    const doc = await this.get('approval', secretNames.approvalKeys, approvalKeysSchema);
    if (!doc)
      throw new Error(`The secret ${secretNames.approvalKeys} does not exist: approval links, status links and the console need it`);
    return approvalKeyRing(doc, this.clock.now());
  }

  async financeKey(): Promise<string | undefined> {
    return (await this.get('finance', secretNames.financeKey, financeKeySchema))?.key;
  }
}

/**
 * The key ring of an approval keys document at `now`. The current key seals once it is active;
 * before its `activatesAt`, the newest other key still in force seals, and the current one only opens.
 */
export function approvalKeyRing(doc: ApprovalKeysDocument, now: Date): KeyRing {
  const keys = Object.entries(doc)
    .filter(([field]) => KEY_ID.test(field))
    .map(([id, key]) => {
      const retiresAt = doc.retiresAt?.[id];
      return { id, key: Buffer.from(String(key), 'utf8'), ...(retiresAt ? { retiresAt: new Date(retiresAt) } : {}) };
    });
  const activatesAt = doc.activatesAt?.[doc.current];
  if (activatesAt === undefined || new Date(activatesAt) <= now) return keyRing(doc.current, keys);
  const previous = keys
    .filter((k) => k.id !== doc.current && (k.retiresAt === undefined || now < k.retiresAt))
    .sort((a, b) => Number(b.id.slice(1)) - Number(a.id.slice(1)))[0];
  return keyRing(previous?.id ?? doc.current, keys);
}

/** The secrets in Secrets Manager, named `<prefix>/<name>`. */
export function secretsManagerStore(client: SecretsManagerClient, prefix: string): SecretStore {
  return {
    async read(name) {
      const id = `${prefix}/${name}`;
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: id }));
        if (out.SecretString === undefined) throw new Error(`Secret ${id} has no string value`);
        return out.SecretString;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return undefined;
        throw err;
      }
    },
    async write(name, value, description) {
      const id = `${prefix}/${name}`;
      try {
        await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        await client.send(new CreateSecretCommand({ Name: id, SecretString: value, Description: description }));
      }
    },
  };
}

/** The secrets as files `<dir>/<name>.json` (the embedded stack), written whole by a rename, readable by the owner only. */
export function directoryStore(dir: string): SecretStore {
  const path = (name: string) => join(dir, `${name}.json`);
  return {
    async read(name) {
      try {
        return await readFile(path(name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async write(name, value) {
      const file = path(name);
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      // A temporary name of its own, so two writers never rename each other's half-written file.
      const tmp = `${file}.${randomUUID()}.tmp`;
      await writeFile(tmp, value, { mode: 0o600 });
      await rename(tmp, file);
    },
  };
}

/** The id after the highest of `ids` (`k1` for none). */
export function nextKeyId(ids: Iterable<string>): string {
  let highest = 0;
  for (const id of ids) if (KEY_ID.test(id)) highest = Math.max(highest, Number(id.slice(1)));
  return `k${highest + 1}`;
}

/**
 * A list of versioned secrets after a rotation to `secret`: the new one first, with a fresh id;
 * those still in force retire at `retireAt` (or earlier, if they were set to); those retired
 * already are dropped, since nothing accepts them any more.
 */
export function rotated(list: readonly VersionedSecret[], secret: string, now: Date, retireAt: Date): VersionedSecret[] {
  const kept = list
    .filter((s) => inForce(s, now))
    .map((s) => ({ ...s, retiresAt: s.retiresAt && new Date(s.retiresAt) < retireAt ? s.retiresAt : retireAt.toISOString() }));
  return [{ id: nextKeyId(list.map((s) => s.id)), secret, createdAt: now.toISOString() }, ...kept];
}

/**
 * The approval keys after a rotation to `key`: it becomes current under a fresh id, sealing from
 * `activateAt` (the key before it seals until then); the keys in force retire at `retireAt` (or
 * earlier), and retired ones are dropped. The key that was current is kept whatever its document
 * says, as the ring never retires it.
 */
export function rotatedApprovalKeys(
  doc: ApprovalKeysDocument,
  key: string,
  now: Date,
  retireAt: Date,
  activateAt: Date = now,
): ApprovalKeysDocument {
  const ids = Object.keys(doc).filter((f) => KEY_ID.test(f));
  const id = nextKeyId(ids);
  const next: Record<string, unknown> = { current: id, [id]: key };
  const retiresAt: Record<string, string> = {};
  for (const old of ids) {
    const at = old === doc.current ? undefined : doc.retiresAt?.[old];
    if (at !== undefined && new Date(at) <= now) continue;
    next[old] = doc[old];
    retiresAt[old] = at !== undefined && new Date(at) < retireAt ? at : retireAt.toISOString();
  }
  next.retiresAt = retiresAt;
  if (activateAt > now) next.activatesAt = { [id]: activateAt.toISOString() };
  return approvalKeysSchema.parse(next);
}
