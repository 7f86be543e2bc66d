import * as z from 'zod';
import type { Reason } from './claim.ts';
import { InvalidRequestError, toIssues } from './errors.ts';

/**
 * The customer emails' wording as data, and the tiny template language it is written in.
 *
 * A template is text with placeholders: `{cash}` inserts a value, `{{` and `}}` are literal
 * braces. Nothing else is special: there is no code, no HTML and no expression. A paragraph is a
 * list of parts joined by a space; a part may carry a condition (`{ if: 'credit', text }`, or a
 * list of conditions that must all hold, `'!cash'` for "not"), so one cell reads right with or
 * without, say, a store-credit bonus. Each cell declares which placeholders it needs, and a
 * placeholder tied to a fact (the amount of store credit) may only appear where that fact is
 * known to hold, so the wording can only promise what the decision grants.
 */

/** Locales written natively; any other falls back to `en`. */
export const emailLocales = ['en', 'uk', 'ru', 'eo'] as const;
export type EmailLocale = (typeof emailLocales)[number];

/**
 * One email per situation the customer can be in: the decision's outcome and the return's steps,
 * then the follow-ups once the shop has reported what it did (`credit_issued`,
 * `replacement_shipped`) or could not do (`payout_failed`), and the cash asked for again (`cash_again`).
 */
export const emailCells = [
  'refund_without_return',
  'return_and_refund',
  'refund_after_return',
  'replacement',
  'store_credit',
  'goodwill',
  'apology',
  'cash_and_credit',
  'rejection',
  'more_time',
  'return_not_received',
  'credit_issued',
  'replacement_shipped',
  'payout_failed',
  'cash_again',
  'acknowledged',
] as const;
export type EmailCell = (typeof emailCells)[number];

/**
 * Facts a part may be conditioned on:
 * - `fault`: the reason is one the shop apologises for; `changedMind`: the customer changed their mind.
 * - `cash`, `credit`: the decision grants money back, store credit.
 * - `bonus`: part of the store credit is goodwill (not refund value). What that goodwill is, when it
 *   is one kind only (from the rules that fired): `bonusForCredit` (the bonus for choosing store
 *   credit), `apologyCredit` (an apology credit for the shop's fault), `compensation` (goodwill by
 *   reason, such as a late delivery). `refundCredit`: part of the store credit is refund value.
 * - `returned`: the goods came back and this is their outcome; `kept`: part of their price was
 *   kept for the condition they came back in; `awaited`: more of them are still on their way.
 * - `keep`: the customer keeps the goods; `replacement`: a replacement is sent.
 * - `deadline`: the return deadline is known; `alternative`: something else is offered.
 * - Return instructions: `returnAddress` (the shop's return address is known), `shopPaysPostage`
 *   or `customerPaysPostage`, `conditionDeductions` (the policy keeps part of the price of goods
 *   that come back used or damaged).
 * - A return closed at its deadline: `missing` (the units that never arrived are known),
 *   `refundedPart` (the units that did arrive were refunded).
 * - `decideBy`: the acknowledgement of a claim that waits for a person knows the date by which it is decided.
 * - After the shop reported an action's result: `creditCode` (the shop gave the credit's code),
 *   `tracking` (the shop gave the replacement parcel's tracking), `revokedCode` (a credit code no
 *   longer works because the customer asked for the cash instead), `cashOnRequest` (the customer
 *   may ask for the cash again by replying).
 */
export const emailFacts = [
  'fault',
  'changedMind',
  'cash',
  'credit',
  'bonus',
  'bonusForCredit',
  'apologyCredit',
  'compensation',
  'refundCredit',
  'returned',
  'kept',
  'awaited',
  'keep',
  'replacement',
  'deadline',
  'alternative',
  'returnAddress',
  'shopPaysPostage',
  'customerPaysPostage',
  'conditionDeductions',
  'missing',
  'refundedPart',
  'creditCode',
  'tracking',
  'revokedCode',
  'cashOnRequest',
  'decideBy',
] as const;
export type EmailFact = (typeof emailFacts)[number];

/**
 * What each placeholder holds and, for the ones that depend on the decision, the fact that guards
 * it. An `address` is text from outside over several lines: each line is shown as text on a line
 * of its own.
 */
export const placeholderKinds = {
  name: { kind: 'user' },
  shop: { kind: 'user' },
  order: { kind: 'user' },
  claimId: { kind: 'user' },
  items: { kind: 'user' },
  cash: { kind: 'money', guard: 'cash' },
  credit: { kind: 'money', guard: 'credit' },
  bonus: { kind: 'money', guard: 'bonus' },
  refundCredit: { kind: 'money', guard: 'refundCredit' },
  kept: { kind: 'money', guard: 'kept' },
  awaitedItems: { kind: 'user', guard: 'awaited' },
  deadline: { kind: 'date', guard: 'deadline' },
  sendBackDays: { kind: 'count' },
  returnAddress: { kind: 'address', guard: 'returnAddress' },
  missingItems: { kind: 'user', guard: 'missing' },
  refundedPart: { kind: 'money', guard: 'refundedPart' },
  apology: { kind: 'text', guard: 'fault' },
  reason: { kind: 'text' },
  alternative: { kind: 'text', guard: 'alternative' },
  creditCode: { kind: 'user', guard: 'creditCode' },
  tracking: { kind: 'user', guard: 'tracking' },
  revokedCode: { kind: 'user', guard: 'revokedCode' },
  decider: { kind: 'text' },
  decideBy: { kind: 'date', guard: 'decideBy' },
  // The frame's own values, each shown only in its own paragraph or line, and only when known.
  note: { kind: 'user' },
  followUpBy: { kind: 'date' },
  statusUrl: { kind: 'link' },
} as const satisfies Record<string, { kind: 'user' | 'address' | 'money' | 'date' | 'count' | 'text' | 'link'; guard?: EmailFact }>;
export type Placeholder = keyof typeof placeholderKinds;
export type PlaceholderKind = (typeof placeholderKinds)[Placeholder]['kind'];

const everywhere: readonly Placeholder[] = ['name', 'shop', 'order', 'claimId', 'items', 'apology'];

/** What an outcome for goods that came back may add: what was kept for their condition, and what is still awaited. */
const afterReturn: readonly Placeholder[] = ['kept', 'awaitedItems', 'deadline'];

/**
 * Per cell: the placeholders it may use, those it must use, and the facts it always has. A
 * required placeholder with a guard of its own must show whenever its fact holds (a part whose
 * only condition is that fact), so that the return instructions, say, always give the address
 * when the shop has one.
 */
export const cellSpecs: Record<
  EmailCell,
  { allowed: readonly Placeholder[]; required: readonly Placeholder[]; holds: readonly EmailFact[] }
> = {
  refund_without_return: { allowed: ['cash', 'alternative'], required: ['cash'], holds: ['cash', 'keep'] },
  return_and_refund: {
    allowed: ['cash', 'credit', 'deadline', 'sendBackDays', 'returnAddress'],
    required: ['claimId', 'items', 'sendBackDays', 'returnAddress'],
    holds: [],
  },
  refund_after_return: { allowed: ['cash', 'alternative', ...afterReturn], required: ['cash'], holds: ['cash', 'returned'] },
  replacement: { allowed: ['credit', 'bonus', 'awaitedItems', 'deadline'], required: ['items'], holds: ['replacement'] },
  store_credit: { allowed: ['credit', 'bonus', 'refundCredit', ...afterReturn], required: ['credit'], holds: ['credit'] },
  goodwill: { allowed: ['credit', 'bonus'], required: ['credit'], holds: ['credit'] },
  apology: { allowed: [], required: [], holds: [] },
  cash_and_credit: {
    allowed: ['cash', 'credit', 'bonus', 'refundCredit', 'alternative', ...afterReturn],
    required: ['cash', 'credit'],
    holds: ['cash', 'credit'],
  },
  rejection: { allowed: ['reason', 'alternative'], required: ['reason', 'alternative'], holds: ['alternative'] },
  more_time: { allowed: [], required: [], holds: [] },
  return_not_received: { allowed: ['deadline', 'missingItems', 'refundedPart'], required: [], holds: [] },
  // After an action's result: the amounts are the action's (`followUp`), not the decision's.
  credit_issued: { allowed: ['credit', 'creditCode'], required: ['credit', 'creditCode'], holds: ['credit'] },
  replacement_shipped: { allowed: ['tracking'], required: ['items', 'tracking'], holds: ['replacement'] },
  payout_failed: { allowed: ['cash', 'credit', 'bonus'], required: ['cash', 'credit', 'bonus'], holds: ['cash', 'credit'] },
  cash_again: { allowed: ['cash', 'revokedCode'], required: ['cash', 'revokedCode'], holds: ['cash'] },
  // A claim waits for a person: what was received ({items}), who decides ({decider}) and by when ({decideBy}).
  acknowledged: { allowed: ['decider', 'decideBy'], required: ['items', 'decider', 'decideBy'], holds: ['decideBy'] },
};

/** A condition: a fact, or `!fact` for its absence. */
export type EmailCondition = EmailFact | `!${EmailFact}`;
/** Text, or text shown only when its conditions hold. */
export type TemplatePart = string | { readonly if: EmailCondition | readonly EmailCondition[]; readonly text: string };
/** One paragraph: a part, or parts joined by a space. A paragraph whose parts all drop out is left out. */
export type TemplateParagraph = TemplatePart | readonly TemplatePart[];

/** The wording of one cell. */
export interface CellTemplate {
  readonly subject: string;
  readonly body: readonly TemplateParagraph[];
}

/** Plural forms by `Intl.PluralRules` category; `#` is the number. `other` is required. */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { readonly other: string };

/** Reasons where the shop erred: the email apologises for them. */
export const faultReasons = [
  'damaged',
  'defective',
  'not_as_described',
  'wrong_item',
  'missing_item',
  'late_delivery',
  'not_received',
] as const satisfies readonly Reason[];
export type FaultReason = (typeof faultReasons)[number];

/** Why a claim was turned down, in the words of the customer email (from the decision's rule ids). */
export const rejectionReasons = [
  'final-sale',
  'return-window',
  'perishable-no-return',
  'late-delivery-no-compensation',
  'order-fully-refunded',
  'goodwill-budget',
  'currency',
  'review',
  'other',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

/** What the shop offers instead (the decision's `alternative` ids). */
export const alternativeIds = ['alternative-contact', 'alternative-repair', 'alternative-refund'] as const;
export type AlternativeId = (typeof alternativeIds)[number];

/** Who decides a claim that waits for a person, by the tier's role (`{decider}`). */
export const deciderRoles = ['agent', 'supervisor', 'finance'] as const;
export type DeciderRole = (typeof deciderRoles)[number];

/**
 * Where a claim stands, as its customer's status page (`/c/<token>`) tells it:
 * - `assessing`: received, the decision is being made (usually within minutes);
 * - `awaiting_approval`: a person decides, by `{date}`;
 * - `awaiting_return`: the goods are to be sent back, by `{date}`;
 * - `in_progress`: granted (`{granted}`), and the shop is still carrying it out (paying, issuing, shipping);
 * - `settled`: granted (`{granted}`) and carried out; nothing left to do;
 * - `rejected`: not granted; with `{date}` when a person has promised to get in touch by then;
 * - `closed`: the return never arrived and the claim was closed;
 * - `needs_time`: the decision is late; a person takes it up, by `{date}` when known.
 */
export const statusStages = [
  'assessing',
  'awaiting_approval',
  'awaiting_return',
  'in_progress',
  'settled',
  'rejected',
  'closed',
  'needs_time',
] as const;
export type StatusStage = (typeof statusStages)[number];

/**
 * The customer's status page in one locale. Texts may use `{order}` and `{shop}`; a stage's texts
 * may also use `{date}` (in `nextWithDate` only) and `{granted}` (what was granted, in words).
 */
export interface StatusPageWording {
  /** The page's title and heading: `Your claim for order {order}`. */
  readonly title: string;
  /** Labels of the page's parts. */
  readonly labels: {
    readonly status: string;
    readonly next: string;
    readonly reference: string;
    readonly updated: string;
    readonly granted: string;
  };
  /** Per stage: the headline (where the claim is), what happens next, and the same with its date when one is known. */
  readonly stages: Record<StatusStage, { readonly headline: string; readonly next: string; readonly nextWithDate: string }>;
  /** A link that does not open (tampered, or not one of ours) and one that has expired: title and text. */
  readonly invalid: { readonly title: string; readonly text: string };
  readonly expired: { readonly title: string; readonly text: string };
  /** The granted value in words: a cash refund, store credit, a replacement; each may use `{amount}` (not `replacement`). */
  readonly grants: { readonly cash: string; readonly credit: string; readonly replacement: string };
}

/** Everything one locale says. */
export interface LocaleWording {
  /** Opens every email; may use `{name}` and `{shop}`. */
  readonly greeting: string;
  /** Closes every email; may use `{shop}`. A line break is kept. */
  readonly signature: string;
  /** The small print under the email; may use `{claimId}`, `{order}`, `{shop}`. */
  readonly footer: string;
  /** `{sendBackDays}` in this language. */
  readonly days: PluralForms;
  /** A date pattern with `{day}`, `{month}` and `{year}` for a language whose runtime pattern reads oddly (months are written lower-case). */
  readonly datePattern?: string;
  /** The apology sentence for each reason where the shop erred (`{apology}`). */
  readonly apologies: Record<FaultReason, string>;
  /** The reason for a rejection in plain words (`{reason}`). */
  readonly reasons: Record<RejectionReason, string>;
  /** What is offered instead (`{alternative}`). */
  readonly alternatives: Record<AlternativeId, string>;
  /** Who decides a claim that waits for a person (`{decider}`), by the tier's role: `a member of our customer care team`. */
  readonly deciders: Record<DeciderRole, string>;
  /**
   * The paragraph that carries a note the person who decided wrote to the customer, after the
   * outcome (`{note}`): `A note from the colleague who looked at your claim: “{note}”`.
   */
  readonly note: string;
  /**
   * The paragraph added to every email that tells the customer a person will get in touch (a
   * follow-up task backs it), with the task's due date: `We will get back to you by {followUpBy} at the latest.`
   */
  readonly followUpBy: string;
  /** The line under every email with the customer's read-only status page: `Follow your claim at any time: {statusUrl}`. */
  readonly statusLink: string;
  readonly statusPage: StatusPageWording;
  readonly cells: Record<EmailCell, CellTemplate>;
}

/** A shop's changes to the wording: per locale, the greeting, signature, footer or any cell's subject or body. */
export type EmailOverrides = Partial<
  Record<EmailLocale, Partial<Pick<LocaleWording, 'greeting' | 'signature' | 'footer'>> & Partial<Record<EmailCell, Partial<CellTemplate>>>>
>;

// ---------------------------------------------------------------------------------------------
// The placeholder syntax

/** A template split into literal text and placeholders. */
export type Token = { readonly literal: string } | { readonly placeholder: string };

/** Splits `text` into tokens; throws a RangeError naming the problem on a stray or unclosed brace. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if ((c === '{' || c === '}') && text[i + 1] === c) {
      literal += c;
      i += 2;
    } else if (c === '{') {
      const end = text.indexOf('}', i);
      const name = end < 0 ? '' : text.slice(i + 1, end);
      if (end < 0 || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
        throw new RangeError(`a "{" at character ${i + 1} does not start a placeholder such as {cash}; write "{{" for a literal brace`);
      }
      if (literal) tokens.push({ literal });
      literal = '';
      tokens.push({ placeholder: name });
      i = end + 1;
    } else if (c === '}') {
      throw new RangeError(`a "}" at character ${i + 1} closes nothing; write "}}" for a literal brace`);
    } else {
      literal += c;
      i += 1;
    }
  }
  if (literal) tokens.push({ literal });
  return tokens;
}

/** The conditions of a part, as a list. */
export function conditionsOf(part: TemplatePart): readonly EmailCondition[] {
  if (typeof part === 'string') return [];
  return typeof part.if === 'string' ? [part.if] : part.if;
}

/** Whether every condition holds for `facts`. */
export function holds(conditions: readonly EmailCondition[], facts: ReadonlySet<EmailFact>): boolean {
  return conditions.every((c) => (c.startsWith('!') ? !facts.has(c.slice(1) as EmailFact) : facts.has(c as EmailFact)));
}

// ---------------------------------------------------------------------------------------------
// Validation: the same checks for the built-in wording and for a shop's overrides

type Problem = { path: (string | number)[]; message: string };

function checkText(
  text: string,
  path: (string | number)[],
  allowed: ReadonlySet<string>,
  known: ReadonlySet<EmailFact>,
  problems: Problem[],
): Set<string> {
  const used = new Set<string>();
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (err) {
    problems.push({ path, message: (err as Error).message });
    return used;
  }
  for (const t of tokens) {
    if (!('placeholder' in t)) continue;
    const name = t.placeholder;
    if (!allowed.has(name)) {
      problems.push({ path, message: `unknown placeholder {${name}}; this text may use ${[...allowed].map((p) => `{${p}}`).join(', ')}` });
      continue;
    }
    const guard = (placeholderKinds as Record<string, { guard?: EmailFact }>)[name]?.guard;
    if (guard && !known.has(guard)) {
      problems.push({
        path,
        message: `{${name}} may only appear in a part with "if": "${guard}", because not every email of this kind has it`,
      });
      continue;
    }
    used.add(name);
  }
  return used;
}

function checkCell(cell: EmailCell, template: Partial<CellTemplate>, path: (string | number)[], problems: Problem[]): void {
  const spec = cellSpecs[cell];
  const allowed = new Set<string>([...everywhere, ...spec.allowed]);
  const always = new Set<EmailFact>(spec.holds);
  if (template.subject !== undefined) checkText(template.subject, [...path, 'subject'], allowed, always, problems);
  if (template.body === undefined) return;
  const unconditional = new Set<string>();
  template.body.forEach((paragraph, p) => {
    const parts = typeof paragraph === 'string' || !Array.isArray(paragraph) ? [paragraph as TemplatePart] : paragraph;
    parts.forEach((part, i) => {
      const partPath = Array.isArray(paragraph) ? [...path, 'body', p, i] : [...path, 'body', p];
      const conditions = conditionsOf(part);
      const known = new Set<EmailFact>(always);
      for (const c of conditions) if (!c.startsWith('!')) known.add(c as EmailFact);
      const text = typeof part === 'string' ? part : part.text;
      const used = checkText(text, typeof part === 'string' ? partPath : [...partPath, 'text'], allowed, known, problems);
      // A required value counts only where it always shows, or where its own guard is the condition.
      const effective = conditions.filter((c) => !spec.holds.includes(c as EmailFact));
      for (const name of used) {
        const guard = (placeholderKinds as Record<string, { guard?: EmailFact }>)[name]?.guard;
        if (effective.length === 0 || (effective.length === 1 && effective[0] === guard)) unconditional.add(name);
      }
    });
  });
  for (const name of spec.required) {
    if (unconditional.has(name)) continue;
    const guard = (placeholderKinds as Record<string, { guard?: EmailFact }>)[name]?.guard;
    problems.push({
      path: [...path, 'body'],
      message:
        guard && !spec.holds.includes(guard)
          ? `must use {${name}} in a part with "if": "${guard}" and no other condition, so that it shows whenever it is known`
          : `must use {${name}} in a part that always shows`,
    });
  }
}

const condition = z.string().refine((c) => (emailFacts as readonly string[]).includes(c.replace(/^!/, '')), {
  message: `must be one of ${emailFacts.join(', ')}, optionally preceded by "!"`,
});
const partSchema = z.union([
  z.string().max(2000),
  z.strictObject({ if: z.union([condition, z.array(condition).min(1).max(5)]), text: z.string().max(2000) }),
]);
const cellSchema = z.strictObject({
  subject: z.string().trim().min(1).max(200).optional(),
  body: z
    .array(z.union([partSchema, z.array(partSchema).min(1).max(10)]))
    .min(1)
    .max(20)
    .optional(),
});
const localeOverrideSchema = z.strictObject({
  greeting: z.string().max(300).optional(),
  signature: z.string().max(500).optional(),
  footer: z.string().max(500).optional(),
  ...Object.fromEntries(emailCells.map((c) => [c, cellSchema.optional()])),
});

/** The shape of a storefront's `emailOverrides` setting, before the placeholder checks. */
export const emailOverridesSchema = z.strictObject(Object.fromEntries(emailLocales.map((l) => [l, localeOverrideSchema.optional()])));

const frameAllowed: Record<'greeting' | 'signature' | 'footer' | 'note' | 'followUpBy' | 'statusLink', ReadonlySet<string>> = {
  greeting: new Set(['name', 'shop']),
  signature: new Set(['shop']),
  footer: new Set(['claimId', 'order', 'shop']),
  note: new Set(['note']),
  followUpBy: new Set(['followUpBy']),
  statusLink: new Set(['statusUrl']),
};

function checkLocale(wording: Partial<LocaleWording> | Record<string, unknown>, path: (string | number)[], problems: Problem[]): void {
  for (const key of ['greeting', 'signature', 'footer', 'note', 'followUpBy', 'statusLink'] as const) {
    const text = (wording as Record<string, unknown>)[key];
    if (typeof text === 'string') checkText(text, [...path, key], frameAllowed[key], new Set(), problems);
  }
  const cells = (wording as { cells?: Record<string, Partial<CellTemplate>> }).cells ?? (wording as Record<string, Partial<CellTemplate>>);
  for (const cell of emailCells) {
    const template = cells[cell];
    if (template && typeof template === 'object')
      checkCell(cell, template, 'cells' in wording ? [...path, 'cells', cell] : [...path, cell], problems);
  }
}

/**
 * Validates a shop's wording overrides: the shape (zod), then every text's placeholders (unknown
 * ones, ones the cell must use, ones used where the decision may not grant them). Throws
 * {@link InvalidRequestError} listing each problem by path (`uk.rejection.body[1]`).
 */
export function parseEmailOverrides(input: unknown): EmailOverrides {
  const parsed = emailOverridesSchema.safeParse(input);
  if (!parsed.success) throw new InvalidRequestError('The email wording overrides do not match the schema', toIssues(parsed.error.issues));
  const overrides = parsed.data as EmailOverrides;
  const problems: Problem[] = [];
  for (const locale of emailLocales) {
    const o = overrides[locale];
    if (o) checkLocale(o, [locale], problems);
  }
  if (problems.length > 0) throw new InvalidRequestError('The email wording overrides have problems', toIssues(problems));
  return overrides;
}

/** The placeholder problems of a locale's built-in wording (empty when it is sound); the unit tests hold every locale to it. */
export function wordingProblems(wording: LocaleWording): { path: string; message: string }[] {
  const problems: Problem[] = [];
  checkLocale(wording, [], problems);
  for (const [group, allowed] of [
    ['apologies', new Set<string>()],
    ['reasons', new Set<string>()],
    ['alternatives', new Set<string>()],
  ] as const) {
    for (const [key, text] of Object.entries(wording[group])) checkText(text, [group, key], allowed, new Set(), problems);
  }
  return toIssues(problems);
}
