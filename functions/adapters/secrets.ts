import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { Secrets } from '#ports';

/**
 * The secrets document, the same JSON in Secrets Manager (cloud) and in a file under the data
 * directory (embedded): `{ approvalKey, financeKey, storefronts: { <id>: <secret> }, webhooks?: { <id>: "whsec_…" } }`.
 */
const storefrontIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'storefront ids are 1–64 letters, digits, _ or -');
/** A Standard Webhooks signing secret: `whsec_` and the base64 of at least 24 random bytes. */
export const webhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'a webhook secret is `whsec_` followed by the base64 of at least 24 random bytes');
export const secretsDocumentSchema = z.strictObject({
  approvalKey: z.string().min(32),
  /** Absent until an operator sets it: the finance API then refuses every request. */
  financeKey: z.string().min(8).optional(),
  // Storefront ids are parts of DynamoDB keys (`ORDER#<storefront>#<order>`): no `#`, no spaces.
  storefronts: z.record(storefrontIdSchema, z.string().min(8)),
  /**
   * Each storefront's webhook signing secret, for those that receive webhooks. Checked when used,
   * not here: one malformed secret must not stop every function that reads the document.
   */
  webhooks: z.record(storefrontIdSchema, z.string()).optional(),
});
export type SecretsDocument = z.infer<typeof secretsDocumentSchema>;

/** How long a fetched document is trusted before it is read again (rotation takes effect then). */
const CACHE_MS = 5 * 60 * 1000;

/** Secrets read from a source of the JSON document, cached per cold start for a few minutes. */
export class DocumentSecrets implements Secrets {
  private cached: { doc: SecretsDocument; at: number } | undefined;

  constructor(private readonly load: () => Promise<string>) {}

  private async doc(): Promise<SecretsDocument> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.doc;
    let raw: unknown;
    try {
      raw = JSON.parse(await this.load());
    } catch (err) {
      throw new Error(`The secrets document is not valid JSON: ${(err as Error).message}`);
    }
    const doc = secretsDocumentSchema.parse(raw);
    this.cached = { doc, at: Date.now() };
    return doc;
  }

  async storefrontSecret(storefrontId: string): Promise<string | undefined> {
    const doc = await this.doc();
    return Object.hasOwn(doc.storefronts, storefrontId) ? doc.storefronts[storefrontId] : undefined;
  }

  async approvalKey(): Promise<Buffer> {
    return Buffer.from((await this.doc()).approvalKey, 'utf8');
  }

  async financeKey(): Promise<string | undefined> {
    return (await this.doc()).financeKey;
  }

  async webhookSecret(storefrontId: string): Promise<string | undefined> {
    const webhooks = (await this.doc()).webhooks ?? {};
    const secret = Object.hasOwn(webhooks, storefrontId) ? webhooks[storefrontId] : undefined;
    return webhookSecretSchema.safeParse(secret).success ? secret : undefined;
  }
}

/** The document from Secrets Manager. */
export function secretsManagerSource(client: SecretsManagerClient, secretId: string): () => Promise<string> {
  return async () => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString) throw new Error(`Secret ${secretId} has no string value`);
    return out.SecretString;
  };
}

/** The document from a file. */
export function fileSource(path: string): () => Promise<string> {
  return () => readFile(path, 'utf8');
}
