import { postClaim, signedFetch } from '../integration/harness.ts';
import { type Condition, paidOf, type ReportPlan, type Scenario, type ScenarioClaim } from './scenario.ts';

/**
 * Plays one scenario against the embedded stack as a storefront would: posts every claim at once
 * (with the planned replays), then follows each claim by `GET /v1/claims/{id}` and reports the
 * planned returns whenever a claim waits for its goods, until every claim has come to rest.
 */

const DAY_MS = 86_400_000;

/** The parts of `GET /v1/claims/{id}` the model reads. */
export interface ModelClaimView {
  readonly claimId: string;
  readonly status: string;
  readonly decision: {
    readonly outcome: string;
    readonly units: readonly { readonly sku: string; readonly quantity: number }[];
    readonly rules: readonly { readonly id: string; readonly text: string }[];
  } | null;
  readonly timeline: readonly { readonly seq: number; readonly type: string; readonly status: string }[];
}

/** How a claim of the scenario went, as the storefront saw it. */
export interface DrivenClaim {
  /** Index of the claim in the scenario. */
  readonly index: number;
  readonly claimId: string | undefined;
  /** The last status seen. */
  readonly status: string;
  /** The units the claim's decision asked back (when it waited for a return). */
  readonly authorised: readonly { readonly sku: string; readonly quantity: number }[];
  /** Distinct return reports accepted (duplicates not counted). */
  readonly reportsAccepted: number;
  /** What the storefront saw go wrong: a refused POST, a report refused, a claim that stopped moving. */
  readonly problems: readonly string[];
  readonly last: ModelClaimView | undefined;
}

/** How long the driver polls and waits. */
export interface DriverTiming {
  /** First pause between two polls of a claim; it grows while nothing changes. */
  readonly pollMs: number;
  /** Longest pause between two polls. */
  readonly maxPollMs: number;
  /**
   * When a return report goes out: `eager` as soon as the status says `awaiting_return` (what a
   * storefront that polls the status does), `careful` only once the ledger shows the workflow
   * waiting for goods again (a return authorised after the latest decision and report).
   */
  readonly reports: 'eager' | 'careful';
  /**
   * A claim not at rest whose ledger gained no entry for this long is stuck. The ASL retries a step
   * at most 4 times with full jitter on 1, 2, 4, 8 s, so a healthy claim never pauses this long.
   */
  readonly stallMs: number;
}

/** What the workflow engine says of a claim's execution: whether it has ended, and where it is. */
export type ExecutionProbe = (claimId: string) => { readonly ended: boolean; readonly at: string } | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bodies of the scenario's claims, all on the same order, as the storefront posts them. */
export function claimBodies(scenario: Scenario, orderId: string, now: number): unknown[] {
  const { order } = scenario;
  const delivered = now - order.deliveredDaysAgo * DAY_MS;
  const placed = delivered - order.placedDaysBeforeDelivery * DAY_MS - 3_600_000;
  const orderBody = {
    id: orderId,
    placedAt: new Date(placed).toISOString(),
    deliveredAt: new Date(delivered).toISOString(),
    currency: 'EUR',
    paid: paidOf(order),
    shipping: order.shipping,
    items: order.lines.map((l) => ({
      sku: l.sku,
      name: `Item ${l.sku}`,
      category: l.category,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
    })),
  };
  return scenario.claims.map((c) => ({
    order: orderBody,
    customer: {
      id: `${orderId}-C${c.customer}`,
      email: `${orderId.toLowerCase()}-c${c.customer}@example.com`,
      name: `Customer ${c.customer}`,
      locale: scenario.customers[c.customer] ?? 'en',
    },
    complaint: {
      reason: c.reason,
      items: c.items.map((i) => ({ ...i })),
      desiredOutcome: c.desiredOutcome,
      message: 'Model scenario claim.',
      channel: 'web',
      evidence: c.evidence ? [`https://shop.example/uploads/${orderId}.jpg`] : [],
    },
  }));
}

/** What posting one claim (and its replay) gave. */
interface Posted {
  readonly claimId: string | undefined;
  readonly problems: string[];
}

/** Posts a claim, and its replay as planned; both must answer 202 with the same claim, the replay marked. */
async function post(apiUrl: string, body: unknown, key: string, replay: ScenarioClaim['replay']): Promise<Posted> {
  const once = () => postClaim(apiUrl, body, key);
  const answers =
    replay === 'none' ? [await once()] : replay === 'concurrent' ? await Promise.all([once(), once()]) : [await once(), await once()];
  const problems: string[] = [];
  for (const a of answers) {
    if (a.res.status !== 202) problems.push(`POST /v1/claims answered ${a.res.status}: ${JSON.stringify(a.json)}`);
  }
  const ids = new Set(answers.map((a) => a.json.claimId));
  if (ids.size !== 1) problems.push(`a replay under the same Idempotency-Key gave other claims: ${[...ids].join(', ')}`);
  const replayed = answers.filter((a) => a.res.headers.get('idempotent-replayed') === 'true').length;
  if (replayed !== answers.length - 1) problems.push(`${replayed} of ${answers.length} answers were marked Idempotent-Replayed`);
  return { claimId: answers[0]?.res.status === 202 ? answers[0].json.claimId : undefined, problems };
}

async function view(apiUrl: string, claimId: string): Promise<ModelClaimView | undefined> {
  const res = await signedFetch(apiUrl, 'GET', `/v1/claims/${claimId}`);
  if (res.status !== 200) {
    await res.body?.cancel();
    return undefined;
  }
  return (await res.json()) as ModelClaimView;
}

const atRest = new Set(['settled', 'rejected', 'closed', 'failed']);

/**
 * Whether the workflow is parked waiting for the goods: a return authorised after the latest
 * decision and after the latest report (the status alone may say `awaiting_return` while a
 * report is being graded, or before the next wait began).
 */
function waitsForGoods(v: ModelClaimView): boolean {
  const types = v.timeline.map((t) => t.type);
  const authorised = types.lastIndexOf('return_authorised');
  return v.status === 'awaiting_return' && authorised > types.lastIndexOf('decided') && authorised > types.lastIndexOf('return_received');
}

/** Whether the workflow is parked waiting for a person: the approvers were asked and mailed. */
function waitsForPerson(v: ModelClaimView): boolean {
  return v.status === 'awaiting_approval' && v.timeline.at(-1)?.type === 'email_sent';
}

/** The report a plan makes of the units still awaited; undefined when it names none of them. */
export function reportBody(plan: ReportPlan, awaited: ReadonlyMap<string, number>, receivedAt: string) {
  const items: { sku: string; quantity: number; condition: Condition }[] = [];
  for (const line of plan.lines) {
    const left = awaited.get(line.sku) ?? 0;
    const quantity = plan.rest ? left : Math.min(line.take, left);
    if (quantity === 0) continue;
    if (line.firstCondition !== undefined && line.firstCondition !== line.condition && quantity >= 2) {
      items.push({ sku: line.sku, quantity: 1, condition: line.firstCondition });
      items.push({ sku: line.sku, quantity: quantity - 1, condition: line.condition });
    } else {
      items.push({ sku: line.sku, quantity, condition: line.condition });
    }
  }
  return items.length === 0 ? undefined : { items, receivedAt };
}

/** Sends one planned report (and its duplicate); true when it was accepted. */
async function report(apiUrl: string, claimId: string, plan: ReportPlan, body: unknown, problems: string[]): Promise<boolean> {
  // As a storefront should: a 503 try_again (the report is kept, the wait is not ready) is sent again.
  const send = async () => {
    for (let attempt = 0; ; attempt++) {
      const res = await signedFetch(apiUrl, 'POST', `/v1/claims/${claimId}/returns`, body);
      if (res.status !== 503 || attempt >= 5) return res;
      await res.text();
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const answers =
    plan.duplicate === 'none'
      ? [await send()]
      : plan.duplicate === 'concurrent'
        ? await Promise.all([send(), send()])
        : [await send(), await send()];
  let accepted = true;
  for (const res of answers) {
    const text = await res.text();
    if (res.status !== 200) {
      accepted = false;
      problems.push(`POST returns ${JSON.stringify(body)} answered ${res.status}: ${text}`);
    }
  }
  return accepted;
}

/**
 * Follows one claim until it is at rest: settled, rejected, closed or failed; waiting for a
 * person; or waiting for goods once every planned report went out. Reports go out as soon as the
 * status says `awaiting_return`, as a storefront that polls would send them.
 */
async function follow(
  apiUrl: string,
  claim: ScenarioClaim,
  index: number,
  posted: Posted,
  timing: DriverTiming,
  execution: ExecutionProbe,
): Promise<DrivenClaim> {
  const problems = [...posted.problems];
  const { claimId } = posted;
  if (!claimId) return { index, claimId, status: 'not_posted', authorised: [], reportsAccepted: 0, problems, last: undefined };
  const plans = [...claim.returns];
  let authorised: { sku: string; quantity: number }[] | undefined;
  const reported = new Map<string, number>();
  let reportsAccepted = 0;
  let last: ModelClaimView | undefined;
  let seen = -1;
  let changedAt = Date.now();
  let pause = timing.pollMs;
  for (;;) {
    const v = await view(apiUrl, claimId);
    if (v) {
      if (v.timeline.length !== seen) {
        seen = v.timeline.length;
        changedAt = Date.now();
        pause = timing.pollMs;
      }
      last = v;
      if (atRest.has(v.status) || waitsForPerson(v)) break;
      if (v.status === 'awaiting_return') {
        // The decision that asks for the goods is the current one until the first graded round.
        authorised ??= (v.decision?.units ?? []).map((u) => ({ ...u }));
        const plan = timing.reports === 'eager' || waitsForGoods(v) ? plans.shift() : undefined;
        if (plan) {
          const awaited = new Map(authorised.map((u) => [u.sku, u.quantity - (reported.get(u.sku) ?? 0)]));
          const body = reportBody(plan, awaited, new Date().toISOString());
          if (body && (await report(apiUrl, claimId, plan, body, problems))) {
            reportsAccepted += 1;
            for (const item of body.items) reported.set(item.sku, (reported.get(item.sku) ?? 0) + item.quantity);
          }
          continue;
        }
        if (plans.length === 0 && waitsForGoods(v)) break;
      }
    }
    // An execution that has ended moves the claim no further: it is stuck now, not after the stall.
    const run = execution(claimId);
    if (run?.ended) {
      // Read again: the run may have ended between the read above and now.
      const after = await view(apiUrl, claimId);
      if (after && after.timeline.length !== seen) continue;
      problems.push(`stuck: the workflow ended (${run.at}) with the claim in status ${after?.status ?? 'unknown'}`);
      break;
    }
    if (Date.now() - changedAt > timing.stallMs) {
      problems.push(
        `stuck: no ledger entry for ${timing.stallMs} ms in status ${last?.status ?? 'unknown'} (workflow ${run?.at ?? 'unknown'})`,
      );
      break;
    }
    await sleep(pause);
    pause = Math.min(timing.maxPollMs, Math.round(pause * 1.5));
  }
  return { index, claimId, status: last?.status ?? 'unknown', authorised: authorised ?? [], reportsAccepted, problems, last };
}

/** Plays a scenario on a fresh order: every claim posted at once, then each followed to rest. */
export async function playScenario(
  apiUrl: string,
  scenario: Scenario,
  orderId: string,
  timing: DriverTiming,
  execution: ExecutionProbe,
): Promise<DrivenClaim[]> {
  const bodies = claimBodies(scenario, orderId, Date.now());
  return Promise.all(
    scenario.claims.map(async (claim, i) => {
      const posted = await post(apiUrl, bodies[i], `${orderId}-K${i}`, claim.replay);
      return follow(apiUrl, claim, i, posted, timing, execution);
    }),
  );
}
