import { describe, expect, it } from 'vitest';
import { builtInWording, customerEmail, emailLocale, formatDate } from '#domain/email.ts';
import { type EmailLocale, emailLocales } from '#domain/email-templates.ts';
import { emailSamples, emailVariants, FOLLOW_UP_BY } from '#local/email-preview.ts';

/**
 * The words by which each locale tells a customer that a person will get in touch with them of
 * their own accord (not in answer to a reply). Every email that says so must create a follow-up
 * task (`promise` set), and every email that creates one must say so.
 */
const promisesAPerson: Record<EmailLocale, RegExp> = {
  en: /will get in touch with you/,
  uk: /зв’яжеться з вами/,
  ru: /свяжется с вами/,
  eo: /kontaktos vin/,
};

/** The cells (and alternatives) whose words promise a person, and the reason of the task each opens. */
const promising = {
  'rejection with alternative-contact': 'offer_alternative',
  'rejection with alternative-repair': 'arrange_repair',
  more_time: 'decide_claim',
  apology: 'review_feedback',
} as const;

const all = emailLocales.flatMap((locale) =>
  [...emailSamples(locale), ...emailVariants(locale)].map((sample) => ({
    locale,
    sample,
    name: 'label' in sample ? (sample as { label: string }).label : sample.cell,
  })),
);

function promiseOf(sample: (typeof all)[number]['sample']): string {
  if (sample.cell === 'rejection') return `rejection with ${sample.args.decision?.alternative?.id ?? 'alternative-contact'}`;
  return sample.cell;
}

describe('emails that promise a person', () => {
  it.each(all.map((a) => [a.locale, a.name, a]))(
    '%s %s: says a person will get in touch exactly when it opens a follow-up',
    (_l, _n, { locale, sample }) => {
      // act
      const email = customerEmail(sample.kind, sample.args);
      const says = promisesAPerson[locale].test(email.text);
      // assert
      expect(email.promise !== undefined).toBe(says);
      expect(email.promise).toBe((promising as Record<string, string>)[promiseOf(sample)]);
    },
  );

  it('lists every promising cell, and the samples reach each of them in every locale', () => {
    // act
    const reached = new Set(all.map((a) => customerEmail(a.sample.kind, a.sample.args).promise).filter((p) => p !== undefined));
    // assert
    expect([...reached].sort()).toEqual(Object.values(promising).sort());
  });

  it.each(emailLocales)('%s: a promising email names the follow-up’s due date, and no other email does', (locale) => {
    // arrange
    const { intl } = emailLocale(locale);
    const wording = builtInWording[locale];
    const sentence = wording.followUpBy.replace('{followUpBy}', formatDate(FOLLOW_UP_BY, intl, wording.datePattern) ?? '');
    const samples = [...emailSamples(locale), ...emailVariants(locale)];
    // act
    const emails = samples.map((s) => customerEmail(s.kind, s.args));
    // assert
    for (const e of emails) expect(e.text.includes(sentence.replace(/\.$/, ''))).toBe(e.promise !== undefined);
  });
});
