import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '#domain/errors.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import type { Clock, LedgerStore } from '#ports';
import { ledgerTableSchema } from './table-schema.ts';

/** Attributes that exist only for DynamoDB's keys and indexes, not in the entry itself. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'orderKey', 'customerKey', 'dayKey', 'timeKey'] as const;
const MAX_APPEND_ATTEMPTS = 8;

/** Sort key of an entry: zero-padded so string order is sequence order. */
export function entrySortKey(seq: number): string {
  return `E#${String(seq).padStart(8, '0')}`;
}

/** The DynamoDB item for an entry: the entry plus its key and index attributes. */
export function entryItem(e: LedgerEntry): Record<string, unknown> {
  return {
    ...e,
    pk: `CLAIM#${e.claimId}`,
    sk: entrySortKey(e.seq),
    orderKey: `${e.storefrontId}#${e.orderId}`,
    customerKey: `${e.storefrontId}#${e.customerId}`,
    dayKey: `${e.storefrontId}#${e.at.slice(0, 10)}`,
    timeKey: `${e.at}#${e.claimId}#${String(e.seq).padStart(8, '0')}`,
  };
}

/** The entry stored in an item. */
export function itemEntry(item: Record<string, unknown>): LedgerEntry {
  const copy = { ...item };
  for (const k of KEY_ATTRIBUTES) delete copy[k];
  return copy as unknown as LedgerEntry;
}

/**
 * The ledger on DynamoDB. Entries are only ever PutItem'd with `attribute_not_exists`, under a
 * deterministic key (claim, sequence): two writers racing for the same sequence cannot both win,
 * and the loser re-reads and retries on top of the winner.
 */
export class DynamoLedger implements LedgerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async entries(claimId: string): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `CLAIM#${claimId}` },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(itemEntry(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async append(claim: ClaimRef, draft: EntryDraft, known?: readonly LedgerEntry[]): Promise<LedgerEntry> {
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const existing = attempt === 0 && known !== undefined ? known : await this.entries(claim.claimId);
      const recorded = existing.find((e) => e.step === draft.step);
      if (recorded) return recorded;
      const entry = chainEntry(claim, existing.at(-1), draft, this.clock.now());
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: entryItem(entry),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return entry;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        // Another writer took this sequence number; read again and chain onto its entry.
      }
    }
    throw new TransientError(`Could not append ${draft.step} to claim ${claim.claimId}: too much contention`);
  }

  async customerEntries(storefrontId: string, customerId: string, since: Date): Promise<LedgerEntry[]> {
    const index = ledgerTableSchema.indexes.byCustomer;
    const out: LedgerEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byCustomer',
          KeyConditionExpression: `${index.partitionKey} = :c AND ${index.sortKey} >= :since`,
          ExpressionAttributeValues: { ':c': `${storefrontId}#${customerId}`, ':since': since.toISOString() },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(itemEntry(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
