/**
 * How `makegood actions` prints: the list of actions as aligned text or JSON, and the lines that
 * say what an answer recorded.
 */
import type { ActionReceipt, ActionView } from '#domain/api/action.ts';
import type { ClaimStatus } from '#domain/ledger.ts';
import { type Money, minorDigits } from '#domain/money.ts';

/** Some of a storefront's requested actions, oldest first; `more` when the limit cut the list. */
export interface StorefrontActions {
  readonly storefrontId: string;
  readonly actions: readonly ActionView[];
  readonly more: boolean;
}

/** Every action of one claim, whatever its status. */
export interface ClaimActions {
  readonly claimId: string;
  readonly storefrontId: string;
  readonly status: ClaimStatus | null;
  readonly actions: readonly ActionView[];
}

/**
 * An amount as a person types it back into `--amount`: `27.50 EUR`, with as many decimals as the
 * currency has (`3000 JPY`, `1.250 KWD`).
 */
export function amountText(m: Money): string {
  const digits = minorDigits(m.currency);
  const unit = 10 ** digits;
  const abs = Math.abs(m.amount);
  const fraction = digits > 0 ? `.${String(abs % unit).padStart(digits, '0')}` : '';
  return `${m.amount < 0 ? '-' : ''}${Math.floor(abs / unit)}${fraction} ${m.currency}`;
}

/** What an action asks, in words: `refund 27.50 EUR`, `store credit 30.25 EUR`, `replacement`. */
export function whatOf(a: Pick<ActionView, 'type' | 'amount'>): string {
  return a.type === 'replacement' ? 'replacement' : `${a.type.replace('_', ' ')} ${amountText(a.amount)}`;
}

function itemsText(a: ActionView): string {
  return a.items.map((u) => `${u.quantity} × ${u.sku}`).join(', ') || '—';
}

const HEADINGS = ['ACTION', 'CLAIM', 'TYPE', 'AMOUNT', 'ITEMS', 'REQUESTED', 'STATUS', 'REFERENCE'] as const;
const AMOUNT = HEADINGS.indexOf('AMOUNT');

/** Actions as an aligned table, indented by two spaces; amounts right-aligned, the last column not padded. */
export function actionTable(actions: readonly ActionView[]): string {
  const rows = actions.map((a) => [
    a.actionId,
    a.claimId,
    a.type,
    a.type === 'replacement' ? '—' : amountText(a.amount),
    itemsText(a),
    a.requestedAt,
    a.status,
    a.reference ?? '—',
  ]);
  const widths = HEADINGS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : i === AMOUNT ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ')}\n`;
  return line(HEADINGS) + rows.map(line).join('');
}

/** The answer of an action and what links it to others, in words (nothing for a plain requested action). */
export function actionNotes(a: ActionView): string[] {
  const notes: string[] = [];
  const r = a.result;
  if (r) {
    if (r.status === 'cancelled') notes.push(`cancelled ${r.at} by ${r.by}`);
    else {
      let answer = `${r.status} ${r.at} by ${r.by}: ${r.provider ?? '?'} ${r.reference ?? '?'}`;
      if (r.amount && (r.amount.amount !== a.amount.amount || r.amount.currency !== a.amount.currency)) {
        answer += `, ${amountText(r.amount)} of the ${amountText(a.amount)} asked`;
      }
      if (r.failureReason !== undefined) answer += `: ${r.failureReason}`;
      if (r.creditCode !== undefined) answer += `, code ${r.creditCode}`;
      if (r.tracking !== undefined) answer += `, tracking ${r.tracking}`;
      notes.push(answer);
    }
  }
  if (a.recovers !== undefined) {
    notes.push(`given instead of the failed refund ${a.recovers}${a.goodwill ? ` (bonus ${amountText(a.goodwill)})` : ''}`);
  }
  if (a.replaces !== undefined) notes.push(`cash asked for instead of the store credit ${a.replaces}`);
  if (a.revokeCreditCode !== undefined) notes.push(`void the credit code ${a.revokeCreditCode} before paying`);
  if (a.followedBy !== undefined) notes.push(`followed by ${a.followedBy}`);
  return notes;
}

function notesText(actions: readonly ActionView[]): string {
  return actions.flatMap((a) => actionNotes(a).map((n) => `  ${a.actionId}: ${n}\n`)).join('');
}

function answerHint(): string {
  return '  answer each with: makegood actions succeed <actionId> --provider … --reference … (or fail <actionId> … --reason …)\n';
}

/** The text of `actions list`: per storefront its requested actions, oldest first. */
export function formatStorefrontActions(listing: readonly StorefrontActions[], options: { target: string; limit: number }): string {
  let text = `Requested actions in ${options.target} (oldest first, at most ${options.limit} per storefront):\n`;
  if (listing.length === 0) return `${text}\nno storefronts\n`;
  for (const s of listing) {
    text += `\n${s.storefrontId}:\n`;
    if (s.actions.length === 0) {
      text += '  no requested actions\n';
      continue;
    }
    text += actionTable(s.actions) + notesText(s.actions);
    if (s.more) text += `  … more requested actions than the ${options.limit} shown (raise --limit, or look at one claim with --claim)\n`;
    text += `  ${s.actions.length}${s.more ? '+' : ''} requested action(s)\n${answerHint()}`;
  }
  return text;
}

/** The text of `actions list --claim`: every action of the claim with its status and answer. */
export function formatClaimActions(claim: ClaimActions, options: { target: string }): string {
  const status = claim.status === null ? '' : `, ${claim.status}`;
  const text = `Actions of claim ${claim.claimId} (storefront ${claim.storefrontId}${status}) in ${options.target}:\n\n`;
  if (claim.actions.length === 0) return `${text}  no actions: nothing has been asked of the shop\n`;
  const counts = new Map<string, number>();
  for (const a of claim.actions) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const open = claim.actions.some((a) => a.status === 'requested') ? answerHint() : '';
  return `${text}${actionTable(claim.actions)}${notesText(claim.actions)}  ${claim.actions.length} action(s): ${summary}\n${open}`;
}

/** `actions list --format json`. */
export function storefrontActionsJson(listing: readonly StorefrontActions[]): string {
  return `${JSON.stringify({ storefronts: listing }, null, 2)}\n`;
}

/** `actions list --claim … --format json`. */
export function claimActionsJson(claim: ClaimActions): string {
  return `${JSON.stringify({ claim }, null, 2)}\n`;
}

/** `succeed`, `fail` and `cash` with `--format json`: the receipt, as the API answers it. */
export function receiptJson(receipt: ActionReceipt): string {
  return `${JSON.stringify(receipt, null, 2)}\n`;
}

/** What an answer led to: the actions it created, one line each. */
function createdText(created: readonly ActionView[]): string {
  return created
    .map((c) => {
      const why = c.recovers !== undefined ? ` instead of ${c.recovers}` : c.replaces !== undefined ? ` instead of ${c.replaces}` : '';
      const bonus = c.goodwill && c.goodwill.amount > 0 ? ` (bonus ${amountText(c.goodwill)} included)` : '';
      const revoke = c.revokeCreditCode !== undefined ? `; void the credit code ${c.revokeCreditCode} before paying it` : '';
      return `  created ${c.actionId}: ${whatOf(c)}${bonus}${why}, ${c.status}${revoke}\n`;
    })
    .join('');
}

/**
 * The text of `actions succeed|fail`: what was recorded (or that it was recorded before), and
 * what it led to.
 */
export function formatReport(args: { receipt: ActionReceipt; replayed: boolean; storefrontId: string; target: string }): string {
  const { action, created } = args.receipt;
  const r = action.result;
  const of = `${whatOf(action)} of claim ${action.claimId} (storefront ${args.storefrontId})`;
  const other = r?.amount && (r.amount.amount !== action.amount.amount || r.amount.currency !== action.amount.currency);
  const answer = r
    ? `${r.provider ?? '?'} reference ${r.reference ?? '?'}${r.failureReason === undefined ? '' : ` (${r.failureReason})`}` +
      `${other && r.amount ? `, ${amountText(r.amount)} paid` : ''}, by ${r.by}`
    : 'no answer';
  const head = args.replayed
    ? `${action.actionId} was already recorded as ${action.status} at ${r?.at ?? '?'} in ${args.target}: ${of}, ${answer}. Nothing was written.\n`
    : `Recorded ${action.actionId} as ${action.status} in ${args.target}: ${of}, ${answer}.\n`;
  const next = action.status === 'failed' && created.length === 0 && action.type === 'refund' ? noRecovery(action) : '';
  return head + createdText(created) + next;
}

function noRecovery(action: ActionView): string {
  return (
    `  nothing was given instead (the policy's onPayoutFailure offers nothing): the ${amountText(action.amount)} stays owed, ` +
    'and makegood ledger verify lists the refund as unrecovered until a person acts\n'
  );
}

/**
 * The warning when the answer recorded another amount than the action asked: the rest stays
 * owed, and reconciliation lists it. Undefined when the amounts agree.
 */
export function amountWarning(action: ActionView): string | undefined {
  const recorded = action.result?.amount;
  if (!recorded || (recorded.amount === action.amount.amount && recorded.currency === action.amount.currency)) return undefined;
  const left =
    recorded.currency === action.amount.currency
      ? { amount: action.amount.amount - recorded.amount, currency: recorded.currency }
      : undefined;
  const owed = left && left.amount > 0 ? `; the other ${amountText(left)} stays owed to the customer` : '';
  return (
    `warning: ${action.actionId} is recorded as ${action.status} for ${amountText(recorded)}, not the ${amountText(action.amount)} it asked${owed}. ` +
    'makegood ledger verify and ledger report list it as recorded for another amount.\n'
  );
}

/** The text of `actions cash`: the credit withdrawn (or already issued) and the refund asked instead. */
export function formatCash(args: { receipt: ActionReceipt; replayed: boolean; storefrontId: string; target: string }): string {
  const { action, created } = args.receipt;
  const head = args.replayed
    ? `Cash was already asked for instead of ${action.actionId} (${whatOf(action)} of claim ${action.claimId}, storefront ${args.storefrontId}) in ${args.target}: nothing was written.\n`
    : `Asked for cash instead of ${action.actionId} (${whatOf(action)} of claim ${action.claimId}, storefront ${args.storefrontId}) in ${args.target}; the credit is ${action.status}.\n`;
  return head + createdText(created);
}
