import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidRequestError, TransientError } from '#domain/errors.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import type { Clock, EntryFiling, LedgerPage, LedgerStore } from '#ports';
import { queryAll } from './query-all.ts';
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

interface Cursor {
  readonly day: string;
  readonly start?: Record<string, unknown>;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(c.day) && (c.start === undefined || typeof c.start === 'object')) return c;
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError('The cursor is not one this API issued', [
    { path: 'cursor', message: 'must be the `next` value of an earlier page' },
  ]);
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Where an item is filed, from its key (`CLAIM#<claim>`, `E#<seq>`), whatever its content says. */
export function itemFiling(item: Record<string, unknown>): EntryFiling {
  return { claimId: String(item.pk).replace(/^CLAIM#/, ''), seq: Number(String(item.sk).replace(/^E#/, '')) };
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
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `CLAIM#${claimId}` },
      ConsistentRead: true,
    });
    return items.map(itemEntry);
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

  /** Every entry of an index partition with the sort key in `[from, to)`, following pages. */
  private async queryIndex(
    index: keyof typeof ledgerTableSchema.indexes,
    partition: string,
    from?: string,
    to?: string,
  ): Promise<LedgerEntry[]> {
    const keys = ledgerTableSchema.indexes[index];
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: index,
      KeyConditionExpression:
        from === undefined ? `${keys.partitionKey} = :p` : `${keys.partitionKey} = :p AND ${keys.sortKey} BETWEEN :from AND :to`,
      ExpressionAttributeValues: { ':p': partition, ...(from === undefined ? {} : { ':from': from, ':to': to }) },
    });
    return items.map(itemEntry);
  }

  async orderEntries(storefrontId: string, orderId: string): Promise<LedgerEntry[]> {
    return this.queryIndex('byOrder', `${storefrontId}#${orderId}`);
  }

  async storefrontEntries(args: {
    storefrontId: string;
    from: Date;
    to: Date;
    cursor?: string;
    limit?: number;
    withFiling?: boolean;
  }): Promise<LedgerPage> {
    const limit = Math.min(Math.max(args.limit ?? 500, 1), 1000);
    const index = ledgerTableSchema.indexes.byStorefrontDay;
    const position = args.cursor === undefined ? undefined : decodeCursor(args.cursor);
    const fromIso = args.from.toISOString();
    const toIso = args.to.toISOString();
    let day = position?.day ?? fromIso.slice(0, 10);
    let start = position?.start;
    const lastDay = new Date(args.to.getTime() - 1).toISOString().slice(0, 10);
    const entries: LedgerEntry[] = [];
    const filed: EntryFiling[] = [];
    while (day <= lastDay && entries.length < limit) {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byStorefrontDay',
          // Time keys are `<at>#<claim>#<seq>`: BETWEEN from AND to is exactly from <= at < to.
          KeyConditionExpression: `${index.partitionKey} = :p AND ${index.sortKey} BETWEEN :from AND :to`,
          ExpressionAttributeValues: { ':p': `${args.storefrontId}#${day}`, ':from': fromIso, ':to': toIso },
          ExclusiveStartKey: start,
          Limit: limit - entries.length,
        }),
      );
      for (const item of page.Items ?? []) {
        entries.push(itemEntry(item));
        if (args.withFiling) filed.push(itemFiling(item));
      }
      start = page.LastEvaluatedKey;
      if (!start) {
        day = nextDay(day);
      }
    }
    const more = day <= lastDay;
    return { entries, next: more ? encodeCursor({ day, ...(start ? { start } : {}) }) : null, ...(args.withFiling ? { filed } : {}) };
  }

  async customerEntries(storefrontId: string, customerId: string, since: Date): Promise<LedgerEntry[]> {
    // U+FFFF sorts after every time key: everything from `since` on.
    return this.queryIndex('byCustomer', `${storefrontId}#${customerId}`, since.toISOString(), '\uffff');
  }
}
