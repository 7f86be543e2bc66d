import { describe, expect, it } from 'vitest';
import { builtInWording, type CustomerEmailArgs, customerEmail, followUpKinds } from '#domain/email.ts';
import {
  type EmailCell,
  type EmailCondition,
  type EmailLocale,
  emailLocales,
  type TemplatePart,
  wordingProblems,
} from '#domain/email-templates.ts';
import type { StoredDecision } from '#domain/ledger.ts';
import { formatMoney, type Money } from '#domain/money.ts';
import { CREDIT_CODE, type EmailSample, emailSamples, emailVariants, TRACKING } from '#local/email-preview.ts';

/**
 * The emails that follow an action's result (credit issued, replacement shipped, refund failed,
 * cash asked for again), and the decision-time wording that now only says what is asked of the shop.
 */

const eur = (amount: number): Money => ({ amount, currency: 'EUR' });
const sampleOf = (locale: EmailLocale, cell: EmailCell) => emailSamples(locale).find((s) => s.cell === cell)!;
const variantOf = (locale: EmailLocale, label: string) => emailVariants(locale).find((v) => v.label.startsWith(label))!;
const render = (sample: EmailSample, followUp?: CustomerEmailArgs['followUp'], more: Partial<CustomerEmailArgs> = {}) =>
  customerEmail(sample.kind, { ...sample.args, ...(followUp ? { followUp } : {}), ...more });

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

/** A sentence of the wording as a pattern: its words exactly, any value on its line where a placeholder is. */
function sentence(text: string): RegExp {
  return new RegExp(
    text
      .split(/(\{[a-zA-Z]+\})/)
      .map((chunk) => (/^\{[a-zA-Z]+\}$/.test(chunk) ? '[^\\n]+?' : chunk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join(''),
  );
}

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

function expectNoLeftovers(email: { subject: string; text: string; html: string }): void {
  for (const p of [email.subject, email.text, email.html]) {
    expect(p).not.toMatch(/\{[a-zA-Z]+\}/);
    expect(p).not.toContain('undefined');
  }
}

describe('the follow-up emails', () => {
  it.each(emailLocales)('%s: the built-in wording of the follow-ups passes the placeholder checks', (locale) => {
    // act
    const problems = wordingProblems(builtInWording[locale]).filter((p) => followUpKinds.some((k) => p.path.includes(k)));
    // assert
    expect(problems).toEqual([]);
    for (const kind of followUpKinds) expect(builtInWording[locale].cells[kind].body.length).toBeGreaterThan(0);
  });

  it.each(emailLocales)('%s credit_issued: the amount and the code, and where to use it', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'credit_issued');
    // act
    const withCode = render(sample);
    const without = render(variantOf(locale, 'credit_issued (no code)'));
    // assert
    for (const email of [withCode, without]) {
      expect(email.text).toContain(formatMoney(eur(9790), locale));
      expect(email.html).toContain(formatMoney(eur(9790), locale));
      expectNoLeftovers(email);
    }
    expect(withCode.text).toContain(CREDIT_CODE);
    expect(withCode.html).toContain(`<bdi>${CREDIT_CODE}</bdi>`);
    expectParts(locale, 'credit_issued', withCode.text, [['creditCode']], [['!creditCode']]);
    expect(without.text).not.toContain(CREDIT_CODE);
    expectParts(locale, 'credit_issued', without.text, [['!creditCode']], [['creditCode']]);
  });

  it.each(emailLocales)('%s credit_issued: states the credit the shop issued, not the one decided', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'credit_issued');
    // act
    const email = render(sample, { credit: eur(5000) });
    // assert
    expect(email.text).toContain(formatMoney(eur(5000), locale));
    expect(email.text).not.toContain(formatMoney(eur(9790), locale));
    expect(email.text).not.toContain(formatMoney(eur(890), locale));
  });

  it.each(emailLocales)('%s replacement_shipped: the units shipped, and the tracking only when the shop gave it', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'replacement_shipped');
    // act
    const tracked = render(sample);
    const link = render(variantOf(locale, 'replacement_shipped (tracking link)'));
    const untracked = render(sample, { items: [{ name: 'Electric kettle', quantity: 1 }] });
    const blank = render(sample, { items: [{ name: 'Electric kettle', quantity: 1 }], tracking: ' \n ' });
    // assert
    for (const email of [tracked, untracked, blank]) {
      expect(email.text).toContain('1 × Electric kettle');
      expectNoLeftovers(email);
    }
    expect(tracked.text).toContain(TRACKING);
    expectParts(locale, 'replacement_shipped', tracked.text, [['tracking']], []);
    expect(link.text).toContain(`https://tracking.example/parcel/${TRACKING}`);
    expect(link.text).toContain('2 × Tea cup');
    expect(link.html).toContain(`<bdi>https://tracking.example/parcel/${TRACKING}</bdi>`);
    expect(link.html).not.toContain('<a href="https://tracking');
    for (const email of [untracked, blank]) {
      expect(email.text).not.toContain(TRACKING);
      expectParts(locale, 'replacement_shipped', email.text, [], [['tracking']]);
    }
  });

  it.each(emailLocales)('%s replacement_shipped: apologises exactly when the shop erred', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'replacement_shipped');
    const apologies = Object.values(builtInWording[locale].apologies);
    const claim = { ...sample.args.claim, complaint: { ...sample.args.claim.complaint, reason: 'changed_mind' as const } };
    // act
    const wrongItem = render(sample);
    const changedMind = render(sample, undefined, { claim });
    // assert
    expect(wrongItem.text).toContain(builtInWording[locale].apologies.wrong_item);
    for (const sorry of apologies) expect(changedMind.text).not.toContain(sorry);
  });

  it.each(emailLocales)('%s replacement_shipped: without named units, lists the ones the decision covers', (locale) => {
    // arrange
    const sample = variantOf(locale, 'replacement_shipped (tracking link)');
    // act
    const email = render(sample, { tracking: TRACKING });
    // assert
    expect(email.text).toContain('2 × Tea cup');
    expect(email.text).not.toContain('Electric kettle');
  });

  it.each(emailLocales)(
    '%s payout_failed: the failed refund, the credit instead with its bonus, and the way back to the cash',
    (locale) => {
      // arrange
      const sample = sampleOf(locale, 'payout_failed');
      // act
      const email = render(sample);
      // assert
      for (const amount of [2750, 3025, 275]) {
        expect(email.text).toContain(formatMoney(eur(amount), locale));
        expect(email.html).toContain(formatMoney(eur(amount), locale));
      }
      expectParts(locale, 'payout_failed', email.text, [['bonus'], ['cashOnRequest']], [['!cashOnRequest']]);
      expectNoLeftovers(email);
    },
  );

  it.each(emailLocales)(
    '%s payout_failed: no bonus claimed when none was given, and no offer of cash when the policy makes none',
    (locale) => {
      // arrange
      const sample = sampleOf(locale, 'payout_failed');
      // act
      const noBonus = render(sample, { cash: eur(2750), credit: eur(2750), cashOnRequest: true });
      const noCash = render(sample, { cash: eur(2750), credit: eur(3025), bonus: eur(275) });
      const neither = render(variantOf(locale, 'payout_failed (no bonus'));
      // assert
      expectParts(locale, 'payout_failed', noBonus.text, [['cashOnRequest']], [['bonus']]);
      expect(noBonus.text).not.toContain(formatMoney(eur(275), locale));
      expectParts(locale, 'payout_failed', noCash.text, [['bonus'], ['!cashOnRequest']], [['cashOnRequest']]);
      expectParts(locale, 'payout_failed', neither.text, [['!cashOnRequest']], [['bonus'], ['cashOnRequest']]);
      expect(neither.text).toContain(formatMoney(eur(11400), locale));
      for (const email of [noBonus, noCash, neither]) expectNoLeftovers(email);
    },
  );

  it.each(emailLocales)('%s payout_failed: states the follow-up amounts, none of the decision', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'payout_failed');
    const decision: StoredDecision = {
      ...(sample.args.decision as StoredDecision),
      cash: eur(9999),
      storeCredit: eur(8888),
      goodwill: eur(7777),
    };
    // act
    const email = render(sample, undefined, { decision });
    // assert
    expect(email.text).toContain(formatMoney(eur(3025), locale));
    for (const amount of [9999, 8888, 7777]) expect(email.text).not.toContain(formatMoney(eur(amount), locale));
  });

  it.each(emailLocales)('%s cash_again: the refund asked for, and the code that no longer works when there was one', (locale) => {
    // arrange
    const sample = sampleOf(locale, 'cash_again');
    // act
    const revoked = render(sample);
    const notIssued = render(variantOf(locale, 'cash_again'));
    // assert
    expect(revoked.text).toContain(formatMoney(eur(2750), locale));
    expect(revoked.html).toContain(formatMoney(eur(2750), locale));
    expect(revoked.text).toContain(CREDIT_CODE);
    expectParts(locale, 'cash_again', revoked.text, [['revokedCode']], []);
    expect(notIssued.text).toContain(formatMoney(eur(11400), locale));
    expect(notIssued.text).not.toContain(CREDIT_CODE);
    expectParts(locale, 'cash_again', notIssued.text, [], [['revokedCode']]);
    for (const email of [revoked, notIssued]) expectNoLeftovers(email);
  });

  it.each([
    ['credit_issued', 'credit'],
    ['payout_failed', 'cash'],
    ['cash_again', 'cash'],
  ] as const)('%s without followUp.%s is refused rather than sent with a gap', (cell, field) => {
    // arrange
    const sample = sampleOf('en', cell);
    const { [field]: _left, ...rest } = sample.args.followUp ?? {};
    // act / assert
    expect(() => render(sample, undefined, { followUp: rest })).toThrow(new RegExp(`followUp\\.${field}`));
  });

  it.each(emailLocales)('%s: a code or tracking from outside renders as text, isolated in the HTML', (locale) => {
    // arrange
    const evil = '<script>alert(1)</script>\r\n\u202Egnp.exe\u202C';
    // act
    const credit = render(sampleOf(locale, 'credit_issued'), { credit: eur(9790), creditCode: evil });
    const parcel = render(sampleOf(locale, 'replacement_shipped'), { tracking: evil });
    const revoked = render(sampleOf(locale, 'cash_again'), { cash: eur(2750), revokedCode: evil });
    // assert
    for (const email of [credit, parcel, revoked]) {
      expect(email.html).not.toContain('<script>');
      expect(email.html).toContain('<bdi>&lt;script&gt;alert(1)&lt;/script&gt; gnp.exe</bdi>');
      expect(email.text).toContain('<script>alert(1)</script> gnp.exe');
      expect(email.text).not.toMatch(/[\u202a-\u202e\u2066-\u2069\r]/);
    }
  });
});

describe('decision-time emails say what is asked of the shop, not what is done', () => {
  const credited = (locale: EmailLocale) => [
    sampleOf(locale, 'store_credit'),
    sampleOf(locale, 'goodwill'),
    sampleOf(locale, 'cash_and_credit'),
    variantOf(locale, 'goodwill (apology credit)'),
    variantOf(locale, 'store_credit'),
    {
      ...sampleOf(locale, 'replacement'),
      args: {
        ...sampleOf(locale, 'replacement').args,
        decision: { ...(sampleOf(locale, 'replacement').args.decision as StoredDecision), storeCredit: eur(500), goodwill: eur(500) },
      },
    },
  ];

  it.each(['store_credit', 'goodwill', 'cash_and_credit', 'replacement'] as const)(
    'en %s: credit is being issued, with an email to follow, never already added',
    (cell) => {
      // arrange
      const sample = credited('en').find((s) => s.cell === cell)!;
      // act
      const email = render(sample);
      // assert
      expect(email.text).toMatch(/we are (also )?issuing €\d+\.\d\d of store credit for you/i);
      expect(email.text).toContain('We will email you as soon as it is ready to use');
      expect(email.text).not.toMatch(/\badded\b|to your account|have issued/i);
    },
  );

  it('en: no email of any kind at decision time says credit was added', () => {
    // arrange
    const decisionTime = [...emailSamples('en'), ...emailVariants('en')].filter(
      (s) => !(followUpKinds as readonly string[]).includes(s.kind),
    );
    // act
    const texts = decisionTime.map((s) => `${render(s).subject}\n${render(s).text}`);
    // assert
    for (const text of texts) expect(text).not.toMatch(/\badded\b|to your account/i);
  });

  it.each(emailLocales.filter((l) => l !== 'en'))('%s: no decision-time email speaks of an account in the shop', (locale) => {
    // arrange
    const instructions = sampleOf(locale, 'return_and_refund');
    const forCredit = { ...(instructions.args.decision as StoredDecision), cash: eur(0), storeCredit: eur(9399) };
    const decisionTime = [
      ...credited(locale),
      { ...instructions, args: { ...instructions.args, decision: forCredit } },
      { ...instructions, args: { ...instructions.args, decision: { ...forCredit, cash: eur(9399), storeCredit: eur(500) } } },
    ];
    // act
    const texts = decisionTime.map((s) => render(s).text);
    // assert
    for (const text of texts) expect(text).not.toMatch(/рахун|счёт|счет|konto/i);
  });

  it('en: the refund is made to the payment method of this order, not "today"', () => {
    // act
    const email = render(sampleOf('en', 'refund_without_return'));
    // assert
    expect(email.text).toContain('We are refunding €27.50 to the payment method you used for this order.');
    expect(email.text).not.toContain('today');
  });
});
