import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Action } from '#domain/actions.ts';
import type { OrderFacts } from '#domain/claim.ts';
import { type EmailOverrides, parseEmailOverrides } from '#domain/email-templates.ts';
import { CurrencyMismatchError, InvalidRequestError, OverRefundError, TransientError } from '#domain/errors.ts';
import { claimOfGrant } from '#domain/ledger.ts';
import { type Money, money } from '#domain/money.ts';
import { type Policy, type PolicyVersion, parsePolicy } from '#domain/policy.ts';
import { assertWebhookUrl } from '#domain/webhook-events.ts';
import type {
  ApprovalUse,
  GoodwillGrant,
  IdempotencyRecord,
  OrderCoverage,
  OrderTotal,
  PendingCallback,
  ScheduledRetry,
  StateStore,
  StoredSession,
  Storefront,
  Suppression,
  UnitHold,
  WebhookEndpoint,
  WorkItem,
} from '#ports';
import { queryAll } from './query-all.ts';
import { stateTableSchema } from './table-schema.ts';

const { partitionKey: ACTION_QUEUE, sortKey: ACTION_AT } = stateTableSchema.indexes.byActionQueue;

function actionQueueOf(storefrontId: string): string {
  return `requested#${storefrontId}`;
}

/** A storefront's queue of open work of one kind (approval rounds, follow-ups), in the same sparse index as the actions. */
function workQueueOf(kind: WorkItem['kind'], storefrontId: string): string {
  return `${kind}#${storefrontId}`;
}

/** The queue of a storefront's failed claims waiting for an automatic retry. */
function retryQueueOf(storefrontId: string): string {
  return `retry#${storefrontId}`;
}

/** The queue of a storefront's claims whose workflow is not yet known to have started (idempotency records). */
function unstartedQueueOf(storefrontId: string): string {
  return `unstarted#${storefrontId}`;
}

function idempotencyKeyOf(storefrontId: string, key: string): string {
  return `IDEM#${storefrontId}#${key}`;
}

/** An idempotency record without its storage attributes. */
function idempotencyRecordOf(item: Record<string, unknown>): IdempotencyRecord {
  const { pk: _p, sk: _s, expiresAt: _e, [ACTION_QUEUE]: _q, [ACTION_AT]: _a, ...record } = item;
  return record as unknown as IdempotencyRecord;
}

/** A page position in a storefront's action queue, as the `next` cursor carries it. */
function decodeActionCursor(storefrontId: string, cursor: string): Record<string, string> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const names = ['pk', 'sk', ACTION_QUEUE, ACTION_AT];
    if (
      key !== null &&
      typeof key === 'object' &&
      Object.keys(key).length === names.length &&
      // Keys DynamoDB would refuse (empty, over its size limits) are not ones this API issued.
      names.every((n) => typeof key[n] === 'string' && key[n] !== '' && (key[n] as string).length <= 1024) &&
      key[ACTION_QUEUE] === actionQueueOf(storefrontId) &&
      String(key.pk).startsWith('ACTION#')
    )
      return key as Record<string, string>;
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError('The cursor is not one this API issued', [
    { path: 'cursor', message: 'must be the `next` value of an earlier page of the same storefront' },
  ]);
}

/** Idempotency keys are kept for a day, as Stripe does. */
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const MAX_PUBLISH_ATTEMPTS = 8;
/** Compare-and-set attempts before a contended item is reported as a transient failure. */
const MAX_CAS_ATTEMPTS = 16;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Every storefront's settings live in one partition, so listing them is one Query. */
const STOREFRONTS = 'STOREFRONTS';

function policySortKey(version: number): string {
  return `V#${String(version).padStart(8, '0')}`;
}

/** A stored policy item as a {@link PolicyVersion}; the document is validated again on the way out. */
function storedPolicy(storefrontId: string, item: Record<string, unknown>): PolicyVersion {
  return {
    storefrontId,
    version: Number(item.version),
    policy: parsePolicy(JSON.parse(String(item.document))),
    publishedAt: String(item.publishedAt),
  };
}

/** An order's running total as stored (`ORDER#<storefront>#<order>` / `TOTAL`). */
function orderTotalOf(item: Record<string, unknown>): OrderTotal {
  const claims = item.claims as Set<string> | undefined;
  return {
    granted: Number(item.granted ?? 0),
    paid: Number(item.paid ?? 0),
    currency: String(item.currency ?? ''),
    // Grant ids are the claim id, with `#<round>` for a claim's later rounds: list each claim once.
    claims: [...new Set([...(claims ?? [])].map(claimOfGrant))].sort(),
  };
}

function orderKey(storefrontId: string, orderId: string): string {
  return `ORDER#${storefrontId}#${orderId}`;
}

/** Operational state on DynamoDB: every write that matters is conditional. */
export class DynamoState implements StateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item;
  }

  /**
   * Puts an item only if its key is new (or, with `expiredBefore`, if the existing item expired
   * before then: DynamoDB's TTL deletes late, and dynalite never). False when it already existed.
   */
  private async putNew(item: Record<string, unknown>, expiredBefore?: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: expiredBefore === undefined ? 'attribute_not_exists(pk)' : 'attribute_not_exists(pk) OR expiresAt < :now',
          ...(expiredBefore === undefined ? {} : { ExpressionAttributeValues: { ':now': expiredBefore } }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async rememberIdempotencyKey(record: IdempotencyRecord) {
    const pk = idempotencyKeyOf(record.storefrontId, record.key);
    const now = Math.floor(Date.parse(record.createdAt) / 1000);
    const queued = { [ACTION_QUEUE]: unstartedQueueOf(record.storefrontId), [ACTION_AT]: `${record.createdAt}#${record.claimId}` };
    if (await this.putNew({ pk, sk: 'IDEM', ...record, ...queued, expiresAt: now + IDEMPOTENCY_TTL_SECONDS }, now))
      return { created: true } as const;
    const item = await this.get(pk, 'IDEM');
    if (!item) throw new Error(`Idempotency record ${pk} vanished`);
    return { created: false, existing: idempotencyRecordOf(item) } as const;
  }

  async scheduleRetry(retry: ScheduledRetry): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `RETRY#${retry.claimId}`,
          sk: 'RETRY',
          ...retry,
          [ACTION_QUEUE]: retryQueueOf(retry.storefrontId),
          [ACTION_AT]: `${retry.at}#${retry.claimId}`,
        },
      }),
    );
  }

  async dueRetries(storefrontId: string, now: Date, limit: number): Promise<ScheduledRetry[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byActionQueue',
        KeyConditionExpression: '#q = :q AND #at < :now',
        ExpressionAttributeNames: { '#q': ACTION_QUEUE, '#at': ACTION_AT },
        ExpressionAttributeValues: { ':q': retryQueueOf(storefrontId), ':now': `${now.toISOString()}#~` },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((i) => ({
      claimId: String(i.claimId),
      storefrontId: String(i.storefrontId),
      round: Number(i.round),
      at: String(i.at),
    }));
  }

  async retryDone(claimId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `RETRY#${claimId}`, sk: 'RETRY' } }));
  }

  async workflowStarted(storefrontId: string, idempotencyKey: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: idempotencyKeyOf(storefrontId, idempotencyKey), sk: 'IDEM' },
          UpdateExpression: 'REMOVE #q, #at',
          ConditionExpression: 'attribute_exists(#q)',
          ExpressionAttributeNames: { '#q': ACTION_QUEUE, '#at': ACTION_AT },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err; // not queued (any more)
    }
  }

  async unstartedClaims(storefrontId: string, before: Date, limit: number): Promise<IdempotencyRecord[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byActionQueue',
        KeyConditionExpression: '#q = :q AND #at < :before',
        ExpressionAttributeNames: { '#q': ACTION_QUEUE, '#at': ACTION_AT },
        ExpressionAttributeValues: { ':q': unstartedQueueOf(storefrontId), ':before': before.toISOString() },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map(idempotencyRecordOf);
  }

  async grantOnOrder(args: { storefrontId: string; orderId: string; grantId: string; amount: Money; paid: Money }): Promise<void> {
    const { amount, paid } = args;
    const pk = orderKey(args.storefrontId, args.orderId);
    // DynamoDB allows no arithmetic in a condition: the caller computes the bound it may not pass.
    const bound = paid.amount - amount.amount;
    if (bound < 0) throw new OverRefundError(`${amount.amount} is more than the order's ${paid.amount}`);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk, sk: 'TOTAL' },
          UpdateExpression: 'ADD granted :amount, claims :claim SET currency = :currency, paid = :paid',
          ConditionExpression:
            '(attribute_not_exists(granted) OR granted <= :bound) AND (attribute_not_exists(claims) OR NOT contains(claims, :claimId)) AND (attribute_not_exists(currency) OR currency = :currency)',
          ExpressionAttributeValues: {
            ':amount': amount.amount,
            ':claim': new Set([args.grantId]),
            ':claimId': args.grantId,
            ':currency': amount.currency,
            ':paid': paid.amount,
            ':bound': bound,
          },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const item = await this.get(pk, 'TOTAL');
      const claims = item?.claims as Set<string> | undefined;
      if (claims?.has(args.grantId)) return; // a retry of a grant that already went through
      if (item?.currency !== undefined && item.currency !== amount.currency) {
        throw new CurrencyMismatchError(`Order ${args.orderId} was paid in ${String(item.currency)}, not ${amount.currency}`);
      }
      throw new OverRefundError(
        `Granting ${amount.amount} on order ${args.orderId} would exceed the ${paid.amount} paid (already granted: ${String(item?.granted ?? 0)})`,
      );
    }
  }

  async orderGranted(storefrontId: string, orderId: string, currency: string): Promise<Money> {
    const item = await this.get(`ORDER#${storefrontId}#${orderId}`, 'TOTAL');
    if (item?.currency !== undefined && item.currency !== currency) {
      throw new CurrencyMismatchError(`Order ${orderId} was paid in ${String(item.currency)}, not ${currency}`);
    }
    return money(Number(item?.granted ?? 0), currency);
  }

  async orderFacts(storefrontId: string, orderId: string): Promise<OrderFacts | undefined> {
    const item = await this.get(orderKey(storefrontId, orderId), 'FACTS');
    return item ? (JSON.parse(String(item.facts)) as OrderFacts) : undefined;
  }

  async pinOrderFacts(storefrontId: string, facts: OrderFacts): Promise<OrderFacts> {
    const pk = orderKey(storefrontId, facts.orderId);
    if (
      await this.putNew({ pk, sk: 'FACTS', facts: JSON.stringify(facts), ...(facts.deliveredAt ? { deliveredAt: facts.deliveredAt } : {}) })
    ) {
      return facts;
    }
    const pinned = await this.orderFacts(storefrontId, facts.orderId);
    if (!pinned) throw new TransientError(`The pinned facts of order ${facts.orderId} vanished`);
    if (pinned.deliveredAt !== undefined || facts.deliveredAt === undefined) return pinned;
    // A delivery date may be added once, never changed: the condition keeps the first one.
    const withDelivery = { ...pinned, deliveredAt: facts.deliveredAt };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk, sk: 'FACTS' },
          UpdateExpression: 'SET facts = :facts, deliveredAt = :d',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deliveredAt)',
          ExpressionAttributeValues: { ':facts': JSON.stringify(withDelivery), ':d': facts.deliveredAt },
        }),
      );
      return withDelivery;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const now = await this.orderFacts(storefrontId, facts.orderId);
      if (!now) throw new TransientError(`The pinned facts of order ${facts.orderId} vanished`);
      return now;
    }
  }

  /**
   * Reads a JSON attribute of an item, changes it, and writes it back only if nobody wrote in
   * between (a version number in the condition). `change` returns the new value, or undefined to
   * write nothing; it may run again after a lost race, on the newer value.
   */
  private async compareAndSet<T, R>(pk: string, sk: string, empty: T, change: (current: T) => { value?: T; result: R }): Promise<R> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const item = await this.get(pk, sk);
      const version = Number(item?.version ?? 0);
      const current = item ? (JSON.parse(String(item.value)) as T) : empty;
      const { value, result } = change(current);
      if (value === undefined) return result;
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk, sk, value: JSON.stringify(value), version: version + 1 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': version } }),
          }),
        );
        return result;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
      }
    }
    throw new TransientError(`${pk} ${sk} is contended: no write went through after ${MAX_CAS_ATTEMPTS} attempts`);
  }

  async orderCoverage(storefrontId: string, orderId: string): Promise<OrderCoverage> {
    const item = await this.get(orderKey(storefrontId, orderId), 'COVERAGE');
    return item ? (JSON.parse(String(item.value)) as OrderCoverage) : {};
  }

  async holdUnits(args: { storefrontId: string; orderId: string; claimId: string; lines: readonly UnitHold[] }) {
    return this.compareAndSet<Record<string, Record<string, number>>, { ok: true } | { ok: false; full: string[] }>(
      orderKey(args.storefrontId, args.orderId),
      'COVERAGE',
      {},
      (current) => {
        const next = structuredClone(current);
        const full: string[] = [];
        let changed = false;
        for (const line of args.lines) {
          const holders = next[line.key] ?? {};
          const mine = holders[args.claimId] ?? 0;
          if (mine === line.quantity) continue;
          const others = Object.entries(holders).reduce((a, [id, n]) => (id === args.claimId ? a : a + n), 0);
          if (line.quantity > 0 && others + line.quantity > line.limit) {
            full.push(line.key);
            continue;
          }
          if (line.quantity === 0) delete holders[args.claimId];
          else holders[args.claimId] = line.quantity;
          next[line.key] = holders;
          changed = true;
        }
        if (full.length > 0) return { result: { ok: false, full } };
        return changed ? { value: next, result: { ok: true } } : { result: { ok: true } };
      },
    );
  }

  async goodwillGrants(storefrontId: string, customerId: string, currency: string): Promise<GoodwillGrant[]> {
    const item = await this.get(`CUSTOMER#${storefrontId}#${customerId}#${currency}`, 'GOODWILL');
    return item ? (JSON.parse(String(item.value)) as GoodwillGrant[]) : [];
  }

  async grantGoodwill(args: {
    storefrontId: string;
    customerId: string;
    grantId: string;
    amount: Money;
    at: Date;
    windowDays: number;
    budget: Money | undefined;
  }): Promise<void> {
    const { amount, budget, at } = args;
    if (budget && budget.currency !== amount.currency)
      throw new CurrencyMismatchError(`A ${budget.currency} budget cannot bound ${amount.currency}`);
    await this.compareAndSet<GoodwillGrant[], void>(
      `CUSTOMER#${args.storefrontId}#${args.customerId}#${amount.currency}`,
      'GOODWILL',
      [],
      (grants) => {
        if (grants.some((g) => g.grantId === args.grantId && g.amount === amount.amount)) return { result: undefined }; // a retry
        const since = at.getTime() - args.windowDays * DAY_MS;
        // Grants older than the window no longer count, and are dropped so the item stays small.
        // A grant under the same id with another amount is replaced: the settlement was refused
        // and decided again, and only what is finally settled may count against the budget.
        const inWindow = grants.filter((g) => Date.parse(g.at) >= since && g.grantId !== args.grantId);
        const spent = inWindow.reduce((a, g) => a + g.amount, 0);
        if (budget && amount.amount > 0 && spent + amount.amount > budget.amount) {
          throw new OverRefundError(
            `Goodwill of ${amount.amount} for customer ${args.customerId} would pass the budget of ${budget.amount} (${spent} already granted in ${args.windowDays} days)`,
          );
        }
        return { value: [...inWindow, { grantId: args.grantId, amount: amount.amount, at: at.toISOString() }], result: undefined };
      },
    );
  }

  async orderTotal(storefrontId: string, orderId: string): Promise<OrderTotal | undefined> {
    const item = await this.get(`ORDER#${storefrontId}#${orderId}`, 'TOTAL');
    return item ? orderTotalOf(item) : undefined;
  }

  async orderTotals(storefrontId: string, orderIds: readonly string[]): Promise<Map<string, OrderTotal>> {
    return this.ordersItems(storefrontId, orderIds, 'TOTAL', orderTotalOf);
  }

  async orderFactsMany(storefrontId: string, orderIds: readonly string[]): Promise<Map<string, OrderFacts>> {
    return this.ordersItems(storefrontId, orderIds, 'FACTS', (item) => JSON.parse(String(item.facts)) as OrderFacts);
  }

  /** One item (`sk`) of each order, by order id, read 100 keys per BatchGetItem; orders without it are absent. */
  private async ordersItems<T>(
    storefrontId: string,
    orderIds: readonly string[],
    sk: string,
    read: (item: Record<string, unknown>) => T,
  ): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const prefix = `ORDER#${storefrontId}#`;
    const unique = [...new Set(orderIds)];
    // BatchGetItem takes at most 100 keys; it may hand some back unprocessed under load.
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => ({ pk: `${prefix}${id}`, sk }));
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt) * Math.random()));
        const res: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of res.Responses?.[this.table] ?? []) out.set(String(item.pk).slice(prefix.length), read(item));
        keys = res.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return out;
  }

  async currentPolicy(storefrontId: string): Promise<PolicyVersion | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': `POLICY#${storefrontId}`, ':v': 'V#' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    if (!item) return undefined;
    return {
      storefrontId,
      version: Number(item.version),
      policy: parsePolicy(JSON.parse(String(item.document))),
      publishedAt: String(item.publishedAt),
    };
  }

  async publishPolicy(storefrontId: string, policy: Policy, at: Date): Promise<PolicyVersion> {
    for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      const current = await this.currentPolicy(storefrontId);
      const version = (current?.version ?? 0) + 1;
      const publishedAt = at.toISOString();
      // The document is stored as its JSON text so that it is read back exactly as published.
      const stored = await this.putNew({
        pk: `POLICY#${storefrontId}`,
        sk: policySortKey(version),
        version,
        document: JSON.stringify(policy),
        publishedAt,
      });
      if (stored) return { storefrontId, version, policy, publishedAt };
    }
    throw new TransientError(`Could not publish a policy for ${storefrontId}: too many concurrent publishers`);
  }

  async policyVersion(storefrontId: string, version: number): Promise<PolicyVersion | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': `POLICY#${storefrontId}`, ':sk': policySortKey(version) },
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? storedPolicy(storefrontId, item) : undefined;
  }

  async listPolicyVersions(storefrontId: string): Promise<PolicyVersion[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':pk': `POLICY#${storefrontId}`, ':v': 'V#' },
      ConsistentRead: true,
    });
    return items.map((item) => storedPolicy(storefrontId, item));
  }

  async storefront(storefrontId: string): Promise<Storefront | undefined> {
    const item = await this.get(STOREFRONTS, storefrontId);
    if (!item) return undefined;
    return {
      id: storefrontId,
      name: String(item.name),
      ...(item.mailFrom ? { mailFrom: String(item.mailFrom) } : {}),
      ...(item.replyTo ? { replyTo: String(item.replyTo) } : {}),
      ...(item.emailOverrides ? { emailOverrides: item.emailOverrides as EmailOverrides } : {}),
      ...(item.returnAddress ? { returnAddress: String(item.returnAddress) } : {}),
      ...(item.webhook ? { webhook: item.webhook as WebhookEndpoint } : {}),
    };
  }

  async disableWebhook(storefrontId: string, url: string, at: Date, reason: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: STOREFRONTS, sk: storefrontId },
          UpdateExpression: 'SET webhook.disabledAt = :at, webhook.disabledReason = :reason',
          ConditionExpression: 'webhook.#url = :url',
          ExpressionAttributeNames: { '#url': 'url' },
          ExpressionAttributeValues: { ':at': at.toISOString(), ':reason': reason, ':url': url },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err; // set again meanwhile: the new endpoint stays on
    }
  }

  async putStorefront(s: Storefront): Promise<void> {
    // Wording that does not validate never reaches the table (InvalidRequestError names each problem by path).
    if (s.emailOverrides !== undefined) parseEmailOverrides(s.emailOverrides);
    if (s.webhook !== undefined) assertWebhookUrl(s.webhook.url);
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: STOREFRONTS, sk: s.id, ...s } }));
  }

  async storefronts(): Promise<string[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': STOREFRONTS },
      ProjectionExpression: 'sk',
    });
    return items.map((item) => String(item.sk));
  }

  async putCallback(c: PendingCallback): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `CALLBACK#${c.claimId}`, sk: 'CURRENT', ...c } }));
  }

  async callback(claimId: string): Promise<PendingCallback | undefined> {
    const item = await this.get(`CALLBACK#${claimId}`, 'CURRENT');
    if (!item) return undefined;
    const { pk: _p, sk: _s, ...rest } = item;
    return rest as unknown as PendingCallback;
  }

  async useApproval(use: ApprovalUse) {
    const pk = `APPROVAL#${use.claimId}#${use.round}`;
    if (await this.putNew({ pk, sk: 'USED', ...use })) return { first: true } as const;
    const existing = await this.approvalUse(use.claimId, use.round);
    if (!existing) throw new Error(`Approval use ${pk} vanished`);
    return { first: false, existing } as const;
  }

  async approvalUse(claimId: string, round: number): Promise<ApprovalUse | undefined> {
    const item = await this.get(`APPROVAL#${claimId}#${round}`, 'USED');
    if (!item) return undefined;
    const { pk: _p, sk: _s, ...rest } = item;
    return rest as unknown as ApprovalUse;
  }

  async putAction(action: Action, revision: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: `ACTION#${action.claimId}`,
            sk: action.actionId,
            storefrontId: action.storefrontId,
            status: action.status,
            revision,
            action: JSON.stringify(action),
            ...(action.status === 'requested'
              ? { [ACTION_QUEUE]: actionQueueOf(action.storefrontId), [ACTION_AT]: `${action.requestedAt}#${action.actionId}` }
              : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR revision < :revision',
          ExpressionAttributeValues: { ':revision': revision },
        }),
      );
    } catch (err) {
      // Stored already at this revision or a newer one.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async requestedActions(
    storefrontId: string,
    args: { cursor?: string; limit: number },
  ): Promise<{ actions: Action[]; next: string | null }> {
    const start = args.cursor === undefined ? undefined : decodeActionCursor(storefrontId, args.cursor);
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byActionQueue',
        KeyConditionExpression: '#q = :q',
        ExpressionAttributeNames: { '#q': ACTION_QUEUE },
        ExpressionAttributeValues: { ':q': actionQueueOf(storefrontId) },
        Limit: args.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    return {
      actions: (out.Items ?? []).map((i) => JSON.parse(String(i.action)) as Action),
      next: out.LastEvaluatedKey ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') : null,
    };
  }

  async leaseStep(claimId: string, step: string, holder: string, until: Date, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `STEP#${claimId}`, sk: step },
          UpdateExpression: 'SET holder = :h, leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR holder = :h',
          ExpressionAttributeValues: { ':h': holder, ':until': until.getTime(), ':now': now.getTime() },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async putWork(item: WorkItem, revision: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: `WORK#${item.claimId}`,
            sk: `${item.kind}#${item.id}`,
            revision,
            item: JSON.stringify(item),
            ...(item.status === 'open'
              ? { [ACTION_QUEUE]: workQueueOf(item.kind, item.storefrontId), [ACTION_AT]: `${item.due}#${item.id}` }
              : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR revision < :revision',
          ExpressionAttributeValues: { ':revision': revision },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async openWork(storefrontId: string, kind: WorkItem['kind']): Promise<WorkItem[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'byActionQueue',
      KeyConditionExpression: '#q = :q',
      ExpressionAttributeNames: { '#q': ACTION_QUEUE },
      ExpressionAttributeValues: { ':q': workQueueOf(kind, storefrontId) },
    });
    return items.map((i) => JSON.parse(String(i.item)) as WorkItem);
  }

  async claimWork(claimId: string): Promise<WorkItem[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `WORK#${claimId}` },
      ConsistentRead: true,
    });
    return items.map((i) => JSON.parse(String(i.item)) as WorkItem);
  }

  async useOnce(id: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `ONCE#${id}`, sk: 'USED', [stateTableSchema.ttlAttribute]: Math.ceil(expiresAt.getTime() / 1000) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async wasUsed(id: string): Promise<boolean> {
    return (await this.get(`ONCE#${id}`, 'USED')) !== undefined;
  }

  async putSession(session: StoredSession): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `SESSION#${session.sessionId}`, sk: 'SESSION', ...session, [stateTableSchema.ttlAttribute]: session.expiresAt },
      }),
    );
  }

  async session(sessionId: string): Promise<StoredSession | undefined> {
    const item = await this.get(`SESSION#${sessionId}`, 'SESSION');
    if (!item || item.ended === true) return undefined;
    return {
      sessionId: String(item.sessionId),
      storefrontId: String(item.storefrontId),
      email: String(item.email),
      expiresAt: Number(item.expiresAt),
    };
  }

  async endSession(sessionId: string): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `SESSION#${sessionId}`, sk: 'SESSION' },
          UpdateExpression: 'SET ended = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':t': true },
        }),
      )
      .catch((err) => {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      });
  }

  async ping(): Promise<void> {
    await this.get('HEALTH', 'PING');
  }

  // `SUPPRESSED#<addressKey>` / `ADDRESS`: one item per suppressed address, by its hash only.
  async suppression(addressKey: string): Promise<Suppression | undefined> {
    const item = await this.get(`SUPPRESSED#${addressKey}`, 'ADDRESS');
    if (!item) return undefined;
    return {
      addressKey,
      cause: item.cause === 'complaint' ? 'complaint' : 'bounce',
      since: String(item.since),
      claimId: String(item.claimId),
      step: String(item.step),
    };
  }

  async suppress(suppression: Suppression): Promise<void> {
    await this.putNew({ pk: `SUPPRESSED#${suppression.addressKey}`, sk: 'ADDRESS', ...suppression });
  }
}
