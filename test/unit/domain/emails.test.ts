import { describe, expect, it } from 'vitest';
import {
  builtInWording,
  type CustomerEmailArgs,
  type CustomerEmailKind,
  cameBack,
  customerEmail,
  emailCell,
  emailLocale,
  formatDate,
  plainText,
  plural,
  rejectionReasonsOf,
} from '#domain/email.ts';
import {
  type EmailCell,
  type EmailCondition,
  type EmailLocale,
  emailCells,
  emailLocales,
  faultReasons,
  type TemplatePart,
  wordingProblems,
} from '#domain/email-templates.ts';
import type { StoredDecision } from '#domain/ledger.ts';
import { formatMoney, type Money } from '#domain/money.ts';
import { type EmailSample, emailSamples, emailVariants, HOSTILE_NAME, RETURN_ADDRESS } from '#local/email-preview.ts';

/** A word every thank-you in the locale contains. */
const thankYou = { en: 'Thank you', uk: 'Дякуємо', ru: 'Спасибо', eo: 'Dankon' } as const;

/** Which amounts each cell must show: the decision's, or for a follow-up the action's (`followUp`). */
const amountsShown: Record<
  EmailCell,
  Array<'cash' | 'storeCredit' | 'goodwill' | 'followUp.cash' | 'followUp.credit' | 'followUp.bonus'>
> = {
  acknowledged: [],
  refund_without_return: ['cash'],
  return_and_refund: ['cash'],
  refund_after_return: ['cash'],
  replacement: [],
  store_credit: ['storeCredit', 'goodwill'],
  goodwill: ['storeCredit'],
  apology: [],
  cash_and_credit: ['cash', 'storeCredit', 'goodwill'],
  rejection: [],
  more_time: [],
  return_not_received: [],
  credit_issued: ['followUp.credit'],
  replacement_shipped: [],
  payout_failed: ['followUp.cash', 'followUp.credit', 'followUp.bonus'],
  cash_again: ['followUp.cash'],
};

/** The amount `key` of {@link amountsShown} names in a sample. */
function amountOf(args: CustomerEmailArgs, key: (typeof amountsShown)[EmailCell][number]): Money {
  const amount = key.startsWith('followUp.')
    ? args.followUp?.[key.slice('followUp.'.length) as 'cash' | 'credit' | 'bonus']
    : (args.decision as StoredDecision)[key as 'cash' | 'storeCredit' | 'goodwill'];
  if (!amount) throw new Error(`the sample has no ${key}`);
  return amount;
}

/** Follow-ups that do not repeat the claim's apology: they are about the money, and say sorry for its own trouble if any. */
const noReasonApology: readonly EmailCell[] = ['credit_issued', 'payout_failed', 'cash_again'];

const matrix = emailLocales.flatMap((locale) => emailSamples(locale).map((sample) => ({ locale, sample })));

function hostile(sample: EmailSample): EmailSample {
  const { claim } = sample.args;
  return {
    ...sample,
    args: {
      ...sample.args,
      shopName: '<b>Shop</b>\r\nBcc: x@evil.test',
      claim: {
        ...claim,
        order: {
          ...claim.order,
          id: 'ORD-"><svg onload=alert(3)>',
          items: claim.order.items.map((i) => ({ ...i, name: '<iframe src=javascript:alert(4)>' })),
        },
        customer: { ...claim.customer, name: HOSTILE_NAME },
      },
    },
  };
}

const allowedTags = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'body', 'div', 'p', 'strong', 'bdi', 'br', 'a']);

describe('customer emails: every locale × outcome', () => {
  it('covers every cell of the wording in every locale', () => {
    // arrange / act
    const cells = emailLocales.map((l) => emailSamples(l).map((s) => s.cell));
    // assert
    for (const c of cells) expect([...c].sort()).toEqual([...emailCells].sort());
  });

  it.each(matrix.map((m) => [m.locale, m.sample.cell, m]))('%s %s: renders subject, text and HTML', (_l, _c, { sample }) => {
    // act
    const email = customerEmail(sample.kind, sample.args);
    // assert
    expect(email.subject.length).toBeGreaterThan(5);
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toContain('ORD-1001');
    expect(email.text).toContain('ORD-1001');
    expect(email.text).toContain('clm_7Qm2x9');
    expect(email.html.startsWith('<!doctype html>')).toBe(true);
    expect(email.html).toContain('Demo Shop');
    expect(email.text).not.toMatch(/\{[a-zA-Z]+\}/);
    expect(email.text).not.toContain('undefined');
  });

  it.each(matrix.map((m) => [m.locale, m.sample.cell, m]))(
    '%s %s: shows the amounts as the locale writes them',
    (_l, cell, { locale, sample }) => {
      // arrange
      const expected = amountsShown[cell as EmailCell].map((k) => formatMoney(amountOf(sample.args, k), locale));
      // act
      const email = customerEmail(sample.kind, sample.args);
      // assert
      for (const amount of expected) {
        expect(email.text).toContain(amount);
        expect(email.html).toContain(amount);
      }
      if (cell === 'rejection' || cell === 'apology' || cell === 'replacement' || cell === 'replacement_shipped')
        expect(email.text).not.toMatch(/\d+[.,]\d\d/);
    },
  );

  it.each(matrix.map((m) => [m.locale, m.sample.cell, m]))(
    '%s %s: thanks the customer, and apologises exactly when the shop erred',
    (_l, cell, { locale, sample }) => {
      // arrange
      const wording = builtInWording[locale];
      const reason = sample.args.claim.complaint.reason;
      const fault = (faultReasons as readonly string[]).includes(reason) && !noReasonApology.includes(cell as EmailCell);
      // act
      const email = customerEmail(sample.kind, sample.args);
      // assert
      expect(email.text).toContain(thankYou[locale]);
      if (fault) expect(email.text).toContain(wording.apologies[reason as keyof typeof wording.apologies]);
      else for (const sorry of Object.values(wording.apologies)) expect(email.text).not.toContain(sorry);
    },
  );

  it.each(emailLocales)('%s: every rejection names the reason and offers an alternative', (locale) => {
    // arrange
    const wording = builtInWording[locale];
    const sample = emailSamples(locale).find((s) => s.cell === 'rejection')!;
    const byPerson: StoredDecision = {
      ...(sample.args.decision as StoredDecision),
      rules: [{ id: 'approval-tier', text: 'The decision is worth €93.99: agent approval is needed' }],
    };
    delete (byPerson as { alternative?: unknown }).alternative;
    // act
    const byPolicy = customerEmail('outcome', sample.args);
    const byApprover = customerEmail('outcome', { ...sample.args, decision: byPerson });
    const undecided = customerEmail('outcome', { ...sample.args, decision: undefined });
    // assert
    expect(byPolicy.text).toContain(wording.reasons['final-sale']);
    expect(byApprover.text).toContain(wording.reasons.review);
    expect(undecided.text).toContain(wording.reasons.other);
    for (const email of [byPolicy, byApprover, undecided]) {
      expect(email.text).toContain(wording.alternatives['alternative-contact']);
    }
  });

  it.each(matrix.map((m) => [m.locale, m.sample.cell, m]))(
    '%s %s: a hostile name, order id, item and shop render as text',
    (_l, _c, { sample }) => {
      // arrange
      const evil = hostile(sample);
      // act
      const email = customerEmail(evil.kind, evil.args);
      // assert
      const tags = [...email.html.matchAll(/<\/?([!a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
      expect(tags.filter((t) => !allowedTags.has(t))).toEqual([]);
      expect(email.html).not.toMatch(/<(script|img|svg|iframe)/i);
      expect(email.html).toContain('&lt;script&gt;');
      expect(email.html).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      expect(email.text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      expect(email.text).toContain('🙂👩‍👩‍👧');
      expect(email.subject).not.toMatch(/[\r\n]/);
      expect(email.text).toContain('<b>Shop</b> Bcc: x@evil.test');
      expect(email.text).toContain('<script>alert(1)</script>');
    },
  );
});

describe('plurals, dates and locales', () => {
  it.each([
    ['uk', 1, '1 день'],
    ['uk', 2, '2 дні'],
    ['uk', 5, '5 днів'],
    ['uk', 14, '14 днів'],
    ['uk', 21, '21 день'],
    ['uk', 22, '22 дні'],
    ['ru', 1, '1 день'],
    ['ru', 3, '3 дня'],
    ['ru', 11, '11 дней'],
    ['ru', 14, '14 дней'],
    ['ru', 21, '21 день'],
    ['en', 1, '1 day'],
    ['en', 30, '30 days'],
    ['eo', 1, '1 tago'],
    ['eo', 30, '30 tagoj'],
  ] as const)('%s: %i → %s', (locale, n, expected) => {
    // act / assert
    expect(plural(n, builtInWording[locale].days, locale)).toBe(expected);
  });

  it.each([
    ['uk', 21, '21 день'],
    ['uk', 14, '14 днів'],
    ['uk', 2, '2 дні'],
    ['ru', 14, '14 дней'],
  ] as const)('%s return instructions with %i days say %s', (locale, days, expected) => {
    // arrange
    const sample = emailSamples(locale).find((s) => s.cell === 'return_and_refund')!;
    // act
    const email = customerEmail(sample.kind, { ...sample.args, sendBackDays: days });
    // assert
    expect(email.text).toContain(expected);
  });

  it.each([
    ['en', 'December 23, 2026'],
    ['uk', '23 грудня 2026'],
    ['ru', '23 декабря 2026'],
    ['eo', 'la 23-a de decembro 2026'],
  ] as const)('%s writes the return deadline as %s', (locale, expected) => {
    // arrange
    const sample = emailSamples(locale).find((s) => s.cell === 'return_and_refund')!;
    // act
    const email = customerEmail(sample.kind, sample.args);
    // assert
    expect(formatDate('2026-12-23T12:00:00Z', locale, builtInWording[locale].datePattern)).toContain(expected);
    expect(email.text).toContain(expected);
  });

  it.each([
    ['uk-UA', 'uk'],
    ['ru-RU', 'ru'],
    ['eo', 'eo'],
    ['en-GB', 'en'],
    ['pt-BR', 'en'],
    ['de', 'en'],
  ] as const)('%s is written in %s', (tag, language) => {
    // act / assert
    expect(emailLocale(tag).language).toBe(language);
  });

  it('falls back to English wording and formatting for a locale not written natively', () => {
    // arrange
    const sample = emailSamples('pt-BR').find((s) => s.cell === 'refund_without_return')!;
    // act
    const email = customerEmail(sample.kind, sample.args);
    // assert
    expect(email.subject).toBe('Your refund of €27.50 for order ORD-1001');
  });

  it('formats currencies with their own minor digits (JPY 0, KWD 3) for the locale', () => {
    // arrange
    const sample = emailSamples('uk').find((s) => s.cell === 'refund_without_return')!;
    const yen: StoredDecision = { ...(sample.args.decision as StoredDecision), cash: { amount: 1500, currency: 'JPY' } };
    const dinar: StoredDecision = { ...(sample.args.decision as StoredDecision), cash: { amount: 12345, currency: 'KWD' } };
    // act
    const inYen = customerEmail('outcome', { ...sample.args, decision: yen });
    const inDinar = customerEmail('outcome', { ...sample.args, decision: dinar });
    const inEnglish = customerEmail('outcome', {
      ...sample.args,
      claim: { ...sample.args.claim, customer: { ...sample.args.claim.customer, locale: 'en' } },
      decision: dinar,
    });
    // assert
    expect(inYen.text).toContain('1\u00a0500\u00a0¥');
    expect(inDinar.text).toContain('12,345');
    expect(inEnglish.text).toContain('KWD\u00a012.345');
  });

  it('removes control and direction-changing characters from outside values', () => {
    // act / assert
    expect(plainText('Ann\u202Egnp.exe\u202C\r\nBcc: x')).toBe('Anngnp.exe Bcc: x');
    expect(plainText('👩‍👩‍👧')).toBe('👩‍👩‍👧');
  });
});

describe('which email a step sends', () => {
  const d = (outcome: StoredDecision['outcome'], cash: number, credit: number, returnRequired = false, goodwill = 0): StoredDecision => ({
    outcome,
    cash: { amount: cash, currency: 'EUR' },
    storeCredit: { amount: credit, currency: 'EUR' },
    goodwill: { amount: goodwill, currency: 'EUR' },
    returnRequired,
    tier: 'auto',
    policyVersion: 1,
    rules: [],
    units: [],
  });

  it.each<[CustomerEmailKind, StoredDecision | undefined, EmailCell]>([
    ['outcome', d('refund_without_return', 2750, 0), 'refund_without_return'],
    ['return_instructions', d('return_and_refund', 9399, 0, true), 'return_and_refund'],
    ['outcome', d('return_and_refund', 9399, 0, true), 'refund_after_return'],
    ['outcome', d('replacement', 0, 0), 'replacement'],
    ['outcome', d('replacement', 0, 500, false, 500), 'replacement'],
    ['outcome', d('store_credit', 0, 5500, false, 500), 'store_credit'],
    ['outcome', d('goodwill', 0, 550, false, 550), 'goodwill'],
    ['outcome', d('goodwill', 0, 0), 'apology'],
    ['outcome', d('refund_without_return', 2750, 500, false, 500), 'cash_and_credit'],
    ['outcome', d('return_and_refund', 9399, 500, true, 500), 'cash_and_credit'],
    [
      'outcome',
      { ...d('return_and_refund', 8010, 0), rules: [{ id: 'return-graded', text: '1 × Kettle arrived used' }] },
      'refund_after_return',
    ],
    ['outcome', { ...d('replacement', 0, 0), rules: [{ id: 'return-graded', text: '1 × Kettle arrived as new' }] }, 'replacement'],
    ['outcome', d('rejected', 0, 0), 'rejection'],
    ['outcome', undefined, 'rejection'],
    ['needs_more_time', d('return_and_refund', 9399, 0, true), 'more_time'],
    ['return_not_received', d('return_and_refund', 9399, 0, true), 'return_not_received'],
    ['credit_issued', d('store_credit', 0, 5500, false, 500), 'credit_issued'],
    ['replacement_shipped', d('replacement', 0, 0), 'replacement_shipped'],
    ['payout_failed', d('refund_without_return', 2750, 0), 'payout_failed'],
    ['cash_again', d('refund_without_return', 2750, 0), 'cash_again'],
    ['payout_failed', undefined, 'payout_failed'],
  ])('%s with %j → %s', (kind, decision, cell) => {
    // act / assert
    expect(emailCell(kind, decision)).toBe(cell);
  });

  it('counts an outcome as for returned goods when the step says they were graded', () => {
    // arrange
    const graded = d('return_and_refund', 8010, 0);
    // act / assert
    expect(cameBack(graded)).toBe(false);
    expect(cameBack(graded, { kept: { amount: 0, currency: 'EUR' } })).toBe(true);
    expect(emailCell('outcome', graded, cameBack(graded, { kept: { amount: 890, currency: 'EUR' } }))).toBe('refund_after_return');
    expect(cameBack(d('rejected', 0, 0), { kept: { amount: 0, currency: 'EUR' } })).toBe(false);
  });

  it('takes a refused return window as the reason only when a line was outside it', () => {
    // arrange
    const inside = {
      ...d('rejected', 0, 0),
      rules: [{ id: 'return-window', text: 'Kettle: delivered 5 days ago, within the 30-day window' }],
    };
    const outside = {
      ...d('rejected', 0, 0),
      rules: [{ id: 'return-window', text: 'Kettle: delivered 45 days ago, outside the 30-day window' }],
    };
    // act / assert
    expect(rejectionReasonsOf(inside)).toEqual(['other']);
    expect(rejectionReasonsOf(outside)).toEqual(['return-window']);
  });

  it('offers repair when the policy says so, and a person for an alternative it does not know', () => {
    // arrange
    const sample = emailSamples('en').find((s) => s.cell === 'rejection')!;
    const base = sample.args.decision as StoredDecision;
    // act
    const repair = customerEmail('outcome', {
      ...sample.args,
      decision: { ...base, alternative: { id: 'alternative-repair', text: 'x' } },
    });
    const unknown = customerEmail('outcome', { ...sample.args, decision: { ...base, alternative: { id: 'alternative-new', text: 'x' } } });
    // assert
    expect(repair.text).toContain(builtInWording.en.alternatives['alternative-repair']);
    expect(unknown.text).toContain(builtInWording.en.alternatives['alternative-contact']);
  });
});

describe('the built-in wording', () => {
  it.each(emailLocales)('%s uses only the placeholders each cell allows, and every one it needs', (locale) => {
    // act / assert
    expect(wordingProblems(builtInWording[locale])).toEqual([]);
  });
});

describe('punctuation around values', () => {
  it.each([
    ['uk', '23 грудня 2026 р.'],
    ['ru', '23 декабря 2026 г.'],
  ] as const)('%s: a date that ends with a full stop ends the sentence without a second one', (locale, date) => {
    // arrange
    const sample = emailSamples(locale).find((s) => s.cell === 'return_and_refund')!;
    // act
    const email = customerEmail(sample.kind, sample.args);
    // assert
    expect(email.text).toContain(date);
    expect(email.text).not.toContain(`${date}.`);
  });
});

// ---------------------------------------------------------------------------------------------
// The facts the emails state: each sentence appears exactly when its fact holds, in every locale.

/** The text of the part of `cell` shown under exactly `conditions` (in any order). */
function part(locale: EmailLocale, cell: EmailCell, conditions: readonly EmailCondition[]): string {
  const want = [...conditions].sort().join(' ');
  for (const paragraph of builtInWording[locale].cells[cell].body) {
    const parts: readonly TemplatePart[] = Array.isArray(paragraph) ? paragraph : [paragraph as TemplatePart];
    for (const p of parts) {
      if (typeof p === 'string') continue;
      const conds = typeof p.if === 'string' ? [p.if] : [...p.if];
      if (conds.sort().join(' ') === want) return p.text;
    }
  }
  throw new Error(`${locale} ${cell} has no part for ${want}`);
}

/** A sentence of the wording as a pattern: its words exactly, any value where a placeholder is (a value stays on its line, an address spans lines). */
function sentence(text: string): RegExp {
  const source = text
    .split(/(\{[a-zA-Z]+\})/)
    .map((chunk) => {
      if (chunk === '{returnAddress}') return '[^]+?';
      if (/^\{[a-zA-Z]+\}$/.test(chunk)) return '[^\\n]+?';
      return chunk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('')
    // A value that ends with a full stop takes the place of the sentence's own.
    .replace(/\?\\\./g, '?\\.?');
  return new RegExp(source);
}

/** Asserts which of the parts of `cell` (by their conditions) the text shows, and that it shows no other of them. */
function expectParts(
  locale: EmailLocale,
  cell: EmailCell,
  text: string,
  shown: readonly (readonly EmailCondition[])[],
  notShown: readonly (readonly EmailCondition[])[],
): void {
  for (const c of shown) expect(text, `${locale} ${cell} shows ${c.join('+')}`).toMatch(sentence(part(locale, cell, c)));
  for (const c of notShown) expect(text, `${locale} ${cell} leaves out ${c.join('+')}`).not.toMatch(sentence(part(locale, cell, c)));
}

const sampleOf = (locale: EmailLocale, cell: EmailCell) => emailSamples(locale).find((s) => s.cell === cell)!;
const variantOf = (locale: EmailLocale, label: string) => emailVariants(locale).find((v) => v.label.startsWith(label))!;
const eur = (amount: number): Money => ({ amount, currency: 'EUR' });
const render = (sample: EmailSample, more: Partial<CustomerEmailArgs> = {}) => customerEmail(sample.kind, { ...sample.args, ...more });
const withReason = (sample: EmailSample, reason: CustomerEmailArgs['claim']['complaint']['reason']): Partial<CustomerEmailArgs> => ({
  claim: { ...sample.args.claim, complaint: { ...sample.args.claim.complaint, reason } },
});

describe('return instructions: where to send the parcel, and who pays the postage', () => {
  const address = [['returnAddress']] as const;
  const ask = [['!returnAddress']] as const;
  const shop = ['shopPaysPostage'] as const;
  const changedMind = ['customerPaysPostage', 'changedMind'] as const;
  const customer = ['customerPaysPostage', '!changedMind'] as const;

  it.each(emailLocales)('%s: gives the return address line by line when the shop has one, and asks for a reply when not', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'return_and_refund');
    // act
    const withAddress = render(sample);
    const without = render(sample, { returnAddress: undefined });
    const blank = render(sample, { returnAddress: ' \n \r\n\t' });
    // assert
    expectParts(locale, 'return_and_refund', withAddress.text, address, ask);
    expect(withAddress.text).toContain(`:\n${RETURN_ADDRESS}\n\n`);
    expect(withAddress.html).toContain(
      `:<br>${RETURN_ADDRESS.split('\n')
        .map((l) => `<bdi>${l}</bdi>`)
        .join('<br>')}</p>`,
    );
    for (const email of [without, blank]) {
      expectParts(locale, 'return_and_refund', email.text, ask, address);
      expect(email.text).not.toContain('Harbour Road');
    }
  });

  it.each(emailLocales)('%s: says who pays the postage exactly as the policy has it', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'return_and_refund');
    // act
    const byShop = render(sample, { postagePaidBy: 'shop' });
    const byCustomerChangedMind = render(sample, { postagePaidBy: 'customer', ...withReason(sample, 'changed_mind') });
    const byCustomer = render(sample, { postagePaidBy: 'customer', ...withReason(sample, 'other') });
    const unknown = render(sample, { postagePaidBy: undefined });
    // assert
    expectParts(locale, 'return_and_refund', byShop.text, [shop], [changedMind, customer]);
    expectParts(locale, 'return_and_refund', byCustomerChangedMind.text, [changedMind], [shop, customer]);
    expectParts(locale, 'return_and_refund', byCustomer.text, [customer], [shop, changedMind]);
    expectParts(locale, 'return_and_refund', unknown.text, [], [shop, changedMind, customer]);
  });

  it.each(emailLocales)('%s: warns that part of the price may be kept only when the policy grades returns for this reason', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'return_and_refund');
    // act
    const graded = render(sample, { conditionDeductions: true });
    const full = render(sample);
    // assert
    expectParts(locale, 'return_and_refund', graded.text, [['conditionDeductions']], []);
    expectParts(locale, 'return_and_refund', full.text, [], [['conditionDeductions']]);
  });

  it.each(emailLocales)('%s: lists the units the decision covers, not every unit claimed', (locale) => {
    // arrange
    const sample = variantOf(locale, 'return_and_refund');
    const decision = sample.args.decision as StoredDecision;
    // act
    const all = render(sample);
    const kettleOnly = render(sample, { decision: { ...decision, units: [{ sku: 'KETTLE-1', quantity: 1 }] } });
    // assert
    expect(all.text).toContain('2 × Tea cup');
    expect(kettleOnly.text).toContain('1 × Electric kettle');
    expect(kettleOnly.text).not.toContain('Tea cup');
  });

  it.each(emailLocales)('%s: an address from outside renders as text: no markup, no direction override', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'return_and_refund');
    const hostile = '<script>alert(1)</script>\r\n\u202Egnp.exe\u202C Road <img src=x onerror=alert(2)>\n\u2067שלום\u2069 7';
    // act
    const email = render(sample, { returnAddress: hostile });
    // assert
    const tags = [...email.html.matchAll(/<\/?([!a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
    expect(tags.filter((t) => !allowedTags.has(t))).toEqual([]);
    expect(email.html).toContain(
      '<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi><br><bdi>gnp.exe Road &lt;img src=x onerror=alert(2)&gt;</bdi>',
    );
    expect(email.html).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(email.text).not.toMatch(/[\u202a-\u202e\u2066-\u2069\r]/);
    expect(email.text).toContain('\n<script>alert(1)</script>\ngnp.exe Road <img src=x onerror=alert(2)>\nשלום 7\n');
  });
});

describe('store credit: what the credit is made of', () => {
  const rule = (id: string) => ({ id, text: id });
  const bonusForCredit = ['bonus', 'refundCredit', 'bonusForCredit'] as const;
  const apologyCredit = ['bonus', 'refundCredit', 'apologyCredit'] as const;
  const inGeneral = ['bonus', 'refundCredit', '!bonusForCredit', '!apologyCredit'] as const;

  it.each(emailLocales)('%s: the total, the value of the items and the bonus for choosing credit', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'store_credit');
    // act
    const email = render(sample);
    // assert
    expectParts(locale, 'store_credit', email.text, [bonusForCredit], [apologyCredit, inGeneral]);
    for (const amount of [9790, 8900, 890]) expect(email.text).toContain(formatMoney(eur(amount), locale));
  });

  it.each(emailLocales)('%s: names an apology credit as one, and goodwill of mixed or unknown kind in general words', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'store_credit');
    const decision = sample.args.decision as StoredDecision;
    // act
    const apology = render(sample, { decision: { ...decision, rules: [rule('apology-credit')] } });
    const mixed = render(sample, { decision: { ...decision, rules: [rule('store-credit-bonus'), rule('apology-credit')] } });
    const unknown = render(sample, { decision: { ...decision, rules: [] } });
    // assert
    expectParts(locale, 'store_credit', apology.text, [apologyCredit], [bonusForCredit, inGeneral]);
    expectParts(locale, 'store_credit', mixed.text, [inGeneral], [bonusForCredit, apologyCredit]);
    expectParts(locale, 'store_credit', unknown.text, [inGeneral], [bonusForCredit, apologyCredit]);
  });

  it.each(emailLocales)('%s: claims no bonus when none was granted', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'store_credit');
    const decision = sample.args.decision as StoredDecision;
    const noBonus: StoredDecision = {
      ...decision,
      storeCredit: eur(8900),
      goodwill: eur(0),
      rules: [rule('store-credit-bonus-not-granted'), rule('goodwill-budget')],
    };
    // act
    const email = render(sample, { decision: noBonus });
    // assert
    expectParts(locale, 'store_credit', email.text, [], [bonusForCredit, apologyCredit, inGeneral]);
    expect(email.text).toContain(formatMoney(eur(8900), locale));
    expect(email.text).not.toContain(formatMoney(eur(890), locale));
  });

  it.each(emailLocales)('%s: goodwill credit says what it is for: a late delivery, an apology, or a gift', (locale) => {
    // arrange
    const late = sampleOf(locale, 'goodwill');
    const apology = variantOf(locale, 'goodwill (apology credit)');
    const gift = { ...apology, args: { ...apology.args, decision: { ...(apology.args.decision as StoredDecision), rules: [] } } };
    const compensation = ['bonus', '!refundCredit', 'compensation'] as const;
    const sorry = ['bonus', '!refundCredit', 'apologyCredit'] as const;
    const present = ['bonus', '!refundCredit', '!compensation', '!apologyCredit'] as const;
    // act / assert
    expectParts(locale, 'goodwill', render(late).text, [compensation], [sorry, present]);
    expectParts(locale, 'goodwill', render(apology).text, [sorry], [compensation, present]);
    expectParts(locale, 'goodwill', render(gift).text, [present], [compensation, sorry]);
  });

  it.each(emailLocales)('%s: a refund with an apology credit calls the credit an apology, not a part of the refund', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'cash_and_credit');
    // act
    const email = render(sample);
    // assert
    expectParts(
      locale,
      'cash_and_credit',
      email.text,
      [['bonus', '!refundCredit', 'apologyCredit']],
      [bonusForCredit, apologyCredit, inGeneral],
    );
  });
});

describe('an outcome for goods that came back and were graded', () => {
  const keptChangedMind = ['kept', 'changedMind'] as const;
  const keptOther = ['kept', '!changedMind'] as const;

  it.each(emailLocales)('%s: says what was kept for the condition, under the terms for the reason', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'refund_after_return');
    // act
    const changedMind = render(sample);
    const other = render(sample, withReason(sample, 'other'));
    const nothingKept = render(sample, { graded: { kept: eur(0) } });
    // assert
    expectParts(locale, 'refund_after_return', changedMind.text, [keptChangedMind], [keptOther]);
    expect(changedMind.text).toContain(formatMoney(eur(890), locale));
    expect(changedMind.html).toContain(formatMoney(eur(890), locale));
    expectParts(locale, 'refund_after_return', other.text, [keptOther], [keptChangedMind]);
    expectParts(locale, 'refund_after_return', nothingKept.text, [], [keptChangedMind, keptOther]);
    expect(nothingKept.text).not.toContain(formatMoney(eur(890), locale));
  });

  it.each(emailLocales)(
    '%s: a graded decision is the returned-goods email even without the graded facts, and never says to keep the goods',
    (locale) => {
      // arrange
      const sample = sampleOf(locale, 'refund_after_return');
      const keep = builtInWording[locale].cells.refund_without_return.body[2] as string;
      // act
      const email = render(sample, { graded: undefined });
      const credit = render(variantOf(locale, 'store_credit'));
      // assert
      expect(email.subject).toBe(render(sample).subject);
      expect(email.text).not.toContain(keep);
      expectParts(locale, 'refund_after_return', email.text, [], [keptChangedMind, keptOther]);
      expectParts(locale, 'store_credit', credit.text, [['returned', 'awaited']], [['keep'], ['returned', '!awaited']]);
    },
  );

  it.each(emailLocales)('%s: names the units still on their way, and that we write again, only while some are', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'refund_after_return');
    const awaited = { awaitedItems: [{ name: 'Tea cup', quantity: 2 }], deadline: '2026-12-23T12:00:00Z' };
    // act
    const partial = render(sample, awaited);
    const noDeadline = render(sample, { ...awaited, deadline: undefined });
    const complete = render(sample);
    // assert
    expectParts(
      locale,
      'refund_after_return',
      partial.text,
      [['awaited'], ['awaited', 'deadline']],
      [['!awaited'], ['awaited', '!deadline']],
    );
    expect(partial.text).toContain('2 × Tea cup');
    expectParts(locale, 'refund_after_return', noDeadline.text, [['awaited', '!deadline']], [['awaited', 'deadline']]);
    expectParts(locale, 'refund_after_return', complete.text, [['!awaited']], [['awaited'], ['awaited', 'deadline']]);
  });
});

describe('a return closed at its deadline', () => {
  const missingItems = ['deadline', 'missing'] as const;
  const parcel = ['deadline', '!missing', '!refundedPart'] as const;
  const rest = ['deadline', '!missing', 'refundedPart'] as const;

  it.each(emailLocales)('%s: nothing arrived: names the missing items and closes without a refund', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'return_not_received');
    // act
    const named = render(sample);
    const unnamed = render(sample, { missingItems: [] });
    // assert
    expectParts(locale, 'return_not_received', named.text, [missingItems, ['!refundedPart']], [parcel, rest, ['refundedPart']]);
    expect(named.text).toContain('1 × Electric kettle');
    expectParts(locale, 'return_not_received', unnamed.text, [parcel, ['!refundedPart']], [missingItems, rest, ['refundedPart']]);
  });

  it.each(emailLocales)('%s: part arrived: says the arrived part was refunded, and the missing items were not', (locale) => {
    // arrange
    const sample = variantOf(locale, 'return_not_received');
    // act
    const email = render(sample);
    const unnamed = render(sample, { missingItems: undefined });
    const nothingRefunded = render(sample, { refundedPart: eur(0) });
    // assert
    expectParts(locale, 'return_not_received', email.text, [missingItems, ['refundedPart']], [['!refundedPart'], parcel, rest]);
    expect(email.text).toContain(formatMoney(eur(8900), locale));
    expect(email.text).toContain('2 × Tea cup');
    expectParts(locale, 'return_not_received', unnamed.text, [rest, ['refundedPart']], [missingItems, parcel]);
    expectParts(locale, 'return_not_received', nothingRefunded.text, [['!refundedPart']], [['refundedPart']]);
  });
});

describe('every variant of every email', () => {
  const everything = emailLocales.flatMap((locale) =>
    [...emailSamples(locale), ...emailVariants(locale)].map((s) => [locale, 'label' in s ? String(s.label) : s.cell, s] as const),
  );

  it.each(everything)('%s %s: leaves no placeholder unrendered', (_l, _c, sample) => {
    // act
    const email = customerEmail(sample.kind, sample.args);
    // assert
    for (const part of [email.subject, email.text, email.html]) {
      expect(part).not.toMatch(/\{[a-zA-Z]+\}/);
      expect(part).not.toContain('undefined');
    }
  });
});
