import { type CheckDeps, checkScenario, type Violation } from './checks.ts';
import { type DriverTiming, type ExecutionProbe, playScenario } from './driver.ts';
import type { Scenario } from './scenario.ts';

/**
 * Runs many scenarios against one stack, a few at a time (scenarios are on different orders and
 * customers, so they are independent), and tallies what happened.
 */

/** A scenario that broke a rule: enough to read it and run it again. */
export interface FailedScenario {
  readonly index: number;
  readonly orderId: string;
  readonly violations: readonly Violation[];
  readonly scenario: Scenario;
  /** Each claim's id, last status and timeline, to read along. */
  readonly claims: readonly { index: number; claimId: string | undefined; status: string; workflow: string; timeline: string[] }[];
}

/** What a run did. */
export interface RunTally {
  scenarios: number;
  claims: number;
  byStatus: Record<string, number>;
  reports: number;
  failures: FailedScenario[];
}

/** Options of {@link runScenarios}. */
export interface RunOptions {
  readonly apiUrl: string;
  readonly deps: CheckDeps;
  readonly timing: DriverTiming;
  readonly execution: ExecutionProbe;
  /** Scenarios in flight at once. */
  readonly concurrency: number;
  /** Makes each scenario's order id unique in the stack. */
  readonly orderId: (index: number) => string;
  /** Called after each scenario, with how many are done. */
  readonly progress?: (done: number, tally: RunTally) => void;
}

/** Plays and checks every scenario, `concurrency` at a time; `indices` name them in the failure report. */
export async function runScenarios(scenarios: readonly Scenario[], indices: readonly number[], options: RunOptions): Promise<RunTally> {
  const tally: RunTally = { scenarios: 0, claims: 0, byStatus: {}, reports: 0, failures: [] };
  let next = 0;
  const worker = async () => {
    for (let at = next++; at < scenarios.length; at = next++) {
      const scenario = scenarios[at] as Scenario;
      const index = indices[at] ?? at;
      const orderId = options.orderId(index);
      let violations: Violation[];
      let claims: FailedScenario['claims'] = [];
      try {
        const driven = await playScenario(options.apiUrl, scenario, orderId, options.timing, options.execution);
        violations = await checkScenario(options.deps, scenario, orderId, driven);
        const ids = new Set<string>();
        for (const d of driven) {
          if (d.claimId && !ids.has(d.claimId)) {
            ids.add(d.claimId);
            tally.claims += 1;
            tally.byStatus[d.status] = (tally.byStatus[d.status] ?? 0) + 1;
          }
          tally.reports += d.reportsAccepted;
        }
        claims = driven.map((d) => ({
          index: d.index,
          claimId: d.claimId,
          status: d.status,
          workflow: d.claimId ? (options.execution(d.claimId)?.at ?? 'unknown') : '-',
          timeline: (d.last?.timeline ?? []).map((t) => `${t.type}/${t.status}`),
        }));
      } catch (err) {
        violations = [{ check: 'run', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }];
      }
      tally.scenarios += 1;
      if (violations.length > 0) tally.failures.push({ index, orderId, violations, scenario, claims });
      options.progress?.(tally.scenarios, tally);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  tally.failures.sort((a, b) => a.index - b.index);
  return tally;
}

/** A failure as the test prints it: the index, what broke, and the scenario's JSON to replay. */
export function describeFailure(f: FailedScenario): string {
  return [
    `scenario #${f.index} (order ${f.orderId}):`,
    ...f.violations.map((v) => `  [${v.check}] ${v.message}`),
    ...f.claims.map((c) => `  claim #${c.index} ${c.claimId ?? '-'} ${c.status} (workflow ${c.workflow}): ${c.timeline.join(' → ')}`),
    `  replay: MAKEGOOD_MODEL_ONLY=${f.index} (same seed), scenario JSON:`,
    `  ${JSON.stringify(f.scenario)}`,
  ].join('\n');
}
