import { ConflictError } from '#domain/errors.ts';
import { type Actor, entriesOf } from '#domain/ledger.ts';
import type { AutoRetrySettings, Deps } from '#ports';
import { loadClaim, record } from './common.ts';

/** What `retryClaim` did. */
export interface RetriedClaim {
  readonly claimId: string;
  readonly round: number;
  /** The execution started (named, so starting it again starts nothing twice). */
  readonly execution: string;
  /** The step the claim goes back to; `decide` when the decision itself failed. */
  readonly resumesAt: string;
  /** The failure retried. */
  readonly error: string;
}

/**
 * Re-runs a failed claim from the step that failed (`makegood claims retry`).
 *
 * What happens:
 * 1. The claim's last entry must be `failed`: a claim that is running, waiting or ended is not
 *    retried (409). Its last entry `retried` means a retry was recorded: refused when its
 *    execution exists, started when the retry stopped before starting it.
 * 2. A `retried` entry records who asked, the round and the step to resume at (the one the
 *    `failed` entry kept), with the claim's status from before the failure.
 * 3. A new execution, `<claimId>-retry-<round>`, starts with `resume`; its Assess routes straight
 *    to that step. Every step is idempotent by its ledger step name, so what the failed run
 *    already did (a refund settled, an email sent) is found done and not done again.
 */
export async function retryClaim(claimId: string, actor: Actor, deps: Pick<Deps, 'ledger' | 'workflow'>): Promise<RetriedClaim> {
  const loaded = await loadClaim(deps, claimId);
  const last = loaded.entries.at(-1);
  const failures = entriesOf(loaded.entries, 'failed');
  const failure = failures.at(-1);
  if (!failure || (last?.type !== 'failed' && last?.type !== 'retried'))
    throw new ConflictError(`Claim ${claimId} has not failed: its status is ${last?.status ?? 'unknown'}`);
  const round = failures.length;
  const execution = retryExecutionName(claimId, round);
  const resume = failure.data.resume ?? null;
  if (last.type === 'retried') {
    // Recorded before: started too, unless the retry stopped in between.
    const status = await deps.workflow.status(execution);
    if (status !== undefined) throw new ConflictError(`Claim ${claimId} was retried already: ${execution} is ${status.toLowerCase()}`);
  } else {
    const before = loaded.entries.at(-2)?.status ?? 'received';
    await record(deps, loaded, {
      type: 'retried',
      step: `retried#${round}`,
      status: before === 'failed' ? 'assessing' : before,
      actor,
      policyVersion: failure.policyVersion,
      data: { round, execution, resume },
    });
  }
  await deps.workflow.start(execution, { claimId, storefrontId: loaded.ref.storefrontId, ...(resume ? { resume } : {}) });
  return { claimId, round, execution, resumesAt: resume?.next ?? 'decide', error: failure.data.error };
}

/** The execution that retries a claim after its `round`-th failure. */
export const retryExecutionName = (claimId: string, round: number): string => `${claimId}-retry-${round}`;

/**
 * Which failure of the claim an execution of it would record: its first run, named by the claim
 * id, records the first; the retry after the n-th failure records the (n+1)-th. Undefined when
 * the execution is not one of this claim's.
 */
export function executionRound(claimId: string, execution: string): number | undefined {
  if (execution === claimId) return 1;
  const retry = RETRY_SUFFIX.exec(execution);
  return retry && execution.slice(0, retry.index) === claimId ? Number(retry[1]) + 1 : undefined;
}

/** The claim an execution is of, by its name: `<claimId>` or `<claimId>-retry-<n>`. */
export const claimOfExecution = (execution: string): string => execution.replace(RETRY_SUFFIX, '');

/** What {@link retryExecutionName} appends to the claim id. */
const RETRY_SUFFIX = /-retry-([1-9]\d{0,5})$/;

/**
 * Errors a later attempt may not meet: a service that kept failing or throttling through every
 * retry of the step, or a step that timed out. Anything else (a bug, a claim the ledger does not
 * know) fails the same way again, and is left to an operator.
 */
const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([
  'TransientError',
  'States.Timeout',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
]);

/**
 * When a claim that failed with `error` for the `round`-th time is retried by itself: after the
 * first delay, tripled each round (5 min, 15 min, 45 min, … by default), for `rounds` rounds.
 * Undefined when it is not retried by itself.
 */
export function automaticRetryAt(error: string, round: number, now: Date, settings: AutoRetrySettings): string | undefined {
  if (!TRANSIENT_ERRORS.has(error) || round > settings.rounds) return undefined;
  return new Date(now.getTime() + settings.firstDelayMs * 3 ** (round - 1)).toISOString();
}

/**
 * Retries the storefront's failed claims whose automatic retry is due, as `system` (the sweeper
 * does this on its schedule). A claim that an operator retried meanwhile, or that is no longer
 * failed, leaves the queue untouched otherwise.
 */
export async function retryDueClaims(storefrontId: string, deps: Pick<Deps, 'ledger' | 'state' | 'workflow' | 'clock'>): Promise<string[]> {
  const due = await deps.state.dueRetries(storefrontId, deps.clock.now(), 25);
  const retried: string[] = [];
  for (const retry of due) {
    try {
      const done = await retryClaim(retry.claimId, { kind: 'system' }, deps);
      if (done.round === retry.round) retried.push(retry.claimId);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    await deps.state.retryDone(retry.claimId);
  }
  return retried;
}
