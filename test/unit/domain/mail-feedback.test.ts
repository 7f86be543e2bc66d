import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '#domain/errors.ts';
import { parseMailFeedback, suppresses } from '#domain/mail-feedback.ts';
import { addressKey, decodeTagValue, emailTagNames, emailTagsOf, encodeTagValue } from '#domain/mail-tags.ts';
import { bounceEvent, complaintEvent } from './mail-feedback-events.ts';

/**
 * How an email is named to SES (message tags within SES's alphabet), how a suppressed address is
 * keyed (a hash, never the address), and how an SES bounce or complaint event is read: every
 * malformed event is refused with the field named.
 */

describe('SES tag values', () => {
  it('encodes any ledger step into letters, digits, _ - . @ and back', () => {
    // arrange
    const steps = fc.string({ unit: 'grapheme', maxLength: 60 });

    // act / assert
    fc.assert(
      fc.property(steps, (step) => {
        const value = encodeTagValue(step);
        expect(value).toMatch(/^[A-Za-z0-9_\-.@]*$/);
        if (value.length > 0) expect(decodeTagValue(value)).toBe(step);
      }),
    );
    expect(encodeTagValue('email:outcome#2')).toBe('email.3Aoutcome.232');
    expect(encodeTagValue('a.b')).toBe('a.2Eb');
  });

  it('refuses a value that is no encoding of a step', () => {
    // act / assert
    expect(decodeTagValue('email.3')).toBeUndefined();
    expect(decodeTagValue('email.zz')).toBeUndefined();
    expect(decodeTagValue('has space')).toBeUndefined();
    expect(decodeTagValue('')).toBeUndefined();
  });

  it('tags an email with its claim and step, and leaves out a step too long for a tag', () => {
    // arrange
    const long = `email:followup-reminder#3:${'a'.repeat(250)}@example.com`;

    // act
    const tags = emailTagsOf('clm_1/email:outcome');
    const longTags = emailTagsOf(`clm_1/${long}`);

    // assert
    expect(tags).toEqual([
      { Name: 'makegood-claim', Value: 'clm_1' },
      { Name: 'makegood-step', Value: 'email.3Aoutcome' },
    ]);
    expect(longTags).toEqual([{ Name: 'makegood-claim', Value: 'clm_1' }]);
    expect(() => emailTagsOf('clm 1/x')).toThrow(/cannot be an SES tag value/);
  });
});

describe('addressKey', () => {
  it('keys an address by a hash of its trimmed lower-case form, never the address itself', () => {
    // act
    const key = addressKey(' Ann@Example.com ');

    // assert
    expect(key).toBe(addressKey('ann@example.com'));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('ann');
    expect(addressKey('bob@example.com')).not.toBe(key);
  });
});

describe('parseMailFeedback', () => {
  it('reads a permanent bounce: claim and step from the tags, the recipient and its SMTP status', () => {
    // act
    const feedback = parseMailFeedback(bounceEvent());

    // assert
    expect(feedback).toEqual({
      kind: 'bounce',
      claimId: 'clm_1',
      step: 'email:outcome',
      messageId: 'msg-1',
      feedbackId: 'fb-bounce-1',
      at: '2026-11-10T12:00:04.000Z',
      bounceType: 'Permanent',
      bounceSubType: 'General',
      recipients: [{ address: 'ann@example.com', status: '5.1.1' }],
    });
    expect(suppresses(feedback)).toBe(true);
  });

  it('does not suppress on a transient or undetermined bounce; does on a complaint', () => {
    // act / assert
    expect(suppresses(parseMailFeedback(bounceEvent({ bounceType: 'Transient' })))).toBe(false);
    expect(suppresses(parseMailFeedback(bounceEvent({ bounceType: 'Undetermined' })))).toBe(false);
    const complaint = parseMailFeedback(complaintEvent());
    expect(complaint).toMatchObject({ kind: 'complaint', claimId: 'clm_1', step: 'email:outcome', feedbackType: 'abuse' });
    expect(suppresses(complaint)).toBe(true);
  });

  it('refuses a malformed event, naming each field, and never quoting the address', () => {
    // arrange
    const noType = bounceEvent();
    (noType.detail.bounce as { bounceType?: string }).bounceType = undefined;
    const wrongKind = { ...bounceEvent(), 'detail-type': 'Email Delivered' };

    // act
    const refusal = (event: unknown) => {
      try {
        parseMailFeedback(event);
      } catch (err) {
        return err as InvalidRequestError;
      }
      throw new Error('accepted');
    };

    // assert
    const missing = refusal(noType);
    expect(missing).toBeInstanceOf(InvalidRequestError);
    expect(missing.message).toMatch(/detail\.bounce\.bounceType/);
    expect(missing.message).not.toContain('ann@example.com');
    expect(refusal(wrongKind).message).toMatch(/detail-type/);
    expect(refusal('not an event').message).toMatch(/Not an SES bounce or complaint event/);
    expect(refusal(bounceEvent({ bounceType: 'Soft' })).issues.map((i) => i.path)).toEqual(['detail.bounce.bounceType']);
  });

  it('refuses an event about no makegood email: no claim tag, or a step tag it did not encode', () => {
    // arrange
    const untagged = bounceEvent({ tags: { 'ses:configuration-set': ['makegood-mail'] } });
    const badStep = bounceEvent({ tags: { [emailTagNames.claim]: ['clm_1'], [emailTagNames.step]: ['email.zz'] } });

    // act / assert
    expect(() => parseMailFeedback(untagged)).toThrow(/detail\.mail\.tags\.makegood-claim: the email carries no makegood claim id/);
    expect(() => parseMailFeedback(badStep)).toThrow(/detail\.mail\.tags\.makegood-step: not a ledger step/);
  });
});
