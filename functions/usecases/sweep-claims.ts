import type { Deps } from '#ports';

/** How long after its idempotency record an intake may still be starting the workflow itself. */
export const START_GRACE_MS = 60_000;
/** How long a record without a `received` entry waits for its client's retry before it leaves the queue. */
export const UNACCEPTED_GIVE_UP_MS = 24 * 60 * 60 * 1000;
/** Records looked at per storefront and sweep. */
const SWEEP_BATCH = 100;

/** What one sweep of a storefront did. */
export interface SweepResult {
  /** Accepted claims whose workflow was started by this sweep (or found started). */
  readonly started: string[];
  /** Keys whose intake never got as far as the `received` entry; left for the client's retry. */
  readonly unaccepted: number;
}

/**
 * Starts the workflow of every accepted claim whose intake stopped (a crash, a timeout) between
 * its `received` entry and the start of its workflow.
 *
 * What happens:
 * 1. The intake queues each new idempotency record as unstarted and takes it out once the
 *    workflow started, so the queue holds only claims whose start is not known to have happened.
 * 2. Records older than `graceMs` (an intake in flight is not raced) are read, oldest first.
 * 3. A claim with a `received` entry was accepted: its workflow is started under the claim id, so
 *    a start that did happen is found (`ExecutionAlreadyExists`) and none runs twice.
 * 4. A record without one was never accepted (the client got no 202 and retries with the same
 *    key, which completes it). After a day without that retry it leaves the queue.
 */
export async function sweepUnstartedClaims(
  storefrontId: string,
  deps: Pick<Deps, 'ledger' | 'state' | 'workflow' | 'clock'>,
  graceMs: number = START_GRACE_MS,
): Promise<SweepResult> {
  const now = deps.clock.now().getTime();
  const records = await deps.state.unstartedClaims(storefrontId, new Date(now - graceMs), SWEEP_BATCH);
  const started: string[] = [];
  let unaccepted = 0;
  for (const record of records) {
    const entries = await deps.ledger.entries(record.claimId);
    if (entries.some((e) => e.type === 'received')) {
      await deps.workflow.start(record.claimId, { claimId: record.claimId, storefrontId });
      started.push(record.claimId);
    } else if (now - Date.parse(record.createdAt) < UNACCEPTED_GIVE_UP_MS) {
      unaccepted++;
      continue;
    }
    await deps.state.workflowStarted(storefrontId, record.key);
  }
  return { started, unaccepted };
}
