import { describe, expect, it } from 'vitest';
import { customerEmail } from '#domain/email.ts';
import { type EmailOverrides, parseEmailOverrides, tokenize } from '#domain/email-templates.ts';
import { InvalidRequestError } from '#domain/errors.ts';
import { emailSamples } from '#local/email-preview.ts';

/** The issues an invalid override is refused with. */
function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseEmailOverrides(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    return [...(err as InvalidRequestError).issues];
  }
  throw new Error('the override was accepted');
}

describe('the placeholder syntax', () => {
  it('splits text and placeholders, with doubled braces as literal braces', () => {
    // act / assert
    expect(tokenize('Refund {cash} {{not a placeholder}}')).toEqual([
      { literal: 'Refund ' },
      { placeholder: 'cash' },
      { literal: ' {not a placeholder}' },
    ]);
  });

  it.each(['Refund {cash', 'Refund }', 'Refund {cash amount}', 'Refund {}'])('refuses %j', (text) => {
    // act / assert
    expect(() => tokenize(text)).toThrow(RangeError);
  });
});

describe('a shop overriding the wording', () => {
  it('changes the subject and body of one cell in one locale, and keeps the rest', () => {
    // arrange
    const overrides = parseEmailOverrides({
      uk: {
        rejection: {
          subject: 'Ваше звернення {order}',
          body: ['Нам шкода, але ні. {reason}', '{alternative}', { if: 'fault', text: '{apology}' }],
        },
        greeting: 'Привіт, {name}!',
      },
    });
    const uk = emailSamples('uk').find((s) => s.cell === 'rejection')!;
    const en = emailSamples('en').find((s) => s.cell === 'rejection')!;
    // act
    const changed = customerEmail(uk.kind, { ...uk.args, overrides });
    const untouched = customerEmail(en.kind, { ...en.args, overrides });
    // assert
    expect(changed.subject).toBe('Ваше звернення ORD-1001');
    expect(changed.text).toContain('Привіт, Ann!');
    expect(changed.text).toContain('Нам шкода, але ні. Ці товари продавалися без права повернення');
    expect(untouched.subject).toBe('About your claim for order ORD-1001');
  });

  it('escapes markup written in an override', () => {
    // arrange
    const overrides = parseEmailOverrides({ en: { rejection: { body: ['<b>No</b> <script>x</script> {reason}', '{alternative}'] } } });
    const sample = emailSamples('en').find((s) => s.cell === 'rejection')!;
    // act
    const email = customerEmail(sample.kind, { ...sample.args, overrides });
    // assert
    expect(email.html).toContain('&lt;b&gt;No&lt;/b&gt;');
    expect(email.html).not.toContain('<script>');
  });

  it('names an unknown placeholder by its path', () => {
    // act
    const issues = issuesOf({ uk: { rejection: { body: ['{reason}', '{alternative} {amount}'] } } });
    // assert
    expect(issues).toEqual([{ path: 'uk.rejection.body[1]', message: expect.stringContaining('unknown placeholder {amount}') }]);
  });

  it('requires the amount in a refund email', () => {
    // act
    const issues = issuesOf({ en: { refund_without_return: { body: ['We are refunding you.'] } } });
    // assert
    expect(issues).toEqual([{ path: 'en.refund_without_return.body', message: 'must use {cash} in a part that always shows' }]);
  });

  it('requires the reason and the alternative in a rejection', () => {
    // act
    const issues = issuesOf({ ru: { rejection: { body: ['Нет.'] } } });
    // assert
    expect(issues.map((i) => i.message)).toEqual([
      'must use {reason} in a part that always shows',
      'must use {alternative} in a part that always shows',
    ]);
  });

  it('refuses a bonus promised where the decision may grant none', () => {
    // act
    const unguarded = issuesOf({ eo: { store_credit: { body: ['{credit}, kun {bonus} donace.'] } } });
    const guarded = parseEmailOverrides({ eo: { store_credit: { body: ['{credit}.', { if: 'bonus', text: 'Donaco: {bonus}.' }] } } });
    // assert
    expect(unguarded).toEqual([{ path: 'eo.store_credit.body[0]', message: expect.stringContaining('"if": "bonus"') }]);
    expect(guarded.eo?.store_credit?.body).toHaveLength(2);
  });

  it('requires the return address, where it is known, in return instructions', () => {
    // act
    const missing = issuesOf({ en: { return_and_refund: { body: ['Send {items} within {sendBackDays}, with {claimId} inside.'] } } });
    const hedged = issuesOf({
      en: {
        return_and_refund: {
          body: [
            'Send {items} within {sendBackDays}, with {claimId} inside.',
            { if: ['returnAddress', 'cash'], text: 'To: {returnAddress}' },
          ],
        },
      },
    });
    // assert
    for (const issues of [missing, hedged]) {
      expect(issues).toEqual([
        {
          path: 'en.return_and_refund.body',
          message:
            'must use {returnAddress} in a part with "if": "returnAddress" and no other condition, so that it shows whenever it is known',
        },
      ]);
    }
  });

  it('renders an overridden return instruction with the address on its lines', () => {
    // arrange
    const overrides = parseEmailOverrides({
      uk: {
        return_and_refund: {
          body: [
            'Надішліть {items} протягом терміну ({sendBackDays}), номер {claimId}.',
            { if: 'returnAddress', text: 'Куди:\n{returnAddress}' },
            { if: '!returnAddress', text: 'Напишіть нам, і ми дамо адресу.' },
            { if: 'shopPaysPostage', text: 'Пересилання за наш рахунок.' },
          ],
        },
      },
    });
    const sample = emailSamples('uk').find((s) => s.cell === 'return_and_refund')!;
    // act
    const email = customerEmail(sample.kind, { ...sample.args, overrides, returnAddress: 'Склад 1\nКиїв <b>' });
    // assert
    expect(email.text).toContain('Куди:\nСклад 1\nКиїв <b>\n');
    expect(email.text).toContain('Пересилання за наш рахунок.');
    expect(email.text).not.toContain('Напишіть нам');
    expect(email.html).toContain('Куди:<br><bdi>Склад 1</bdi><br><bdi>Київ &lt;b&gt;</bdi>');
  });

  it.each([
    ['return_and_refund', '{returnAddress}', 'returnAddress'],
    ['refund_after_return', '{kept}', 'kept'],
    ['store_credit', '{refundCredit}', 'refundCredit'],
    ['store_credit', '{awaitedItems}', 'awaited'],
    ['return_not_received', '{missingItems}', 'missing'],
    ['return_not_received', '{refundedPart}', 'refundedPart'],
    ['credit_issued', '{creditCode}', 'creditCode'],
    ['replacement_shipped', '{tracking}', 'tracking'],
    ['payout_failed', '{bonus}', 'bonus'],
    ['cash_again', '{revokedCode}', 'revokedCode'],
  ] as const)('refuses %s using %s where its fact may not hold', (cell, placeholder, guard) => {
    // arrange
    const required = {
      return_and_refund: ' {items} {sendBackDays} {claimId}',
      refund_after_return: ' {cash}',
      store_credit: ' {credit}',
      credit_issued: ' {credit}',
      replacement_shipped: ' {items}',
      payout_failed: ' {cash} {credit}',
      cash_again: ' {cash}',
    } as Record<string, string>;
    const text = `${placeholder}${required[cell] ?? ''}`;
    // act
    const issues = issuesOf({ en: { [cell]: { body: [text, { if: guard, text: placeholder }] } } });
    const guarded = parseEmailOverrides({ en: { [cell]: { body: [required[cell] ?? 'x', { if: guard, text: placeholder }] } } });
    // assert
    expect(issues).toEqual([{ path: `en.${cell}.body[0]`, message: expect.stringContaining(`"if": "${guard}"`) }]);
    expect(guarded.en?.[cell]?.body).toHaveLength(2);
  });

  it('requires a follow-up to show the code and the tracking whenever the shop gave them', () => {
    // act
    const noCode = issuesOf({ en: { credit_issued: { body: ['Your {credit} is ready.'] } } });
    const noTracking = issuesOf({ en: { replacement_shipped: { body: ['{items} shipped.'] } } });
    // assert
    expect(noCode).toEqual([
      {
        path: 'en.credit_issued.body',
        message: 'must use {creditCode} in a part with "if": "creditCode" and no other condition, so that it shows whenever it is known',
      },
    ]);
    expect(noTracking).toEqual([{ path: 'en.replacement_shipped.body', message: expect.stringContaining('{tracking}') }]);
  });

  it('renders an overridden follow-up with the code the shop gave', () => {
    // arrange
    const overrides = parseEmailOverrides({
      en: { credit_issued: { body: ['Your {credit} credit is ready.', { if: 'creditCode', text: 'Code: {creditCode}' }] } },
    });
    const sample = emailSamples('en').find((s) => s.cell === 'credit_issued')!;
    // act
    const email = customerEmail(sample.kind, { ...sample.args, overrides });
    // assert
    expect(email.text).toContain('Your €97.90 credit is ready.');
    expect(email.text).toContain('Code: MG-7QM2-X9KD');
  });

  it('refuses a placeholder a cell has no use for', () => {
    // act
    const issues = issuesOf({
      en: { rejection: { body: ['{reason}', '{alternative}', { if: 'returnAddress', text: '{returnAddress}' }] } },
    });
    // assert
    expect(issues).toEqual([
      { path: 'en.rejection.body[2].text', message: expect.stringContaining('unknown placeholder {returnAddress}') },
    ]);
  });

  it('refuses an unknown locale, cell, condition or field, by path', () => {
    // act
    const issues = issuesOf({
      de: {},
      en: { refund_later: { subject: 'x' }, rejection: { body: [{ if: 'rich', text: '{reason}' }], footer: 'x' } },
    });
    // assert
    expect(issues.map((i) => i.path).sort()).toEqual(['(root)', 'en', 'en.rejection', 'en.rejection.body[0].if'].sort());
    expect(issues.map((i) => i.message)).toContain('Unrecognized key: "de"');
  });

  it('names a stray brace in a subject', () => {
    // act
    const issues = issuesOf({ en: { goodwill: { subject: 'A gift {credit for you' } } });
    // assert
    expect(issues).toEqual([{ path: 'en.goodwill.subject', message: expect.stringContaining('does not start a placeholder') }]);
  });

  it('ignores a stored override that no longer validates, so the customer still hears the outcome', () => {
    // arrange
    const broken = { en: { rejection: { body: ['{nope}'] } } } as unknown as EmailOverrides;
    const sample = emailSamples('en').find((s) => s.cell === 'rejection')!;
    // act
    const email = customerEmail(sample.kind, { ...sample.args, overrides: broken });
    // assert
    expect(email.subject).toBe('About your claim for order ORD-1001');
  });
});
