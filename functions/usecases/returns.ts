import type { ReturnReport } from '#domain/api/requests.ts';
import type { ReturnReceipt } from '#domain/api/responses.ts';
import { ConflictError, NotFoundError, TransientError, UnprocessableClaimError } from '#domain/errors.ts';
import { returnConditions } from '#domain/grade-return.ts';
import {
  authorisingDecision,
  canonicalJson,
  currentDecision,
  customerNoteOf,
  entriesOf,
  isGraded,
  outstandingUnits,
  type ReturnedLine,
  returnDeadline,
  returnedLinesOf,
  statusOf,
} from '#domain/ledger.ts';
import { grantedBy } from '#domain/ledger-audit.ts';
import { money } from '#domain/money.ts';
import { returnGrade, returnPostagePaidBy } from '#domain/policy.ts';
import type { Deps } from '#ports';
import { type EmailDeps, loadClaim, record, releaseUnits, sendCustomerEmail, type TaskInput } from './common.ts';

/**
 * Authorises the return and leaves the workflow waiting for the goods.
 *
 * What happens:
 * 1. The task token is stored server-side as the claim's pending callback, with its deadline.
 * 2. The customer is emailed how to send the goods back (once).
 * 3. `return_authorised` is appended, last: only then does the claim accept a return report.
 */
export async function awaitReturn(input: TaskInput & { returnWaitSeconds: number; taskToken: string }, deps: EmailDeps): Promise<void> {
  const loaded = await loadClaim(deps, input.claimId);
  const decision = authorisingDecision(loaded.entries) ?? currentDecision(loaded.entries);
  const firstDeadline = returnDeadline(loaded.entries);
  const outstanding = firstDeadline ? outstandingUnits(loaded.entries) : (decision?.units ?? []);
  // A retry before the authorisation was recorded keeps the deadline the first attempt stored.
  const earlier = firstDeadline ? undefined : await deps.state.callback(input.claimId);
  const deadline =
    firstDeadline ??
    (earlier?.kind === 'return' ? earlier.deadline : new Date(deps.clock.now().getTime() + input.returnWaitSeconds * 1000).toISOString());
  const resume = { claimId: input.claimId, storefrontId: loaded.ref.storefrontId };
  await deps.state.putCallback({ claimId: input.claimId, kind: 'return', taskToken: input.taskToken, deadline, resume });
  const policy = decision ? await deps.state.policyVersion(loaded.ref.storefrontId, decision.policyVersion) : undefined;
  await sendCustomerEmail(
    deps,
    loaded,
    'return_instructions',
    {
      decision,
      note: customerNoteOf(loaded.entries),
      sendBackDays: Math.max(1, Math.round(input.returnWaitSeconds / 86400)),
      deadline,
      ...(policy
        ? {
            postagePaidBy: returnPostagePaidBy(policy.policy, loaded.claim.complaint.reason),
            conditionDeductions: returnConditions.some(
              (c) => returnGrade(policy.policy, loaded.claim.complaint.reason, c).refundPercent < 100,
            ),
          }
        : {}),
    },
    { step: 'email:return-instructions', status: 'assessing', policyVersion: decision?.policyVersion ?? null },
  );
  // Recorded last: `awaiting_return` is what lets a report in, and it holds only once the task
  // token is stored and the customer told. A later wait (after a graded part was settled) is a
  // step of its own, for the rest.
  const waits = loaded.entries.filter((e) => e.type === 'return_authorised').length;
  const lastWait = loaded.entries.map((e) => e.type).lastIndexOf('return_authorised');
  const again = lastWait >= 0 && loaded.entries.slice(lastWait + 1).some(isGraded);
  await record(deps, loaded, {
    type: 'return_authorised',
    step: again ? `return-authorised#${waits + 1}` : 'return-authorised',
    status: 'awaiting_return',
    actor: { kind: 'system' },
    policyVersion: decision?.policyVersion ?? null,
    data: { deadline, items: outstanding.map((i) => ({ sku: i.sku, quantity: i.quantity })) },
  });
}

/**
 * The storefront reports returned goods that arrived, each with its condition. The handler has
 * validated the report against `returnReportSchema` (400) before.
 *
 * What happens:
 * 1. The report is checked against the claim (422: items not authorised, more units than are
 *    still awaited, received before the return was authorised or in the future). A claim of
 *    another storefront is 404; a claim not waiting for a return is 409. Nothing is written for
 *    any of these.
 * 2. `return_received` is appended, and the workflow resumes to grade and refund the units that
 *    arrived. Units still missing keep the claim waiting until the return deadline.
 *    The same report again answers the same, writing nothing.
 */
export async function reportReturn(
  input: { readonly storefrontId: string; readonly claimId: string; readonly report: ReturnReport },
  deps: Pick<Deps, 'ledger' | 'state' | 'workflow' | 'clock'>,
): Promise<ReturnReceipt> {
  const { report } = input;
  const items: ReturnedLine[] = report.items.map((i) => ({
    sku: i.sku,
    quantity: i.quantity,
    condition: i.condition ?? report.condition ?? 'as_new',
  }));
  const entries = await deps.ledger.entries(input.claimId);
  if (entries.length === 0 || entries[0]?.storefrontId !== input.storefrontId) throw new NotFoundError('No such claim');
  const loaded = await loadClaim(deps, input.claimId);
  const reports = entriesOf(loaded.entries, 'return_received');
  const same = reports.find((e) => e.data.receivedAt === report.receivedAt && canonicalJson(returnedLinesOf(e)) === canonicalJson(items));
  if (same) {
    // Recorded before, but not yet graded: its resume may not have reached the wait. Try again.
    if (!loaded.entries.slice(loaded.entries.indexOf(same)).some((e) => e.type === 'decided')) await resumeWithReport(deps, input.claimId);
    return { claimId: input.claimId, status: statusOf(loaded.entries) ?? 'assessing' };
  }
  const status = statusOf(loaded.entries);
  const callback = await deps.state.callback(input.claimId);
  if (status !== 'awaiting_return' || !callback || callback.kind !== 'return') {
    throw new ConflictError(`Claim ${input.claimId} is ${status}, not awaiting a return`);
  }
  const now = deps.clock.now();
  if (now.getTime() > Date.parse(callback.deadline)) {
    throw new ConflictError(`The return deadline of claim ${input.claimId} passed at ${callback.deadline}`);
  }
  const issues: { path: string; message: string }[] = [];
  const awaited = new Map(outstandingUnits(loaded.entries).map((u) => [u.sku, u.quantity]));
  const reported = new Map<string, number>();
  items.forEach((item, i) => {
    const claimed = loaded.claim.complaint.items.some((c) => c.sku === item.sku);
    const left = (awaited.get(item.sku) ?? 0) - (reported.get(item.sku) ?? 0);
    reported.set(item.sku, (reported.get(item.sku) ?? 0) + item.quantity);
    if (!claimed) issues.push({ path: `items[${i}].sku`, message: `${item.sku} was not claimed` });
    else if (item.quantity > left) {
      issues.push({
        path: `items[${i}].quantity`,
        message: `${item.quantity} reported but ${Math.max(0, left)} of ${item.sku} still awaited`,
      });
    }
  });
  const authorised = loaded.entries.find((e) => e.type === 'return_authorised');
  if (authorised && Date.parse(report.receivedAt) < Date.parse(authorised.at) - 24 * 60 * 60 * 1000) {
    issues.push({ path: 'receivedAt', message: 'is before the return was authorised' });
  }
  if (Date.parse(report.receivedAt) > now.getTime() + 5 * 60 * 1000) issues.push({ path: 'receivedAt', message: 'is in the future' });
  if (issues.length > 0) throw new UnprocessableClaimError('The return report contradicts the claim', issues);

  const recorded = await record(deps, loaded, {
    type: 'return_received',
    step: `return-received#${reports.length + 1}`,
    status: 'assessing',
    actor: { kind: 'storefront', id: input.storefrontId },
    policyVersion: currentDecision(loaded.entries)?.policyVersion ?? null,
    data: {
      items: items.map((i) => ({ ...i })),
      receivedAt: report.receivedAt,
      ...(report.tracking ? { tracking: report.tracking } : {}),
    },
  });
  // Two reports sent at once both read the same ledger; the second finds the step taken by the
  // first and writes nothing. It is refused, never answered as if it had been recorded.
  if (
    recorded.type !== 'return_received' ||
    recorded.data.receivedAt !== report.receivedAt ||
    canonicalJson(returnedLinesOf(recorded)) !== canonicalJson(items)
  ) {
    throw new ConflictError(
      `Another return report of claim ${input.claimId} was recorded at the same moment; send this one again once the claim waits for the rest`,
    );
  }
  await resumeWithReport(deps, input.claimId);
  return { claimId: input.claimId, status: 'assessing' };
}

/** How often, and how long apart, a report tries to reach a wait whose token is being renewed. */
const RESUME_ATTEMPTS = 20;
const RESUME_PAUSE_MS = 250;

/**
 * Resumes the return wait with the recorded report. The stored token may be spent: the wait's
 * task was retried (its answer lost after it stored the token) and the retry is storing a new
 * one. So a `gone` answer is tried again with the token stored next, for a few seconds; after
 * that the report stays recorded and TransientError asks the storefront to send it again, which
 * resumes the wait then (the same report is recognised and not recorded twice).
 */
async function resumeWithReport(deps: Pick<Deps, 'ledger' | 'state' | 'workflow'>, claimId: string): Promise<void> {
  let tried: string | undefined;
  for (let attempt = 0; attempt < RESUME_ATTEMPTS; attempt++) {
    const callback = await deps.state.callback(claimId);
    if (callback?.kind === 'return' && callback.taskToken !== tried) {
      if ((await deps.workflow.succeed(callback.taskToken, { ...callback.resume, next: 'reassess' })) === 'ok') return;
      tried = callback.taskToken;
    }
    // The same report sent twice at once: the other request's resume may have got there first.
    const entries = await deps.ledger.entries(claimId);
    const lastReport = entries.map((e) => e.type).lastIndexOf('return_received');
    if (entries.slice(lastReport + 1).some((e) => e.type === 'decided')) return;
    await new Promise((r) => setTimeout(r, RESUME_PAUSE_MS));
  }
  throw new TransientError(`The return report of claim ${claimId} is recorded, but the workflow is not waiting yet: send it again`);
}

/**
 * The return deadline passed with authorised units still missing.
 *
 * What happens: the missing units are released, and `closed` is appended with the reason
 * `return_not_received` and the units (it counts in the customer's history). A claim whose
 * arrived part was refunded stays `settled`; one with nothing back is `closed`. The customer is
 * told which items did not arrive, with a way to reach a person.
 */
export async function closeUnreturned(input: TaskInput, deps: EmailDeps): Promise<{ status: string }> {
  const loaded = await loadClaim(deps, input.claimId);
  const decision = authorisingDecision(loaded.entries) ?? currentDecision(loaded.entries);
  const missing = outstandingUnits(loaded.entries);
  // Refund value only: a bonus or apology credit is not a refund for the items that arrived.
  const refunded = loaded.entries.reduce((a, e) => a + grantedBy(e), 0);
  const status = refunded > 0 ? 'settled' : 'closed';
  await releaseUnits(deps, loaded);
  await record(deps, loaded, {
    type: 'closed',
    step: 'closed',
    status,
    actor: { kind: 'system' },
    policyVersion: decision?.policyVersion ?? null,
    data: { reason: 'return_not_received', items: missing.map((m) => ({ ...m })) },
  });
  const deadline = returnDeadline(loaded.entries);
  const names = new Map(loaded.claim.order.items.map((i) => [i.sku, i.name]));
  await sendCustomerEmail(
    deps,
    loaded,
    'return_not_received',
    {
      decision,
      ...(deadline ? { deadline } : {}),
      missingItems: missing.map((m) => ({ name: names.get(m.sku) ?? m.sku, quantity: m.quantity })),
      ...(refunded > 0 ? { refundedPart: money(refunded, loaded.ref.currency) } : {}),
    },
    { step: 'email:return-not-received', status, policyVersion: decision?.policyVersion ?? null },
  );
  return { status };
}
