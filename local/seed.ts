import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import {
  directoryStore,
  nextKeyId,
  parseSecret,
  STOREFRONT_ID,
  type StorefrontSecretsDocument,
  secretNames,
  storefrontSecretsSchema,
  type VersionedSecret,
  webhookSecretSchema,
} from '#adapters/secrets.ts';
import { ledgerTableSchema, stateTableSchema } from '#adapters/table-schema.ts';
import { parsePolicy } from '#domain/policy.ts';
import type { StateStore } from '#ports';

type TableSchema = { partitionKey: string; sortKey: string; indexes: Record<string, { partitionKey: string; sortKey: string }> };

/** A table's create request from its key schema: string keys, on-demand, every index projecting all. */
function tableDefinition(TableName: string, schema: TableSchema): CreateTableCommandInput {
  const keys = [schema.partitionKey, schema.sortKey, ...Object.values(schema.indexes).flatMap((k) => [k.partitionKey, k.sortKey])];
  return {
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: schema.partitionKey, KeyType: 'HASH' },
      { AttributeName: schema.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [...new Set(keys)].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    GlobalSecondaryIndexes: Object.entries(schema.indexes).map(([IndexName, k]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: k.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: k.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}

/** The embedded tables, created from the same key schema the CDK deploys. */
export function tableDefinitions(ledgerTable: string, stateTable: string): CreateTableCommandInput[] {
  return [tableDefinition(ledgerTable, ledgerTableSchema), tableDefinition(stateTable, stateTableSchema)];
}

/**
 * Creates the tables that do not exist yet, and adds the indexes an existing table lacks (a data
 * directory made by an earlier version keeps its data and gains the new index).
 */
export async function ensureTables(client: DynamoDBClient, ledgerTable: string, stateTable: string): Promise<void> {
  for (const def of tableDefinitions(ledgerTable, stateTable)) {
    let existing: TableDescription | undefined;
    try {
      existing = (await client.send(new DescribeTableCommand({ TableName: def.TableName }))).Table;
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      await client.send(new CreateTableCommand(def));
      await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.1 as unknown as number }, { TableName: def.TableName });
      continue;
    }
    const have = new Set((existing?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    for (const index of def.GlobalSecondaryIndexes ?? []) {
      if (have.has(index.IndexName)) continue;
      await client.send(
        new UpdateTableCommand({
          TableName: def.TableName,
          AttributeDefinitions: def.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
      await waitForIndex(client, def.TableName ?? '', index.IndexName ?? '');
    }
  }
}

/** Waits until a new index is active (dynalite and DynamoDB Local build it in the background too). */
async function waitForIndex(client: DynamoDBClient, table: string, index: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const t = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
    const status = t?.GlobalSecondaryIndexes?.find((g) => g.IndexName === index)?.IndexStatus;
    if (status === 'ACTIVE' && t?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Index ${index} of ${table} did not become active within 30 s`);
}

/** The secrets file of makegood before the secrets were split (one document), migrated once at boot. */
const legacySecretsSchema = z.looseObject({
  approvalKey: z.string().min(32),
  storefronts: z.record(z.string().regex(STOREFRONT_ID), z.string().min(8)),
  webhooks: z.record(z.string().regex(STOREFRONT_ID), z.string()).optional(),
});

/**
 * The embedded stack's secrets, in `dir` (adapters/secrets.ts). The approval key is generated
 * once and kept (a rotation by `npx makegood keys rotate-approval` is kept too); the finance key
 * and the demo storefront's signing and webhook secrets follow the environment on every start.
 * A data directory of an earlier version, with one `secrets.json`, has its other storefronts'
 * secrets and its approval key moved over (as key `k1`), and the old file renamed
 * `secrets.json.migrated`.
 */
export async function ensureSecrets(
  dir: string,
  legacyFile: string,
  settings: { demoSecret: string; financeKey: string; demoWebhookSecret?: string },
  now: Date,
): Promise<void> {
  const store = directoryStore(dir);
  const write = (name: string, doc: unknown) => store.write(name, JSON.stringify(doc, null, 2), '');
  const createdAt = now.toISOString();
  const legacyText = await readFile(legacyFile, 'utf8').catch(() => undefined);
  if (legacyText !== undefined) {
    // Each file is written only when absent, and the old file is renamed last: a migration that
    // stopped halfway (a crash, a full disk) finishes at the next boot and overwrites nothing.
    const legacy = parseSecret(legacyFile, legacyText, legacySecretsSchema);
    const writeNew = async (name: string, doc: unknown) => {
      if ((await store.read(name)) === undefined) await write(name, doc);
    };
    for (const [id, secret] of Object.entries(legacy.storefronts)) {
      const hook = legacy.webhooks?.[id];
      const webhook =
        hook !== undefined && webhookSecretSchema.safeParse(hook).success ? { webhook: [{ id: 'k1', secret: hook, createdAt }] } : {};
      await writeNew(secretNames.storefront(id), { signing: [{ id: 'k1', secret, createdAt }], ...webhook });
    }
    await writeNew(secretNames.approvalKeys, { current: 'k1', k1: legacy.approvalKey });
    await rename(legacyFile, `${legacyFile}.migrated`);
  }
  if ((await store.read(secretNames.approvalKeys)) === undefined) {
    await write(secretNames.approvalKeys, { current: 'k1', k1: randomBytes(32).toString('hex') });
  }
  await write(secretNames.financeKey, { key: settings.financeKey });

  const name = secretNames.storefront('demo');
  const text = await store.read(name);
  const demo: StorefrontSecretsDocument | undefined = text === undefined ? undefined : parseSecret(name, text, storefrontSecretsSchema);
  const follow = (list: VersionedSecret[] | undefined, secret: string): VersionedSecret[] =>
    list?.[0]?.secret === secret ? list : [{ id: nextKeyId((list ?? []).map((s) => s.id)), secret, createdAt }];
  const next: StorefrontSecretsDocument = {
    signing: follow(demo?.signing, settings.demoSecret),
    ...(settings.demoWebhookSecret ? { webhook: follow(demo?.webhook, settings.demoWebhookSecret) } : {}),
  };
  if (JSON.stringify(next) !== JSON.stringify(demo)) await write(name, next);
}

/**
 * Seeds the demo storefront and its policy on first start (a later start keeps what is there),
 * and sets its webhook endpoint to `webhookUrl` on every start (none without it).
 */
export async function seedDemo(state: StateStore, policyFile: string, now: Date, webhookUrl?: string): Promise<void> {
  const existing = await state.storefront('demo');
  const { webhook: _previous, ...kept } = existing ?? {
    id: 'demo',
    name: 'Demo Shop',
    mailFrom: 'care@demo.test',
    replyTo: 'care@demo.test',
    returnAddress: 'Demo Shop Returns\nHarbour Street 12\n01001 Kyiv\nUkraine',
  };
  const wanted = webhookUrl ? { ...kept, webhook: { url: webhookUrl } } : kept;
  if (!existing || existing.webhook?.url !== webhookUrl || existing.webhook?.disabledAt !== undefined) await state.putStorefront(wanted);
  if (!(await state.currentPolicy('demo'))) {
    await state.publishPolicy('demo', parsePolicy(JSON.parse(await readFile(policyFile, 'utf8'))), now);
  }
}

/** A DynamoDB client for the embedded emulator. */
export function localDynamoClient(endpoint: string, region: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}
