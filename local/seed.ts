import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type SecretsDocument, secretsDocumentSchema } from '#adapters/secrets.ts';
import { ledgerTableSchema, stateTableSchema } from '#adapters/table-schema.ts';
import { parsePolicy } from '#domain/policy.ts';
import type { StateStore } from '#ports';

/** The embedded tables, created from the same key schema the CDK deploys. */
export function tableDefinitions(ledgerTable: string, stateTable: string): CreateTableCommandInput[] {
  const s = { AttributeType: 'S' as const };
  const indexes = Object.entries(ledgerTableSchema.indexes).map(([name, k]) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: k.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: k.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  }));
  const indexAttributes = [...new Set(Object.values(ledgerTableSchema.indexes).flatMap((k) => [k.partitionKey, k.sortKey]))];
  return [
    {
      TableName: ledgerTable,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: ledgerTableSchema.partitionKey, KeyType: 'HASH' },
        { AttributeName: ledgerTableSchema.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [ledgerTableSchema.partitionKey, ledgerTableSchema.sortKey, ...indexAttributes].map((AttributeName) => ({
        AttributeName,
        ...s,
      })),
      GlobalSecondaryIndexes: indexes,
    },
    {
      TableName: stateTable,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: stateTableSchema.partitionKey, KeyType: 'HASH' },
        { AttributeName: stateTableSchema.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [stateTableSchema.partitionKey, stateTableSchema.sortKey].map((AttributeName) => ({ AttributeName, ...s })),
    },
  ];
}

/** Creates the tables that do not exist yet. */
export async function ensureTables(client: DynamoDBClient, ledgerTable: string, stateTable: string): Promise<void> {
  for (const def of tableDefinitions(ledgerTable, stateTable)) {
    try {
      await client.send(new DescribeTableCommand({ TableName: def.TableName }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      await client.send(new CreateTableCommand(def));
      await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.1 as unknown as number }, { TableName: def.TableName });
    }
  }
}

/**
 * The embedded secrets file. The approval key is generated once and kept; the demo storefront's
 * secret and the finance key follow the environment on every start.
 */
export async function ensureSecrets(file: string, settings: { demoSecret: string; financeKey: string }): Promise<SecretsDocument> {
  let doc: SecretsDocument | undefined;
  try {
    doc = secretsDocumentSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    doc = undefined;
  }
  const next: SecretsDocument = {
    approvalKey: doc?.approvalKey ?? randomBytes(32).toString('hex'),
    financeKey: settings.financeKey,
    storefronts: { ...(doc?.storefronts ?? {}), demo: settings.demoSecret },
  };
  await writeFile(`${file}.tmp`, JSON.stringify(next, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return next;
}

/** Seeds the demo storefront and its policy on first start (a later start keeps what is there). */
export async function seedDemo(state: StateStore, policyFile: string, now: Date): Promise<void> {
  if (!(await state.storefront('demo'))) {
    await state.putStorefront({
      id: 'demo',
      name: 'Demo Shop',
      mailFrom: 'care@demo.test',
      replyTo: 'care@demo.test',
      returnAddress: 'Demo Shop Returns\nHarbour Street 12\n01001 Kyiv\nUkraine',
    });
  }
  if (!(await state.currentPolicy('demo'))) {
    await state.publishPolicy('demo', parsePolicy(JSON.parse(await readFile(policyFile, 'utf8'))), now);
  }
}

/** A DynamoDB client for the embedded emulator. */
export function localDynamoClient(endpoint: string, region: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}
