import { createRequire } from 'node:module';

/**
 * dynalite writes an item and its index rows as separate LevelDB writes: the index rows first
 * (deletes, then puts, in parallel), the base item last. A `kill -9` between them leaves an index
 * row without its item, or an item whose new index row is missing, and a re-run of the step then
 * writes a second row (a ledger entry listed twice by the storefront index, issue 13 D4).
 *
 * All of dynalite's sub-databases are key prefixes of one LevelDB, and a LevelDB batch is atomic
 * (one record in its write-ahead log: after a crash it is there whole or not at all). So this
 * module makes every item write one batch: `updateIndexes` only computes the index operations and
 * parks them under the item's key; the item write that dynalite does next (under the same per-key
 * lock) takes them and commits everything in one batch.
 *
 * It patches dynalite's internals, so it is bound to the exact version it was written against and
 * refuses to load against any other; `repairIndexes` brings a data directory written before it
 * (or by any other writer) back to consistency.
 */

/** The dynalite version whose internals this module knows. package.json pins it exactly. */
const KNOWN_VERSION = '4.0.0';

type Callback = (err?: Error | null) => void;
type Item = Record<string, unknown>;
interface BatchOp {
  readonly type: 'put' | 'del';
  readonly key: string;
  readonly value?: unknown;
}
interface LevelIterator {
  [Symbol.asyncIterator](): AsyncIterator<[string, Item]>;
}
interface MainDb {
  batch(ops: BatchOp[], cb: Callback): void;
  iterator(options: { gte: string; lt: string }): LevelIterator;
  get(key: string, cb: (err: Error | null, value?: Item) => void): void;
}
interface SubDb {
  put(key: string, value: unknown, cb: Callback): void;
  del(key: string, cb: Callback): void;
}
interface IndexDefinition {
  readonly IndexName: string;
}
interface Table {
  readonly TableName: string;
  readonly LocalSecondaryIndexes?: readonly IndexDefinition[];
  readonly GlobalSecondaryIndexes?: readonly IndexDefinition[];
}
interface IndexAction {
  readonly index: string;
  readonly key: string;
  readonly item?: Item;
}
/** The part of dynalite's store this module uses. */
export interface DynaliteStore {
  readonly db: MainDb;
  getItemDb(name: string): SubDb;
}
interface DynaliteDbModule {
  create(options: object): DynaliteStore;
  updateIndexes(store: DynaliteStore, table: Table, existing: Item | undefined | null, item: Item | undefined | null, cb: Callback): void;
  getIndexActions(
    indexes: readonly IndexDefinition[],
    existing: Item | undefined | null,
    item: Item | undefined | null,
    table: Table,
  ): { puts: IndexAction[]; deletes: IndexAction[] };
  createKey(item: Item, table: Table): string;
}

const INDEX_TYPES = ['Local', 'Global'] as const;
const itemPrefix = (table: string) => `item-${table}~`;
const indexPrefix = (type: (typeof INDEX_TYPES)[number], table: string, index: string) => `index-${type.toLowerCase()}~${table}~${index}~`;
/** The prefix dynalite keeps table descriptions under. */
const TABLE_PREFIX = 'table~';

/** Index operations computed by `updateIndexes`, waiting for the item write they belong to. */
const parked = new WeakMap<DynaliteStore, Map<string, BatchOp[]>>();
/** Each store by the options object dynalite created it from. */
const stores = new WeakMap<object, DynaliteStore>();
let installed: DynaliteDbModule | undefined;

/** The index writes (deletes first) that take an item from `existing` to `item`. */
function indexOps(db: DynaliteDbModule, table: Table, existing: Item | undefined | null, item: Item | undefined | null): BatchOp[] {
  const deletes: BatchOp[] = [];
  const puts: BatchOp[] = [];
  for (const type of INDEX_TYPES) {
    const actions = db.getIndexActions(table[`${type}SecondaryIndexes`] ?? [], existing, item, table);
    for (const a of actions.deletes) deletes.push({ type: 'del', key: indexPrefix(type, table.TableName, a.index) + a.key });
    for (const a of actions.puts) puts.push({ type: 'put', key: indexPrefix(type, table.TableName, a.index) + a.key, value: a.item });
  }
  return [...deletes, ...puts];
}

/**
 * Makes every item write of dynalite stores created from now on atomic with its index rows.
 * Idempotent; throws if the installed dynalite is not the version this module knows.
 */
export function installAtomicWrites(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const version = (require('dynalite/package.json') as { version: string }).version;
  if (version !== KNOWN_VERSION)
    throw new Error(
      `local/dynalite-atomic.ts knows dynalite ${KNOWN_VERSION}'s internals, but ${version} is installed: review it before upgrading`,
    );
  const db = require('dynalite/db') as DynaliteDbModule;
  for (const name of ['create', 'updateIndexes', 'getIndexActions', 'createKey'] as const)
    if (typeof db[name] !== 'function') throw new Error(`dynalite/db has no ${name}: local/dynalite-atomic.ts needs review`);

  const create = db.create;
  db.create = (options: object) => {
    const store = create(options);
    const waiting = new Map<string, BatchOp[]>();
    parked.set(store, waiting);
    stores.set(options, store);
    const getItemDb = store.getItemDb.bind(store);
    const wrapped = new Map<string, SubDb>();
    const commit = (name: string, key: string, op: BatchOp, cb: Callback) => {
      const slot = `${name}\u0000${key}`;
      const ops = waiting.get(slot) ?? [];
      waiting.delete(slot);
      store.db.batch([...ops, op], cb);
    };
    store.getItemDb = (name: string) => {
      let sub = wrapped.get(name);
      if (!sub) {
        // Everything else (get, the per-key lock, streams) is the original sub-database's.
        sub = Object.create(getItemDb(name)) as SubDb;
        sub.put = (key, value, cb) => commit(name, key, { type: 'put', key: itemPrefix(name) + key, value }, cb);
        sub.del = (key, cb) => commit(name, key, { type: 'del', key: itemPrefix(name) + key }, cb);
        wrapped.set(name, sub);
      }
      return sub;
    };
    return store;
  };

  const updateIndexes = db.updateIndexes;
  db.updateIndexes = (store, table, existing, item, cb) => {
    const waiting = parked.get(store);
    if (!waiting) return updateIndexes(store, table, existing, item, cb);
    const subject = item ?? existing;
    if (!subject) return cb();
    // dynalite writes the item under this key next, holding the key's lock since before it read `existing`.
    waiting.set(`${table.TableName}\u0000${db.createKey(subject, table)}`, indexOps(db, table, existing, item));
    cb();
  };
  installed = db;
}

/** The store dynalite created from `options` (the object passed to `dynalite(options)`). */
export function storeOf(options: object): DynaliteStore {
  const store = stores.get(options);
  if (!store) throw new Error('no dynalite store was created from these options since installAtomicWrites()');
  return store;
}

/** What `repairIndexes` found and fixed. */
export interface IndexRepair {
  readonly items: number;
  readonly indexRows: number;
  /** Index rows whose item is gone, or no longer has that index key. Deleted. */
  readonly orphans: number;
  /** Index rows missing or stale for an existing item. Written. */
  readonly rewritten: number;
}

function get(db: MainDb, key: string): Promise<Item | undefined> {
  return new Promise((resolve, reject) =>
    db.get(key, (err, value) => {
      if (err && (err as { code?: string }).code !== 'LEVEL_NOT_FOUND' && err.name !== 'NotFoundError') reject(err);
      else resolve(value ?? undefined);
    }),
  );
}

function batch(db: MainDb, ops: BatchOp[]): Promise<void> {
  return new Promise((resolve, reject) => db.batch(ops, (err) => (err ? reject(err) : resolve())));
}

/**
 * Makes every table's index rows match its items, taking the items as the truth (with atomic
 * writes, the item write is the commit point). Reads every item and index row once; run it before
 * the store serves requests.
 */
export async function repairIndexes(store: DynaliteStore): Promise<IndexRepair> {
  const db = installed;
  if (!db) throw new Error('installAtomicWrites() first');
  let items = 0;
  let indexRows = 0;
  let orphans = 0;
  let rewritten = 0;
  const fixes: BatchOp[] = [];
  const flush = async (force = false) => {
    if (fixes.length > 0 && (force || fixes.length >= 500)) await batch(store.db, fixes.splice(0));
  };
  const tables: Table[] = [];
  for await (const [, table] of store.db.iterator({ gte: TABLE_PREFIX, lt: `${TABLE_PREFIX}\uffff` }))
    tables.push(table as unknown as Table);
  for (const table of tables) {
    if (!table.LocalSecondaryIndexes?.length && !table.GlobalSecondaryIndexes?.length) continue;
    // Every index row must be exactly what its item implies.
    for (const type of INDEX_TYPES) {
      for (const index of table[`${type}SecondaryIndexes`] ?? []) {
        const prefix = indexPrefix(type, table.TableName, index.IndexName);
        for await (const [key, row] of store.db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
          indexRows++;
          const item = await get(store.db, itemPrefix(table.TableName) + db.createKey(row, table));
          const expected = item ? indexOps(db, { ...table, [`${type}SecondaryIndexes`]: [index] }, null, item) : [];
          if (!expected.some((op) => op.key === key)) {
            fixes.push({ type: 'del', key });
            orphans++;
            await flush();
          }
        }
      }
    }
    // Every item must have each index row it implies, with its current attributes.
    const prefix = itemPrefix(table.TableName);
    for await (const [, item] of store.db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
      items++;
      for (const op of indexOps(db, table, null, item)) {
        const row = await get(store.db, op.key);
        if (JSON.stringify(row) !== JSON.stringify(op.value)) {
          fixes.push(op);
          rewritten++;
          await flush();
        }
      }
    }
  }
  await flush(true);
  return { items, indexRows, orphans, rewritten };
}

/**
 * Where a store records that its indexes were checked under atomic writes. From then on every
 * write keeps them consistent, so a later boot need not read everything again (the check costs
 * ~0.3 ms per item: bench/embedded-store.ts). Outside dynalite's own key prefixes.
 */
const CHECKED_KEY = 'makegood~indexes-checked';

/** `repairIndexes` on the first boot of a data directory under atomic writes; nothing after that. */
export async function repairIndexesOnce(store: DynaliteStore): Promise<IndexRepair | undefined> {
  if (await get(store.db, CHECKED_KEY)) return undefined;
  const repair = await repairIndexes(store);
  await batch(store.db, [{ type: 'put', key: CHECKED_KEY, value: { at: new Date().toISOString(), dynalite: KNOWN_VERSION, ...repair } }]);
  return repair;
}
