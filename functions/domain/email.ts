import { emailHtml } from '#views/email.ts';
import type { ClaimRequest } from './claim.ts';
import {
  type AlternativeId,
  alternativeIds,
  cellSpecs,
  conditionsOf,
  type DeciderRole,
  type EmailCell,
  type EmailFact,
  type EmailLocale,
  type EmailOverrides,
  emailLocales,
  type FaultReason,
  faultReasons,
  holds,
  type LocaleWording,
  type Placeholder,
  type PlaceholderKind,
  parseEmailOverrides,
  placeholderKinds,
  type RejectionReason,
  type TemplateParagraph,
  tokenize,
} from './email-templates.ts';
import { en } from './emails/en.ts';
import { eo } from './emails/eo.ts';
import { ru } from './emails/ru.ts';
import { uk } from './emails/uk.ts';
import type { FollowUpReason } from './followups.ts';
import type { StoredDecision } from './ledger.ts';
import { formatMoney, type Money, subtract } from './money.ts';
import { plainText } from './text.ts';

/** An email ready to send: subject, plain text and simple HTML. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /**
   * Set when the email tells the customer that a person will get in touch: the sender must open
   * the follow-up task that keeps the promise (see {@link promisedFollowUp}).
   */
  readonly promise?: FollowUpReason;
}

/**
 * Which customer email a step sends: the decision's outcome and the return's steps, or a follow-up
 * on an action's result (see {@link followUpKinds}).
 */
export type CustomerEmailKind =
  | 'outcome'
  | 'return_instructions'
  | 'return_not_received'
  | 'needs_more_time'
  | 'credit_issued'
  | 'replacement_shipped'
  | 'payout_failed'
  | 'cash_again'
  | 'acknowledged';

/** The kinds that follow an action's result: each is its own cell, and its amounts come from `followUp`. */
export const followUpKinds = [
  'credit_issued',
  'replacement_shipped',
  'payout_failed',
  'cash_again',
] as const satisfies readonly (CustomerEmailKind & EmailCell)[];
export type FollowUpKind = (typeof followUpKinds)[number];

/** Whether `kind` follows an action's result rather than the decision. */
export function isFollowUp(kind: CustomerEmailKind): kind is FollowUpKind {
  return (followUpKinds as readonly string[]).includes(kind);
}

/** The built-in wording of each native locale. */
export const builtInWording: Readonly<Record<EmailLocale, LocaleWording>> = { en, uk, ru, eo };

/** The one sanitiser of outside values in emails; it lives with the other rules on text from outside. */
export { plainText } from './text.ts';

/** The native locale a BCP-47 tag is written in (`uk-UA` → `uk`), and the tag to format numbers and dates with. Others fall back to `en`. */
export function emailLocale(tag: string): { readonly language: EmailLocale; readonly intl: string } {
  try {
    const locale = new Intl.Locale(tag);
    const language = locale.language as EmailLocale;
    if (emailLocales.includes(language)) {
      return { language, intl: Intl.NumberFormat.supportedLocalesOf(locale.toString())[0] ?? language };
    }
  } catch {
    // Not a tag the runtime understands: English, like any other unsupported locale.
  }
  return { language: 'en', intl: 'en' };
}

/**
 * Whether an outcome is for goods that came back: a decision that waited for them, or one graded
 * from what arrived (its `return-graded` rules, or the `graded` facts the step passes).
 */
export function cameBack(decision: StoredDecision | undefined, graded?: CustomerEmailArgs['graded']): boolean {
  if (decision === undefined || decision.outcome === 'rejected') return false;
  return decision.returnRequired || graded !== undefined || decision.rules.some((r) => r.id === 'return-graded');
}

/**
 * The one place that decides which email a customer gets: from the step that sends it and the
 * claim's current decision to one cell of the wording. `returned` says the outcome is for goods
 * that came back ({@link cameBack}).
 */
export function emailCell(kind: CustomerEmailKind, decision: StoredDecision | undefined, returned = cameBack(decision)): EmailCell {
  if (kind === 'return_instructions') return 'return_and_refund';
  if (kind === 'return_not_received') return 'return_not_received';
  if (kind === 'needs_more_time') return 'more_time';
  if (kind === 'acknowledged') return 'acknowledged';
  if (isFollowUp(kind)) return kind;
  if (decision === undefined || decision.outcome === 'rejected') return 'rejection';
  if (decision.outcome === 'replacement') return 'replacement';
  const cash = decision.cash.amount > 0;
  const credit = decision.storeCredit.amount > 0;
  if (cash && credit) return 'cash_and_credit';
  if (cash) return returned ? 'refund_after_return' : 'refund_without_return';
  if (credit) return decision.outcome === 'store_credit' ? 'store_credit' : 'goodwill';
  // Nothing granted beyond words (an apology asked for, or an amount lowered to nothing).
  return 'apology';
}

/** Why a rejected claim was rejected, as reason keys of the wording, from the decision's rules. */
export function rejectionReasonsOf(decision: StoredDecision | undefined): RejectionReason[] {
  if (!decision) return ['other'];
  const found = new Set<RejectionReason>();
  for (const rule of decision.rules) {
    switch (rule.id) {
      case 'final-sale':
      case 'perishable-no-return':
      case 'late-delivery-no-compensation':
      case 'order-fully-refunded':
      case 'goodwill-budget':
      case 'currency':
        found.add(rule.id);
        break;
      case 'return-window':
        // The rule fires for every line; only a line outside the window is a reason to refuse.
        if (rule.text.includes('outside')) found.add('return-window');
        break;
    }
  }
  if (found.size > 0) return [...found];
  // A proposal that went to a person (it has a tier rule) and came back rejected.
  return decision.rules.some((r) => r.id === 'approval-tier') ? ['review'] : ['other'];
}

/** The alternative a rejection offers: the decision's own when the wording knows it, else a person who helps. */
function rejectionAlternative(decision: StoredDecision | undefined): AlternativeId {
  const id = decision?.alternative?.id;
  return id === 'alternative-repair' || id === 'alternative-contact' ? id : 'alternative-contact';
}

/** The alternative an email offers, if its cell shows one: a rejection always does, a granted outcome when its decision has one. */
function alternativeOf(cell: EmailCell, decision: StoredDecision | undefined, granted: boolean): AlternativeId | undefined {
  if (cell === 'rejection') return rejectionAlternative(decision);
  if (!granted || !(cellSpecs[cell].allowed as readonly string[]).includes('alternative')) return undefined;
  const id = decision?.alternative?.id;
  return (alternativeIds as readonly string[]).includes(id ?? '') ? (id as AlternativeId) : undefined;
}

/**
 * Whether the email a step sends tells the customer that a person will get in touch, and why:
 * the alternative of a person who helps, or a repair to arrange; a decision that is late and
 * taken up by a person; feedback handed to the team. The sender opens a follow-up task for each
 * (see `sendCustomerEmail`), so that these words are always backed by a task for a person.
 */
export function promisedFollowUp(
  kind: CustomerEmailKind,
  decision: StoredDecision | undefined,
  graded?: CustomerEmailArgs['graded'],
): FollowUpReason | undefined {
  const cell = emailCell(kind, decision, kind === 'outcome' && cameBack(decision, graded));
  if (cell === 'more_time') return 'decide_claim';
  if (cell === 'apology') return 'review_feedback';
  const granted = !isFollowUp(kind) && decision !== undefined && decision.outcome !== 'rejected';
  const alternative = alternativeOf(cell, decision, granted);
  if (alternative === 'alternative-contact') return 'offer_alternative';
  if (alternative === 'alternative-repair') return 'arrange_repair';
  return undefined;
}

/** What {@link customerEmail} needs to know. */
export interface CustomerEmailArgs {
  readonly claim: ClaimRequest;
  readonly decision: StoredDecision | undefined;
  readonly shopName: string;
  readonly claimId: string;
  /** Days the customer has to send the goods back (return instructions). */
  readonly sendBackDays?: number;
  /** ISO time by which the goods must be sent back (return instructions, return not received). */
  readonly deadline?: string;
  /** The storefront's wording overrides (validated again here; invalid ones are ignored). */
  readonly overrides?: EmailOverrides | undefined;
  /**
   * Return instructions: the storefront's return address as its settings hold it, one line per
   * line. Without it, the customer is asked to reply (the email's Reply-To is the shop) before
   * sending anything.
   */
  readonly returnAddress?: string;
  /** Return instructions: who pays the postage of this return (the policy's `returnShippingPaidBy`). */
  readonly postagePaidBy?: 'shop' | 'customer';
  /**
   * Return instructions: true when the policy keeps part of the price of a unit that comes back
   * used or damaged for this claim's reason (its `returnGrading` refunds less than 100 %).
   */
  readonly conditionDeductions?: boolean;
  /**
   * An outcome for goods that came back and were graded: `kept` is what was deducted for the
   * condition they arrived in (zero when nothing was).
   */
  readonly graded?: { readonly kept: Money };
  /** An outcome for part of a return: the authorised units still on their way (with `deadline`). */
  readonly awaitedItems?: readonly ReturnedItem[];
  /** Return not received: the units that had not arrived by the deadline. */
  readonly missingItems?: readonly ReturnedItem[];
  /** Return not received: what was already refunded (cash and credit) for the units that did arrive. */
  readonly refundedPart?: Money;
  /** What an email that follows an action's result is about (credit_issued, replacement_shipped, payout_failed, cash_again). */
  readonly followUp?: {
    /** credit_issued: the credit issued. payout_failed: the credit given instead of the failed refund, bonus included. */
    readonly credit?: Money;
    /** payout_failed: the bonus part of `credit`. */
    readonly bonus?: Money;
    /** credit_issued: the code the customer uses, when the shop gave one. */
    readonly creditCode?: string;
    /** replacement_shipped: the units shipped (by their order-line name), and the parcel's tracking when the shop gave it. */
    readonly items?: readonly ReturnedItem[];
    readonly tracking?: string;
    /** payout_failed: the refund that did not go through. cash_again: the refund asked for again. */
    readonly cash?: Money;
    /** payout_failed: the customer may ask for the cash again by replying. */
    readonly cashOnRequest?: boolean;
    /** cash_again: the credit code that no longer works (the credit had been issued already). */
    readonly revokedCode?: string;
  };
  /** An outcome or return instructions: the note the person who decided wrote to the customer, shown in its own paragraph. */
  readonly note?: string;
  /** An email that promises a person ({@link promisedFollowUp}): the ISO time the follow-up task is due, said as a date. */
  readonly followUpBy?: string;
  /** The customer's read-only status page (`/c/<token>`), linked under the email. */
  readonly statusUrl?: string;
  /** acknowledged: the role of the tier that decides, and the ISO time by which it is decided at the latest. */
  readonly decider?: DeciderRole;
  readonly decideBy?: string;
}

/** What each follow-up email cannot be written without: the amounts it states in every case. */
const followUpNeeds: Record<FollowUpKind, readonly ('cash' | 'credit')[]> = {
  credit_issued: ['credit'],
  replacement_shipped: [],
  payout_failed: ['cash', 'credit'],
  cash_again: ['cash'],
};

/** Units of one order line, by the name the order gives it. */
export interface ReturnedItem {
  readonly name: string;
  readonly quantity: number;
}

/**
 * The customer's email for a claim step, in the customer's language (`en`, `uk`, `ru`, `eo`;
 * anything else gets `en`), with the shop's overrides applied. The wording follows the house
 * rules: thank the customer, apologise when the shop was at fault, say exactly what happens and
 * what to do next, promise only what the decision grants, never blame, and always offer an
 * alternative with a no.
 *
 * A follow-up kind ({@link followUpKinds}) states the amounts, items, code and tracking of
 * `args.followUp`, the action's own, and none of the decision's; it throws a RangeError when an
 * amount its email always states is missing (`payout_failed` without `followUp.cash`), rather than
 * send an email with a gap where the money should be.
 */
export function customerEmail(kind: CustomerEmailKind, args: CustomerEmailArgs): EmailContent {
  const { claim, decision } = args;
  const followUp = isFollowUp(kind) ? (args.followUp ?? {}) : undefined;
  if (isFollowUp(kind)) {
    const missing = followUpNeeds[kind].filter((k) => followUp?.[k] === undefined);
    if (missing.length > 0) throw new RangeError(`a ${kind} email needs followUp.${missing.join(' and followUp.')}`);
  }
  const { language, intl } = emailLocale(claim.customer.locale);
  const wording = withOverrides(builtInWording[language], language, args.overrides);
  const returned = kind === 'outcome' && cameBack(decision, args.graded);
  const cell = emailCell(kind, decision, returned);
  const template = wording.cells[cell];

  const reason = claim.complaint.reason;
  const fault = (faultReasons as readonly string[]).includes(reason);
  // A follow-up is about the action, not the decision: none of the decision's facts apply to it.
  const granted = followUp === undefined && decision !== undefined && decision.outcome !== 'rejected';
  const cash = followUp ? followUp.cash : granted ? decision.cash : undefined;
  const credit = followUp ? followUp.credit : granted ? decision.storeCredit : undefined;
  const bonus = followUp ? followUp.bonus : granted ? decision.goodwill : undefined;
  // Store credit given instead of cash: the credit less its goodwill (a follow-up names its parts itself).
  const refundCredit = granted && credit && bonus ? subtract(credit, bonus) : undefined;
  const creditCode = plainText(followUp?.creditCode ?? '');
  const tracking = plainText(followUp?.tracking ?? '');
  const revokedCode = plainText(followUp?.revokedCode ?? '');
  const shipped = followUp?.items?.filter((i) => i.quantity > 0) ?? [];
  const kept = args.graded?.kept;
  const deadline = args.deadline === undefined ? undefined : formatDate(args.deadline, intl, wording.datePattern);
  const returnAddress = args.returnAddress === undefined ? '' : addressOf(args.returnAddress);
  const missing = args.missingItems?.filter((i) => i.quantity > 0) ?? [];
  const awaited = args.awaitedItems?.filter((i) => i.quantity > 0) ?? [];
  const refundedPart = args.refundedPart && args.refundedPart.amount > 0 ? args.refundedPart : undefined;
  const alternative = alternativeOf(cell, decision, granted);
  const decideBy = args.decideBy === undefined ? undefined : formatDate(args.decideBy, intl, wording.datePattern);
  const followUpBy = args.followUpBy === undefined ? undefined : formatDate(args.followUpBy, intl, wording.datePattern);
  const note = kind === 'outcome' || kind === 'return_instructions' ? plainText(args.note ?? '').slice(0, 2000) : '';
  const promise = promisedFollowUp(kind, decision, args.graded);

  const facts = new Set<EmailFact>();
  if (fault) facts.add('fault');
  if (reason === 'changed_mind') facts.add('changedMind');
  if (cash && cash.amount > 0) facts.add('cash');
  if (credit && credit.amount > 0) {
    facts.add('credit');
    if (refundCredit && refundCredit.amount > 0) facts.add('refundCredit');
    if (bonus && bonus.amount > 0) facts.add('bonus');
    if (granted && bonus && bonus.amount > 0) {
      const kinds = goodwillKinds(decision as StoredDecision, reason);
      // Name what the goodwill is only when it is one thing; a mix is worded as goodwill in general.
      const [only] = kinds;
      if (kinds.size === 1 && only) facts.add(only);
    }
  }
  if (returned) facts.add('returned');
  if (returned && kept && kept.amount > 0) facts.add('kept');
  if (returned && awaited.length > 0) facts.add('awaited');
  if (granted && !decision.returnRequired && !returned) facts.add('keep');
  if ((granted && decision.outcome === 'replacement') || kind === 'replacement_shipped') facts.add('replacement');
  if (deadline !== undefined) facts.add('deadline');
  if (alternative !== undefined) facts.add('alternative');
  if (returnAddress !== '') facts.add('returnAddress');
  if (args.postagePaidBy === 'shop') facts.add('shopPaysPostage');
  if (args.postagePaidBy === 'customer') facts.add('customerPaysPostage');
  if (args.conditionDeductions === true) facts.add('conditionDeductions');
  if (missing.length > 0) facts.add('missing');
  if (refundedPart) facts.add('refundedPart');
  if (creditCode !== '') facts.add('creditCode');
  if (tracking !== '') facts.add('tracking');
  if (revokedCode !== '') facts.add('revokedCode');
  if (followUp?.cashOnRequest === true) facts.add('cashOnRequest');
  if (decideBy !== undefined) facts.add('decideBy');

  const fmt = (m: Money | undefined) => (m === undefined ? undefined : formatMoney(m, intl));
  const values: Partial<Record<Placeholder, string>> = {
    name: plainText(claim.customer.name),
    shop: plainText(args.shopName),
    order: plainText(claim.order.id),
    claimId: plainText(args.claimId),
    // The units shipped when the shop named them; else the ones the decision covers.
    items: shipped.length > 0 ? listOf(shipped, intl) : itemsOf(claim, decision, intl),
    cash: fmt(cash),
    credit: fmt(credit),
    bonus: fmt(bonus),
    refundCredit: fmt(refundCredit),
    kept: fmt(kept),
    awaitedItems: listOf(awaited, intl),
    missingItems: listOf(missing, intl),
    refundedPart: fmt(refundedPart),
    returnAddress,
    deadline,
    sendBackDays: plural(args.sendBackDays ?? 30, wording.days, intl),
    apology: fault ? wording.apologies[reason as FaultReason] : undefined,
    reason:
      cell === 'rejection'
        ? rejectionReasonsOf(decision)
            .map((r) => wording.reasons[r])
            .join(' ')
        : undefined,
    alternative: alternative === undefined ? undefined : wording.alternatives[alternative],
    creditCode,
    tracking,
    revokedCode,
    decider: args.decider === undefined ? undefined : wording.deciders[args.decider],
    decideBy,
    note,
    followUpBy,
    statusUrl: args.statusUrl,
  };

  const subject = plainText(
    fill(template.subject, values)
      .map((s) => s.text)
      .join(''),
  );
  const body = template.body.map((p) => paragraph(p, facts, values)).filter((p): p is Segment[] => p !== undefined);
  // The approver's note and the promised date go before the body's closing line (the offer to reply).
  const added = [
    ...(note !== '' ? [fill(wording.note, values)] : []),
    ...(promise !== undefined && followUpBy !== undefined ? [fill(wording.followUpBy, values)] : []),
  ];
  const paragraphs: Segment[][] = [
    fill(wording.greeting, values),
    ...(body.length > 1 ? [...body.slice(0, -1), ...added, ...body.slice(-1)] : [...body, ...added]),
    fill(wording.signature, values),
  ];
  const footer = [
    ...fill(wording.footer, values),
    ...(args.statusUrl ? [{ text: '\n', kind: 'literal' as const }, ...fill(wording.statusLink, values)] : []),
  ];
  const text = `${paragraphs.map(asText).join('\n\n')}\n\n-- \n${asText(footer)}\n`;
  const html = emailHtml(language, subject, paragraphs, footer);
  return { subject, text, html, ...(promise ? { promise } : {}) };
}

/** The built-in wording with a shop's overrides for this locale laid over it. */
function withOverrides(base: LocaleWording, language: EmailLocale, overrides: EmailOverrides | undefined): LocaleWording {
  if (!overrides) return base;
  let valid: EmailOverrides;
  try {
    valid = parseEmailOverrides(overrides);
  } catch {
    // A stored override that no longer validates must not stop a customer hearing the outcome.
    return base;
  }
  const o = valid[language];
  if (!o) return base;
  const cells = { ...base.cells };
  for (const cell of Object.keys(cells) as EmailCell[]) {
    const c = o[cell];
    if (c) cells[cell] = { subject: c.subject ?? base.cells[cell].subject, body: c.body ?? base.cells[cell].body };
  }
  return {
    ...base,
    greeting: o.greeting ?? base.greeting,
    signature: o.signature ?? base.signature,
    footer: o.footer ?? base.footer,
    cells,
  };
}

/** A run of text and what it is: literal wording or a placeholder's value. */
interface Segment {
  readonly text: string;
  readonly kind: 'literal' | PlaceholderKind;
}

function fill(template: string, values: Partial<Record<Placeholder, string>>): Segment[] {
  const segments = tokenize(template).map((t) =>
    'literal' in t
      ? { text: t.literal, kind: 'literal' as const }
      : {
          text: values[t.placeholder as Placeholder] ?? '',
          kind: (placeholderKinds as Record<string, { kind: PlaceholderKind }>)[t.placeholder]?.kind ?? 'text',
        },
  );
  // A value that ends a sentence itself (`23 грудня 2026 р.`) takes the place of the wording's full stop.
  return segments.map((seg, i) => {
    const before = segments[i - 1];
    return seg.kind === 'literal' && seg.text.startsWith('.') && before && before.kind !== 'literal' && before.text.endsWith('.')
      ? { ...seg, text: seg.text.slice(1) }
      : seg;
  });
}

function paragraph(
  p: TemplateParagraph,
  facts: ReadonlySet<EmailFact>,
  values: Partial<Record<Placeholder, string>>,
): Segment[] | undefined {
  const parts = Array.isArray(p) ? p : [p];
  const shown = parts.filter((part) => holds(conditionsOf(part), facts));
  if (shown.length === 0) return undefined;
  return shown.flatMap((part, i) => [
    ...(i > 0 ? [{ text: ' ', kind: 'literal' as const }] : []),
    ...fill(typeof part === 'string' ? part : part.text, values),
  ]);
}

function asText(segments: readonly Segment[]): string {
  return segments.map((s) => s.text).join('');
}

/** `n` with its unit in the right plural form (`21 день`, `2 дні`, `14 днів`). */
export function plural(n: number, forms: LocaleWording['days'], intl: string): string {
  const category = new Intl.PluralRules(intl).select(n);
  const form = forms[category] ?? forms.other;
  return form.replace('#', new Intl.NumberFormat(intl).format(n));
}

/** A date (day, month in words, year) in the customer's locale, in UTC. */
export function formatDate(iso: string, intl: string, pattern?: string): string | undefined {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  const format = new Intl.DateTimeFormat(intl, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  if (!pattern) return format.format(date);
  const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
  return pattern
    .replace('{day}', parts.day ?? '')
    .replace('{month}', (parts.month ?? '').toLocaleLowerCase(intl))
    .replace('{year}', parts.year ?? '');
}

/**
 * The items in words: `1 × Chocolate box and 2 × Candles`. The units the decision covers (a claim
 * may cover fewer than it asked for, and a graded round only the units that came back), or the
 * claimed ones when it covers none.
 */
function itemsOf(claim: ClaimRequest, decision: StoredDecision | undefined, intl: string): string {
  // A decision stored before decisions listed their units has none.
  const units: readonly { sku: string; quantity: number }[] = decision?.units?.length ? decision.units : claim.complaint.items;
  return listOf(
    units.map((u) => ({ name: claim.order.items.find((i) => i.sku === u.sku)?.name ?? u.sku, quantity: u.quantity })),
    intl,
  );
}

/** Items as a list in the locale's words: `1 × Kettle and 2 × Cups`. */
function listOf(items: readonly ReturnedItem[], intl: string): string {
  const lines = items.map((i) => `${i.quantity} × ${plainText(i.name)}`);
  try {
    return new Intl.ListFormat(intl, { type: 'conjunction' }).format(lines);
  } catch {
    return lines.join(', ');
  }
}

/** A multi-line address from the shop's settings: each line as plain text, empty lines left out, joined by line breaks. */
function addressOf(address: string): string {
  return address
    .split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)
    .map(plainText)
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * What a decision's goodwill is, from the rules that fired: the bonus for choosing store credit,
 * an apology credit, or goodwill by reason (compensation, such as for a late delivery).
 */
function goodwillKinds(decision: StoredDecision, reason: string): Set<'bonusForCredit' | 'apologyCredit' | 'compensation'> {
  const kinds = new Set<'bonusForCredit' | 'apologyCredit' | 'compensation'>();
  const byReason = `goodwill-${reason.replace(/_/g, '-')}`;
  if (decision.orderGoodwill !== undefined) kinds.add('compensation');
  for (const rule of decision.rules) {
    if (rule.id === 'store-credit-bonus') kinds.add('bonusForCredit');
    if (rule.id === 'apology-credit') kinds.add('apologyCredit');
    if (rule.id === byReason) kinds.add('compensation');
  }
  return kinds;
}
