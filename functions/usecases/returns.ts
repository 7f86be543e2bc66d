import { z } from 'zod';
import { customerEmail } from '#domain/email.ts';
import { ConflictError, InvalidRequestError, NotFoundError, toIssues, UnprocessableClaimError } from '#domain/errors.ts';
import { currentDecision, statusOf } from '#domain/ledger.ts';
import type { Deps } from '#ports';
import { emailShop, loadClaim, record, sendOnce, type TaskInput } from './common.ts';

/**
 * Authorises the return and leaves the workflow waiting for the goods.
 *
 * What happens:
 * 1. The task token is stored server-side as the claim's pending callback, with its deadline.
 * 2. `return_authorised` is appended once, and the customer is emailed how to send the goods back.
 */
export async function awaitReturn(
  input: TaskInput & { returnWaitSeconds: number; taskToken: string },
  deps: Pick<Deps, 'ledger' | 'state' | 'mailer' | 'clock' | 'mailFrom'>,
): Promise<void> {
  const loaded = await loadClaim(deps, input.claimId);
  const decision = currentDecision(loaded.entries);
  const authorised = loaded.entries.find((e) => e.step === 'return-authorised');
  const deadline = authorised
    ? String(authorised.data.deadline)
    : new Date(deps.clock.now().getTime() + input.returnWaitSeconds * 1000).toISOString();
  await deps.state.putCallback({
    claimId: input.claimId,
    kind: 'return',
    taskToken: input.taskToken,
    deadline,
    resume: { claimId: input.claimId, storefrontId: loaded.ref.storefrontId },
  });
  await record(deps, loaded, {
    type: 'return_authorised',
    step: 'return-authorised',
    status: 'awaiting_return',
    actor: { kind: 'system' },
    policyVersion: decision?.policyVersion ?? null,
    data: { deadline, items: loaded.claim.complaint.items.map((i) => ({ sku: i.sku, quantity: i.quantity })) },
  });
  const shop = await emailShop(deps, loaded.ref.storefrontId);
  await sendOnce(deps, loaded, {
    step: 'email:return-instructions',
    kind: 'return_instructions',
    to: loaded.claim.customer.email,
    content: customerEmail('return_instructions', {
      claim: loaded.claim,
      decision,
      ...shop,
      claimId: input.claimId,
      sendBackDays: Math.max(1, Math.round(input.returnWaitSeconds / 86400)),
      deadline,
    }),
    status: 'awaiting_return',
    policyVersion: decision?.policyVersion ?? null,
  });
}

const returnReportSchema = z.strictObject({
  items: z
    .array(z.strictObject({ sku: z.string().trim().min(1).max(128), quantity: z.number().int().min(1).max(100_000) }))
    .min(1)
    .max(500),
  receivedAt: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }),
  condition: z.enum(['as_new', 'used', 'damaged']),
});

/** The storefront's report that returned goods arrived. */
export type ReturnReport = z.infer<typeof returnReportSchema>;

/**
 * The storefront reports that the returned goods arrived.
 *
 * What happens:
 * 1. The report is validated (400) and checked against the claim (422: items not claimed, more
 *    than claimed, received before the return was authorised). A claim of another storefront is
 *    404; a claim not waiting for a return is 409. Nothing is written for any of these.
 * 2. `return_received` is appended, and the workflow resumes to settle the refund.
 *    A repeated report of an already received return answers the same, writing nothing.
 */
export async function reportReturn(
  input: { storefrontId: string; claimId: string; rawBody: string },
  deps: Pick<Deps, 'ledger' | 'state' | 'workflow' | 'clock'>,
): Promise<{ claimId: string; status: string }> {
  let body: unknown;
  try {
    body = JSON.parse(input.rawBody);
  } catch {
    throw new InvalidRequestError('The body is not valid JSON', [{ path: '(root)', message: 'must be a JSON object' }]);
  }
  const parsed = returnReportSchema.safeParse(body);
  if (!parsed.success) throw new InvalidRequestError('The return report does not match the schema', toIssues(parsed.error.issues));
  const report = parsed.data;
  const entries = await deps.ledger.entries(input.claimId);
  if (entries.length === 0 || entries[0]?.storefrontId !== input.storefrontId) throw new NotFoundError('No such claim');
  const loaded = await loadClaim(deps, input.claimId);
  if (loaded.entries.some((e) => e.type === 'return_received')) {
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
  report.items.forEach((item, i) => {
    const claimed = loaded.claim.complaint.items.find((c) => c.sku === item.sku);
    if (!claimed) issues.push({ path: `items[${i}].sku`, message: `${item.sku} was not claimed` });
    else if (item.quantity > claimed.quantity)
      issues.push({ path: `items[${i}].quantity`, message: `${item.quantity} returned but ${claimed.quantity} claimed` });
  });
  const authorised = loaded.entries.find((e) => e.type === 'return_authorised');
  if (authorised && Date.parse(report.receivedAt) < Date.parse(authorised.at) - 24 * 60 * 60 * 1000) {
    issues.push({ path: 'receivedAt', message: 'is before the return was authorised' });
  }
  if (Date.parse(report.receivedAt) > now.getTime() + 5 * 60 * 1000) issues.push({ path: 'receivedAt', message: 'is in the future' });
  if (issues.length > 0) throw new UnprocessableClaimError('The return report contradicts the claim', issues);

  await record(deps, loaded, {
    type: 'return_received',
    step: 'return-received',
    status: 'assessing',
    actor: { kind: 'storefront', id: input.storefrontId },
    policyVersion: currentDecision(loaded.entries)?.policyVersion ?? null,
    data: { items: report.items, receivedAt: report.receivedAt, condition: report.condition },
  });
  await deps.workflow.succeed(callback.taskToken, { ...callback.resume, next: 'conclude' });
  return { claimId: input.claimId, status: 'assessing' };
}

/**
 * Nothing arrived before the return deadline.
 *
 * What happens: `closed` is appended with the reason `return_not_received` (it counts in the
 * customer's history), and the customer is told, with a way to reach a person.
 */
export async function closeUnreturned(
  input: TaskInput,
  deps: Pick<Deps, 'ledger' | 'state' | 'mailer' | 'mailFrom'>,
): Promise<{ status: string }> {
  const loaded = await loadClaim(deps, input.claimId);
  const decision = currentDecision(loaded.entries);
  await record(deps, loaded, {
    type: 'closed',
    step: 'closed',
    status: 'closed',
    actor: { kind: 'system' },
    policyVersion: decision?.policyVersion ?? null,
    data: { reason: 'return_not_received' },
  });
  const shop = await emailShop(deps, loaded.ref.storefrontId);
  const deadline = loaded.entries.find((e) => e.step === 'return-authorised')?.data.deadline;
  await sendOnce(deps, loaded, {
    step: 'email:return-not-received',
    kind: 'return_not_received',
    to: loaded.claim.customer.email,
    content: customerEmail('return_not_received', {
      claim: loaded.claim,
      decision,
      ...shop,
      claimId: input.claimId,
      ...(typeof deadline === 'string' ? { deadline } : {}),
    }),
    status: 'closed',
    policyVersion: decision?.policyVersion ?? null,
  });
  return { status: 'closed' };
}
