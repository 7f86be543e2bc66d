import { describe, expect, it } from 'vitest';
import { approvalRequestEmail } from '#domain/approval-email.ts';
import { parseClaimRequest } from '#domain/claim.ts';
import { followUpReminderEmail, loginEmail } from '#domain/console-email.ts';
import { customerEmail } from '#domain/email.ts';
import type { StoredDecision } from '#domain/ledger.ts';
import { plainText } from '#domain/text.ts';
import { claimBody, claimOf, type Doc } from './fixtures.ts';

/**
 * Values from outside (an order id, a customer's name, a shop's name) in what a person reads:
 * every email passes them through one sanitiser, `plainText`, and the intake refuses ids that
 * carry control, invisible or reordering characters at the door.
 */

/** CR/LF (a header or paragraph of one's own), NUL, BEL, a right-to-left override, a BOM and a lone surrogate. */
const HOSTILE = 'ORD-1\r\nBcc: victim@example.com\u0000\u0007\u202egpj.exe\ufeff\ud800';
/** Whether an email's part holds what no hostile value may bring in: a control (but the part's own line breaks), a reordering mark, a BOM or a lone surrogate. */
const unsafe = (part: string) => /[\p{Cc}\p{Cs}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u.test(part.replaceAll('\n', ''));
const SAFE = 'ORD-1 Bcc: victim@example.com gpj.exe\ufffd';

const decision: StoredDecision = {
  outcome: 'refund_without_return',
  cash: { amount: 9399, currency: 'EUR' },
  storeCredit: { amount: 0, currency: 'EUR' },
  goodwill: { amount: 0, currency: 'EUR' },
  returnRequired: false,
  tier: 'agent',
  policyVersion: 1,
  rules: [],
  units: [],
};

/** A claim that passed the intake before ids were checked, or whose id came another way. */
function hostileClaim() {
  const claim = claimOf({ items: [{ sku: 'KETTLE-1', category: 'appliances', unitPrice: 8900 }], reason: 'defective' });
  return { ...claim, order: { ...claim.order, id: HOSTILE }, customer: { ...claim.customer, name: `Ann\r\nX-Evil: 1\u202e` } };
}

/** The lines of a text body, so a test sees whether a value started one of its own. */
const lines = (text: string) => text.split('\n');

describe('plainText, the one sanitiser of outside values in emails', () => {
  it('turns controls into spaces, drops reordering marks and the BOM, replaces a lone surrogate and collapses whitespace', () => {
    // act / assert
    expect(plainText(HOSTILE)).toBe(SAFE);
    expect(plainText(' a\u2028b\u2029c\t\td ')).toBe('a b c d');
    expect(plainText('Ганна 👩‍👩‍👧 شركة')).toBe('Ганна 👩‍👩‍👧 شركة');
  });
});

describe('the approver’s email', () => {
  const email = (reminder: boolean) =>
    approvalRequestEmail({
      claim: hostileClaim(),
      decision,
      claimId: 'clm_1',
      role: 'agent',
      link: 'https://api.demo.test/approvals/v2.x',
      expiresAt: new Date('2026-11-25T12:00:00Z'),
      shopName: 'Demo\r\nshop\u202e',
      reminder,
    });

  it.each([false, true])(
    'shows a hostile order id, name and shop name as plain text in the subject, text and HTML (reminder: %s)',
    (reminder) => {
      // act
      const mail = email(reminder);

      // assert
      expect(unsafe(mail.subject)).toBe(false);
      expect(mail.subject).toContain(`for order ${SAFE}`);
      expect(unsafe(mail.text)).toBe(false);
      expect(unsafe(mail.html)).toBe(false);
      expect(lines(mail.text).some((l) => l.startsWith('Bcc:') || l.startsWith('X-Evil:') || l.startsWith('shop'))).toBe(false);
      expect(mail.text).toContain(`Order: ${SAFE}`);
      expect(mail.text).toContain('Customer: Ann X-Evil: 1 <');
      expect(mail.text).toContain('claim at Demo shop');
    },
  );

  it('reads the same as the customer’s email for the same order id', () => {
    // act
    const approver = email(false);
    const customer = customerEmail('outcome', { claim: hostileClaim(), decision, claimId: 'clm_1', shopName: 'Demo' });

    // assert
    expect(customer.subject).toContain(SAFE);
    expect(approver.subject).toContain(SAFE);
  });
});

describe('the agent console’s emails', () => {
  it('shows a hostile order id and shop name as plain text in the follow-up reminder', () => {
    // act
    const mail = followUpReminderEmail({
      shopName: 'Demo\nshop',
      orderId: HOSTILE,
      reason: 'offer_alternative',
      due: '2026-11-25T12:00:00Z',
      dueText: '25 Nov 2026, 12:00 UTC',
      link: 'https://api.demo.test/console/claims/clm_1',
    });

    // assert
    expect(mail.subject).toBe(`Follow-up due 25 Nov 2026, 12:00 UTC: order ${SAFE}`);
    expect(unsafe(mail.text)).toBe(false);
    expect(unsafe(mail.html)).toBe(false);
    expect(lines(mail.text).some((l) => l.startsWith('Bcc:') || l.startsWith('shop'))).toBe(false);
  });

  it('shows a hostile shop name as plain text in the sign-in email', () => {
    // act
    const mail = loginEmail('Demo\r\nBcc: x@y\u202e', 'https://api.demo.test/console/login/l1.x', 15);

    // assert
    expect(mail.subject).toBe('Your sign-in link to the Demo Bcc: x@y agent console');
    expect(unsafe(mail.text)).toBe(false);
    expect(unsafe(mail.html)).toBe(false);
  });
});

describe('the intake refuses ids with control, invisible or reordering characters', () => {
  const body = () => claimBody({ items: [{ sku: 'KETTLE-1', category: 'appliances', unitPrice: 8900 }], reason: 'defective' });
  const refusedAt = (edit: (b: Doc) => void): string[] => {
    const b = body();
    edit(b);
    try {
      parseClaimRequest(b);
      return [];
    } catch (err) {
      return ((err as { issues: { path: string; message: string }[] }).issues ?? []).map((i) => `${i.path}: ${i.message}`);
    }
  };
  const message = 'must be printable: no control, invisible or reordering characters, and no line breaks';

  it.each([
    ['a CR/LF in the order id', (b: Doc) => (b.order.id = 'ORD-1\r\nBcc: x'), 'order.id'],
    ['a NUL in the order id', (b: Doc) => (b.order.id = 'ORD\u00001'), 'order.id'],
    ['a BEL in the customer id', (b: Doc) => (b.customer.id = 'C\u00071'), 'customer.id'],
    ['a right-to-left override in the order id', (b: Doc) => (b.order.id = 'ORD-\u202e1001'), 'order.id'],
    ['a zero-width space in a sku', (b: Doc) => (b.order.items[0].sku = 'KETTLE\u200b-1'), 'order.items[0].sku'],
    ['a lone surrogate in a category', (b: Doc) => (b.order.items[0].category = 'app\ud800'), 'order.items[0].category'],
    ['a line separator in the order id', (b: Doc) => (b.order.id = 'ORD\u20281'), 'order.id'],
  ])('refuses %s, naming the field', (_what, edit, path) => {
    // act
    const issues = refusedAt(edit);

    // assert
    expect(issues).toContain(`${path}: ${message}`);
  });

  it('accepts ids in any script, with spaces and punctuation', () => {
    // act
    const issues = refusedAt((b) => {
      b.order.id = 'ЗАМ 1001/٢٠٢٦ #7';
      b.customer.id = 'клієнт-42';
    });

    // assert
    expect(issues).toEqual([]);
  });
});
