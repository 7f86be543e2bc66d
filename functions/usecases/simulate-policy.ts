import type { OrderFacts } from '#domain/claim.ts';
import { PolicyNotFoundError } from '#domain/errors.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import type { Policy } from '#domain/policy.ts';
import { type SimulationReport, simulate, simulationLookbackDays } from '#domain/simulate.ts';
import type { Deps } from '#ports';
import { mapLimit } from './ledger-verify.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Customer and order reads in flight at once. */
const READS_IN_FLIGHT = 16;
/** Orders whose facts one batched read asks for (BatchGetItem's limit). */
const ORDERS_PER_READ = 100;

/** What the replay read, and how long that took. */
export interface SimulationReads {
  readonly entries: number;
  readonly customers: number;
  readonly orders: number;
  readonly readMs: number;
  readonly replayMs: number;
}

/**
 * What `draft` would have decided for every claim of a storefront received in `[from, to)`,
 * against what the versions that decided them decide on replay (`simulate`). Reads only, and
 * only by key or index: the window by the storefront-day index, each customer's ledger by the
 * customer index (from the longest history any of the policies looks back before `from`), each
 * order's pinned facts by key (100 to a BatchGetItem), and the published versions.
 */
export async function simulatePolicy(
  deps: Pick<Deps, 'ledger' | 'state'>,
  args: { storefrontId: string; draft: Policy; from: Date; to: Date; examplesPerTransition?: number },
): Promise<{ report: SimulationReport; reads: SimulationReads }> {
  const started = performance.now();
  const versions = await deps.state.listPolicyVersions(args.storefrontId);
  if (versions.length === 0) throw new PolicyNotFoundError(`Storefront ${args.storefrontId} has no policy`);

  const customers = new Set<string>();
  const orders = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await deps.ledger.storefrontEntries({ storefrontId: args.storefrontId, from: args.from, to: args.to, cursor });
    for (const e of page.entries) {
      if (e.type !== 'received') continue;
      customers.add(e.customerId);
      orders.add(e.orderId);
    }
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);

  const lookback = simulationLookbackDays([args.draft, ...versions.map((v) => v.policy)]);
  const since = new Date(args.from.getTime() - lookback * DAY_MS);
  const byCustomer = await mapLimit([...customers], READS_IN_FLIGHT, (customerId) =>
    deps.ledger.customerEntries(args.storefrontId, customerId, since),
  );
  const entries: LedgerEntry[] = byCustomer.flat();
  const orderIds = [...orders];
  const batches = Array.from({ length: Math.ceil(orderIds.length / ORDERS_PER_READ) }, (_, b) =>
    orderIds.slice(b * ORDERS_PER_READ, (b + 1) * ORDERS_PER_READ),
  );
  const pinned = new Map<string, OrderFacts>();
  for (const facts of await mapLimit(batches, READS_IN_FLIGHT, (ids) => deps.state.orderFactsMany(args.storefrontId, ids))) {
    for (const [id, f] of facts) pinned.set(id, f);
  }
  const read = performance.now();

  const report = simulate({ ...args, entries, versions, pinned });
  const replayed = performance.now();
  return {
    report,
    reads: {
      entries: entries.length,
      customers: customers.size,
      orders: orders.size,
      readMs: read - started,
      replayMs: replayed - read,
    },
  };
}
