import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookEventType } from '#domain/webhook-events.ts';
import type { Outbox, OutboxEvent, OutboxStatus, OutboxUpdate } from '#ports';
import { queryAll } from './query-all.ts';
import { stateTableSchema } from './table-schema.ts';

const { partitionKey: QUEUE, sortKey: DUE } = stateTableSchema.indexes.byOutboxQueue;

/** The index partition of a storefront's events in one state; only pending and failed events are in the index. */
function queueOf(status: OutboxStatus, storefrontId: string): string | undefined {
  return status === 'pending' || status === 'failed' ? `${status}#${storefrontId}` : undefined;
}

/** The index sort key: due time (or the time it failed), then claim and step, so the order is stable. */
function dueKeyOf(at: string, claimId: string, step: string): string {
  return `${at}#${claimId}#${step}`;
}

function eventOf(item: Record<string, unknown>): OutboxEvent {
  const opt = (k: string) => (typeof item[k] === 'string' ? { [k]: item[k] as string } : {});
  return {
    storefrontId: String(item.storefrontId),
    claimId: String(item.claimId),
    step: String(item.step),
    type: String(item.type) as WebhookEventType,
    status: String(item.status) as OutboxStatus,
    stagedAt: String(item.stagedAt),
    windowStart: String(item.windowStart ?? item.stagedAt),
    attempts: Number(item.attempts ?? 0),
    ...opt('dueAt'),
    ...opt('eventId'),
    ...opt('payload'),
    ...opt('lastAttemptAt'),
    ...opt('lastResult'),
    ...opt('deliveredAt'),
  };
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException;
}

/**
 * The webhook outbox on the state table: one item per event (`EVENT#<claim>` / `<step>`), in the
 * `byOutboxQueue` index while pending or failed (sparse: delivered events leave it), and one lane
 * item per storefront (`WEBHOOK#<storefront>` / `LANE`). Every change is a conditional write.
 */
export class DynamoOutbox implements Outbox {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async stage(e: { storefrontId: string; claimId: string; step: string; type: WebhookEventType; at: Date }): Promise<void> {
    const at = e.at.toISOString();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: `EVENT#${e.claimId}`,
            sk: e.step,
            storefrontId: e.storefrontId,
            claimId: e.claimId,
            step: e.step,
            type: e.type,
            status: 'pending',
            stagedAt: at,
            windowStart: at,
            dueAt: at,
            attempts: 0,
            [QUEUE]: queueOf('pending', e.storefrontId),
            [DUE]: dueKeyOf(at, e.claimId, e.step),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :voided',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':voided': 'voided' },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err; // staged before: a retried step stores it once
    }
  }

  /** Up to `limit` events of one queue, oldest first, following pages (a page stops at 1 MB). */
  private async queue(storefrontId: string, status: 'pending' | 'failed', upTo: string | undefined, limit: number) {
    const events: OutboxEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byOutboxQueue',
          KeyConditionExpression: upTo ? '#q = :q AND #d <= :upTo' : '#q = :q',
          ExpressionAttributeNames: { '#q': QUEUE, ...(upTo ? { '#d': DUE } : {}) },
          ExpressionAttributeValues: { ':q': queueOf(status, storefrontId), ...(upTo ? { ':upTo': upTo } : {}) },
          Limit: limit - events.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      events.push(...(out.Items ?? []).map(eventOf));
      start = out.LastEvaluatedKey;
    } while (start && events.length < limit);
    return events;
  }

  due(storefrontId: string, now: Date, limit: number): Promise<OutboxEvent[]> {
    // `~` sorts after every character of a claim id or step: everything due up to and at `now`.
    return this.queue(storefrontId, 'pending', `${now.toISOString()}#~`, limit);
  }

  list(storefrontId: string, status: 'pending' | 'failed', limit: number): Promise<OutboxEvent[]> {
    return this.queue(storefrontId, status, undefined, limit);
  }

  async claimEvents(claimId: string): Promise<OutboxEvent[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `EVENT#${claimId}` },
      ConsistentRead: true,
    });
    return items.map(eventOf);
  }

  async takeLane(storefrontId: string, holder: string, until: Date, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `WEBHOOK#${storefrontId}`, sk: 'LANE' },
          UpdateExpression: 'SET holder = :h, leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR holder = :h',
          ExpressionAttributeValues: { ':h': holder, ':until': until.getTime(), ':now': now.getTime() },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async releaseLane(storefrontId: string, holder: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `WEBHOOK#${storefrontId}`, sk: 'LANE' },
          UpdateExpression: 'REMOVE leaseUntil, holder',
          ConditionExpression: 'holder = :h',
          ExpressionAttributeValues: { ':h': holder },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err; // it expired and another took it: nothing to release
    }
  }

  async lease(e: OutboxEvent, holder: string, until: Date, now: Date): Promise<OutboxEvent | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `EVENT#${e.claimId}`, sk: e.step },
          UpdateExpression: 'SET leaseHolder = :h, leaseUntil = :until',
          // Due by the item itself, not by the index (eventually consistent): an attempt just
          // rescheduled is not sent again before its backoff.
          ConditionExpression: '#status = :pending AND dueAt <= :nowIso AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':h': holder,
            ':until': until.getTime(),
            ':now': now.getTime(),
            ':nowIso': now.toISOString(),
            ':pending': 'pending',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? eventOf(out.Attributes) : { ...e };
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async settle(e: OutboxEvent, holder: string, u: OutboxUpdate): Promise<void> {
    const set: Record<string, unknown> = {
      status: u.status,
      attempts: u.attempts,
      ...(u.eventId !== undefined ? { eventId: u.eventId } : {}),
      ...(u.payload !== undefined ? { payload: u.payload } : {}),
      ...(u.lastAttemptAt ? { lastAttemptAt: u.lastAttemptAt.toISOString() } : {}),
      ...(u.lastResult !== undefined ? { lastResult: u.lastResult } : {}),
      ...(u.deliveredAt ? { deliveredAt: u.deliveredAt.toISOString() } : {}),
    };
    const remove = ['leaseHolder', 'leaseUntil'];
    const queue = queueOf(u.status, e.storefrontId);
    if (u.status === 'pending') {
      const dueAt = u.dueAt?.toISOString() ?? e.dueAt ?? e.stagedAt;
      Object.assign(set, { dueAt, [QUEUE]: queue, [DUE]: dueKeyOf(dueAt, e.claimId, e.step) });
    } else if (queue) {
      // A failed event is listed by when it failed.
      Object.assign(set, { [QUEUE]: queue, [DUE]: dueKeyOf(u.lastAttemptAt?.toISOString() ?? e.stagedAt, e.claimId, e.step) });
      remove.push('dueAt');
    } else remove.push('dueAt', QUEUE, DUE);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':h': holder };
    const sets = Object.entries(set).map(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      return `#s${i} = :s${i}`;
    });
    const removes = remove.map((k, i) => {
      names[`#r${i}`] = k;
      return `#r${i}`;
    });
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `EVENT#${e.claimId}`, sk: e.step },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: 'leaseHolder = :h',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err; // the lease ran out and another dispatcher took over: its word counts
    }
  }

  async redeliver(e: OutboxEvent, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `EVENT#${e.claimId}`, sk: e.step },
        // A lease still held stays: its holder's attempt is the one in flight. Attempts start
        // again, so the first retry of a redelivery waits seconds, not the longest backoff.
        UpdateExpression: 'SET #status = :pending, dueAt = :at, windowStart = :at, attempts = :zero, #q = :q, #d = :d',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status', '#q': QUEUE, '#d': DUE },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':at': at,
          ':zero': 0,
          ':q': queueOf('pending', e.storefrontId),
          ':d': dueKeyOf(at, e.claimId, e.step),
        },
      }),
    );
  }
}
