import { describe, expect, it } from 'vitest';
import {
  builtInWording,
  type CustomerEmailKind,
  customerEmail,
  emailCell,
  emailLocale,
  formatDate,
  plainText,
  plural,
  rejectionReasonsOf,
} from '#domain/email.ts';
import { type EmailCell, emailCells, emailLocales, faultReasons, wordingProblems } from '#domain/email-templates.ts';
import type { StoredDecision } from '#domain/ledger.ts';
import { formatMoney, type Money } from '#domain/money.ts';
import { type EmailSample, emailSamples, HOSTILE_NAME } from '#local/email-preview.ts';

/** A word every thank-you in the locale contains. */
const thankYou = { en: 'Thank you', uk: 'Дякуємо', ru: 'Спасибо', eo: 'Dankon' } as const;

/** Which amounts each cell must show. */
const amountsShown: Record<EmailCell, Array<'cash' | 'storeCredit' | 'goodwill'>> = {
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
};

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

const allowedTags = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'body', 'div', 'p', 'strong', 'bdi', 'br']);

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
      const decision = sample.args.decision as StoredDecision;
      const expected = amountsShown[cell as EmailCell].map((k) => formatMoney(decision[k] as Money, locale));
      // act
      const email = customerEmail(sample.kind, sample.args);
      // assert
      for (const amount of expected) {
        expect(email.text).toContain(amount);
        expect(email.html).toContain(amount);
      }
      if (cell === 'rejection' || cell === 'apology' || cell === 'replacement') expect(email.text).not.toMatch(/\d+[.,]\d\d/);
    },
  );

  it.each(matrix.map((m) => [m.locale, m.sample.cell, m]))(
    '%s %s: thanks the customer, and apologises exactly when the shop erred',
    (_l, _c, { locale, sample }) => {
      // arrange
      const wording = builtInWording[locale];
      const reason = sample.args.claim.complaint.reason;
      const fault = (faultReasons as readonly string[]).includes(reason);
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
      expect(email.html).toContain('&#60;script&#62;');
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
    ['outcome', d('rejected', 0, 0), 'rejection'],
    ['outcome', undefined, 'rejection'],
    ['needs_more_time', d('return_and_refund', 9399, 0, true), 'more_time'],
    ['return_not_received', d('return_and_refund', 9399, 0, true), 'return_not_received'],
  ])('%s with %j → %s', (kind, decision, cell) => {
    // act / assert
    expect(emailCell(kind, decision)).toBe(cell);
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
