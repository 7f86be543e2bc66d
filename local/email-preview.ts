import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClaimRequest, Reason } from '#domain/claim.ts';
import type { Outcome } from '#domain/decide.ts';
import { type CustomerEmailArgs, type CustomerEmailKind, cameBack, customerEmail, type EmailContent, emailCell } from '#domain/email.ts';
import { type EmailCell, type EmailLocale, emailCells, emailLocales } from '#domain/email-templates.ts';
import type { StoredDecision } from '#domain/ledger.ts';
import { html, raw, render } from '#views/html.ts';

/** One sample claim step for a cell of the wording: what the preview shows and the tests render. */
export interface EmailSample {
  readonly cell: EmailCell;
  readonly kind: CustomerEmailKind;
  readonly args: CustomerEmailArgs;
}

/** A name built to break careless HTML: markup, an image with a handler, a right-to-left override, emoji, 300 characters. */
export const HOSTILE_NAME = `<script>alert(1)</script><img src=x onerror=alert(2)>\u202Egnp.exe\u202C 🙂👩‍👩‍👧 ${'Ж'.repeat(300)}`.slice(
  0,
  300,
);

const euro = (amount: number) => ({ amount, currency: 'EUR' });

const kettle = { sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 };
const cups = { sku: 'CUP-2', name: 'Tea cup', category: 'kitchen', quantity: 2, unitPrice: 1250 };

function claimOf(
  locale: string,
  reason: Reason,
  desired: ClaimRequest['complaint']['desiredOutcome'],
  name = 'Ann',
  lines: ClaimRequest['order']['items'] = [kettle],
): ClaimRequest {
  return {
    order: {
      id: 'ORD-1001',
      placedAt: '2026-11-01T10:00:00Z',
      deliveredAt: '2026-11-03T10:00:00Z',
      currency: 'EUR',
      paid: lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0) + 499,
      shipping: 499,
      items: lines.map((l) => ({ ...l })),
    },
    customer: { id: 'C-42', email: 'ann@example.com', name, locale },
    complaint: {
      reason,
      items: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      desiredOutcome: desired,
      message: 'It stopped working.',
      channel: 'web',
      evidence: [],
    },
  };
}

function decisionOf(outcome: Outcome, amounts: { cash?: number; credit?: number; goodwill?: number }, more: Partial<StoredDecision> = {}) {
  return {
    outcome,
    cash: euro(amounts.cash ?? 0),
    storeCredit: euro(amounts.credit ?? 0),
    goodwill: euro(amounts.goodwill ?? 0),
    returnRequired: false,
    tier: 'auto',
    policyVersion: 1,
    rules: [],
    units: [],
    ...more,
  } as StoredDecision;
}

const rule = (id: string, text = id) => ({ id, text });
const deadline = '2026-12-23T12:00:00Z';

/** The demo storefront's return address, as its settings hold it (several lines). */
export const RETURN_ADDRESS = 'Demo Shop Returns\nUnit 4, Harbour Road\nDublin D02 X285\nIreland';

/** The code a storefront reports for the demo's store credit. */
export const CREDIT_CODE = 'MG-7QM2-X9KD';
/** The tracking number a storefront reports for the demo's replacement parcel. */
export const TRACKING = 'JJD000390007788';
/** The customer's status page as every sample links it. */
export const STATUS_URL = 'https://makegood.example/c/s1.sample-status-link';
/** When a sample's promised follow-up is due (shown only by the emails that promise a person). */
export const FOLLOW_UP_BY = '2026-12-04T12:00:00.000Z';

/** The demo's store-credit decision: the kettle's €89.00 plus the 10 % bonus for choosing credit. */
const creditDecision = () =>
  decisionOf(
    'store_credit',
    { credit: 9790, goodwill: 890 },
    { returnRequired: true, rules: [rule('store-credit-bonus', 'Choosing store credit over cash adds a 10 % bonus of €8.90')] },
  );

/** One sample per cell in `locale`, each from a claim and decision like the ones the policy makes. */
export function emailSamples(locale: EmailLocale | string, name = 'Ann'): EmailSample[] {
  const base = { shopName: 'Demo Shop', claimId: 'clm_7Qm2x9', statusUrl: STATUS_URL, followUpBy: FOLLOW_UP_BY };
  const c = (reason: Reason, desired: ClaimRequest['complaint']['desiredOutcome'] = 'refund') => claimOf(locale, reason, desired, name);
  const returnAndRefund = decisionOf('return_and_refund', { cash: 9399 }, { returnRequired: true });
  const refund = decisionOf('refund_without_return', { cash: 2750 });
  const samples: Array<Omit<EmailSample, 'cell'>> = [
    { kind: 'outcome', args: { ...base, claim: c('damaged'), decision: decisionOf('refund_without_return', { cash: 2750 }) } },
    {
      kind: 'return_instructions',
      args: {
        ...base,
        claim: c('defective'),
        decision: returnAndRefund,
        sendBackDays: 30,
        deadline,
        returnAddress: RETURN_ADDRESS,
        postagePaidBy: 'shop',
      },
    },
    {
      // A change of mind whose kettle came back used: 10 % of its €89.00 kept, graded automatically.
      kind: 'outcome',
      args: {
        ...base,
        claim: c('changed_mind', 'return'),
        decision: decisionOf(
          'return_and_refund',
          { cash: 8010 },
          {
            rules: [
              rule('return-graded', '1 × Electric kettle arrived used: 10 % (€8.90) is kept for a change of mind, €80.10 is refunded'),
            ],
          },
        ),
        graded: { kept: euro(890) },
      },
    },
    { kind: 'outcome', args: { ...base, claim: c('wrong_item', 'replacement'), decision: decisionOf('replacement', {}) } },
    {
      kind: 'outcome',
      args: { ...base, claim: c('changed_mind', 'store_credit'), decision: creditDecision() },
    },
    {
      kind: 'outcome',
      args: {
        ...base,
        claim: c('late_delivery'),
        decision: decisionOf(
          'goodwill',
          { credit: 940, goodwill: 940 },
          { orderGoodwill: 'late_delivery', rules: [rule('goodwill-late-delivery')] },
        ),
      },
    },
    { kind: 'outcome', args: { ...base, claim: c('not_as_described', 'apology'), decision: decisionOf('goodwill', {}) } },
    {
      kind: 'outcome',
      args: {
        ...base,
        claim: c('damaged'),
        decision: decisionOf(
          'refund_without_return',
          { cash: 2750, credit: 500, goodwill: 500 },
          { rules: [rule('apology-credit', 'The shop was at fault: an apology credit of €5.00 is added')] },
        ),
      },
    },
    {
      kind: 'outcome',
      args: {
        ...base,
        claim: c('changed_mind'),
        decision: decisionOf(
          'rejected',
          {},
          {
            rules: [
              { id: 'final-sale', text: 'Electric kettle (custom) is final sale; only a defect, a wrong item qualify' },
              { id: 'alternative-contact', text: 'A person from the shop will contact the customer to find another way to help' },
            ],
            alternative: {
              id: 'alternative-contact',
              text: 'A person from the shop will contact the customer to find another way to help',
            },
          },
        ),
      },
    },
    { kind: 'needs_more_time', args: { ...base, claim: c('defective'), decision: returnAndRefund } },
    {
      // The kettle waits for the agent: the customer hears who decides and by when (the three tiers' 48 hours each).
      kind: 'acknowledged',
      args: { ...base, claim: c('defective'), decision: returnAndRefund, decider: 'agent', decideBy: '2026-12-08T12:00:00.000Z' },
    },
    {
      kind: 'return_not_received',
      args: {
        ...base,
        claim: c('defective'),
        decision: returnAndRefund,
        deadline,
        missingItems: [{ name: 'Electric kettle', quantity: 1 }],
      },
    },
    // The shop's answers to the actions, and what follows them.
    {
      kind: 'credit_issued',
      args: {
        ...base,
        claim: c('changed_mind', 'store_credit'),
        decision: creditDecision(),
        followUp: { credit: euro(9790), creditCode: CREDIT_CODE },
      },
    },
    {
      kind: 'replacement_shipped',
      args: {
        ...base,
        claim: c('wrong_item', 'replacement'),
        decision: decisionOf('replacement', {}),
        followUp: { items: [{ name: 'Electric kettle', quantity: 1 }], tracking: TRACKING },
      },
    },
    {
      // The €27.50 refund failed: the demo policy's recovery gives it as store credit with a 10 % bonus.
      kind: 'payout_failed',
      args: {
        ...base,
        claim: c('damaged'),
        decision: refund,
        followUp: { cash: euro(2750), credit: euro(3025), bonus: euro(275), cashOnRequest: true },
      },
    },
    {
      kind: 'cash_again',
      args: { ...base, claim: c('damaged'), decision: refund, followUp: { cash: euro(2750), revokedCode: CREDIT_CODE } },
    },
  ];
  return samples.map((s) => ({
    ...s,
    cell: emailCell(s.kind, s.args.decision, s.kind === 'outcome' && cameBack(s.args.decision, s.args.graded)),
  }));
}

/** A sample of a cell with other facts than {@link emailSamples} gives it, named for the preview. */
export interface EmailVariant extends EmailSample {
  readonly label: string;
}

/**
 * The same cells with the other facts they can carry: no return address and the customer paying
 * the postage, part of a return refunded and part still awaited or never arrived, an apology credit;
 * and the follow-ups without a code or tracking, with a tracking link, a failed refund without a
 * bonus or a way back to the cash, and the cash asked for before the credit was issued.
 */
export function emailVariants(locale: EmailLocale | string, name = 'Ann'): EmailVariant[] {
  const base = { shopName: 'Demo Shop', claimId: 'clm_7Qm2x9', statusUrl: STATUS_URL, followUpBy: FOLLOW_UP_BY };
  const both = claimOf(locale, 'changed_mind', 'refund', name, [kettle, cups]);
  const authorised = decisionOf(
    'return_and_refund',
    { cash: 11400 },
    {
      returnRequired: true,
      units: [
        { sku: 'KETTLE-1', quantity: 1 },
        { sku: 'CUP-2', quantity: 2 },
      ],
    },
  );
  const credit = claimOf(locale, 'changed_mind', 'store_credit', name, [kettle, cups]);
  const variants: Array<Omit<EmailVariant, 'cell'>> = [
    {
      label: 'return_and_refund (no address, customer pays)',
      kind: 'return_instructions',
      args: {
        ...base,
        claim: both,
        decision: authorised,
        sendBackDays: 14,
        deadline,
        postagePaidBy: 'customer',
        conditionDeductions: true,
      },
    },
    {
      label: 'store_credit (kettle back, cups awaited)',
      kind: 'outcome',
      args: {
        ...base,
        claim: credit,
        decision: decisionOf(
          'store_credit',
          { credit: 9790, goodwill: 890 },
          {
            units: [{ sku: 'KETTLE-1', quantity: 1 }],
            rules: [rule('return-graded'), rule('store-credit-bonus', 'Choosing store credit over cash adds a 10 % bonus of €8.90')],
          },
        ),
        graded: { kept: euro(0) },
        awaitedItems: [{ name: 'Tea cup', quantity: 2 }],
        deadline,
      },
    },
    {
      label: 'return_not_received (part refunded)',
      kind: 'return_not_received',
      args: {
        ...base,
        claim: both,
        decision: authorised,
        deadline,
        missingItems: [{ name: 'Tea cup', quantity: 2 }],
        refundedPart: euro(8900),
      },
    },
    {
      label: 'goodwill (apology credit)',
      kind: 'outcome',
      args: {
        ...base,
        claim: claimOf(locale, 'damaged', 'apology', name),
        decision: decisionOf('goodwill', { credit: 500, goodwill: 500 }, { rules: [rule('apology-credit')] }),
      },
    },
    {
      label: 'refund_without_return (a note from the approver, with markup that must stay text)',
      kind: 'outcome',
      args: {
        ...base,
        claim: claimOf(locale, 'damaged', 'refund', name),
        decision: decisionOf('refund_without_return', { cash: 6000 }, { rules: [rule('approval-tier')] }),
        note: 'We checked your photo: two boxes were crushed <b>badly</b>, so we refund them in full.',
      },
    },
    {
      label: 'rejection (alternative-repair: a person arranges a repair)',
      kind: 'outcome',
      args: {
        ...base,
        claim: claimOf(locale, 'defective', 'refund', name),
        decision: decisionOf(
          'rejected',
          {},
          {
            rules: [rule('return-window', 'Lamp is outside the 30-day return window'), rule('alternative-repair')],
            alternative: { id: 'alternative-repair', text: 'A repair under the legal guarantee' },
          },
        ),
      },
    },
    {
      label: 'credit_issued (no code)',
      kind: 'credit_issued',
      args: { ...base, claim: credit, decision: creditDecision(), followUp: { credit: euro(9790) } },
    },
    {
      label: 'replacement_shipped (tracking link)',
      kind: 'replacement_shipped',
      args: {
        ...base,
        claim: both,
        decision: decisionOf('replacement', {}, { units: [{ sku: 'CUP-2', quantity: 2 }] }),
        followUp: { items: [{ name: 'Tea cup', quantity: 2 }], tracking: `https://tracking.example/parcel/${TRACKING}` },
      },
    },
    {
      label: 'replacement_shipped (no tracking)',
      kind: 'replacement_shipped',
      args: {
        ...base,
        claim: claimOf(locale, 'defective', 'replacement', name),
        decision: decisionOf('replacement', {}),
        followUp: { items: [{ name: 'Electric kettle', quantity: 1 }] },
      },
    },
    {
      label: 'payout_failed (no bonus, no cash on request)',
      kind: 'payout_failed',
      args: {
        ...base,
        claim: both,
        decision: authorised,
        followUp: { cash: euro(11400), credit: euro(11400) },
      },
    },
    {
      label: 'cash_again (credit not issued yet)',
      kind: 'cash_again',
      args: { ...base, claim: both, decision: authorised, followUp: { cash: euro(11400) } },
    },
  ];
  return variants.map((v) => ({
    ...v,
    cell: emailCell(v.kind, v.args.decision, v.kind === 'outcome' && cameBack(v.args.decision, v.args.graded)),
  }));
}

/** Every locale × cell rendered, in the order of {@link emailLocales} and {@link emailCells}. */
export function emailMatrix(): Array<{ locale: EmailLocale; cell: EmailCell; email: EmailContent }> {
  return emailLocales.flatMap((locale) =>
    emailSamples(locale).map((s) => ({ locale, cell: s.cell, email: customerEmail(s.kind, s.args) })),
  );
}

/**
 * The index page's only script: each frame grows to its email's height. The frames may not run
 * scripts of their own (sandboxed without allow-scripts); same origin only lets this page measure them.
 */
const fitFrames =
  "for(const f of document.querySelectorAll('iframe')){const fit=()=>{const d=f.contentDocument;if(d&&d.body)f.style.height=(d.documentElement.scrollHeight+2)+'px'};f.addEventListener('load',fit);fit()}";

const label: Record<EmailLocale, string> = { en: 'English', uk: 'Українська', ru: 'Русский', eo: 'Esperanto' };

/**
 * Writes every locale × cell email to `dir` as `<locale>-<cell>.html` (plus `.txt` for the plain
 * part) and an `index.html` that shows them side by side, one row per cell, each email in a
 * sandboxed frame. Then a row per {@link emailVariants} entry, and a last row for the rejection
 * for a hostile customer name.
 */
export async function writeEmailPreview(dir: string): Promise<{ index: string; files: string[] }> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const byCell = new Map<string, Array<{ locale: EmailLocale; email: EmailContent; file: string }>>();
  const rows: Array<[string, EmailLocale, EmailContent]> = [
    ...emailMatrix().map((m) => [m.cell, m.locale, m.email] as [string, EmailLocale, EmailContent]),
    ...emailLocales.flatMap((locale) =>
      emailVariants(locale).map((v) => [v.label, locale, customerEmail(v.kind, v.args)] as [string, EmailLocale, EmailContent]),
    ),
    ...emailLocales.map((locale) => {
      const s = emailSamples(locale, HOSTILE_NAME).find((x) => x.cell === 'rejection');
      return ['rejection (hostile name)', locale, customerEmail(s!.kind, s!.args)] as [string, EmailLocale, EmailContent];
    }),
  ];
  for (const [cell, locale, email] of rows) {
    const file = `${locale}-${cell.replace(/[^a-z_]+/g, '-').replace(/-+$/, '')}`;
    await writeFile(join(dir, `${file}.html`), email.html);
    await writeFile(join(dir, `${file}.txt`), `Subject: ${email.subject}\n\n${email.text}`);
    files.push(`${file}.html`, `${file}.txt`);
    const list = byCell.get(cell) ?? [];
    list.push({ locale, email, file });
    byCell.set(cell, list);
  }
  const cellOrder = [...emailCells, ...emailVariants('en').map((v) => v.label), 'rejection (hostile name)'];
  const sections = cellOrder
    .filter((cell) => byCell.has(cell))
    .map((cell, i) => {
      // The email's own HTML goes in the frame's srcdoc attribute: the template escapes it, as an attribute value must be.
      const columns = (byCell.get(cell) ?? []).map(
        ({ locale, email, file }) =>
          html`<div class="col"><div class="meta"><b>${label[locale]}</b> · <a href="${file}.html">html</a> · <a href="${file}.txt">text</a></div><div class="subject">${email.subject}</div><iframe title="${`${locale} ${cell}`}" sandbox="allow-same-origin" srcdoc="${email.html}"></iframe></div>`,
      );
      return html`${i > 0 ? '\n' : ''}<section id="${cell.replace(/\W+/g, '-')}"><h2>${cell}</h2><div class="row">${columns}</div></section>`;
    });
  const index = render(
    html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>makegood — customer emails</title><style>body{font-family:Arial,Helvetica,sans-serif;margin:16px;background:#e5e7eb;color:#111827}h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px;font-family:monospace}.row{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:10px;align-items:start}.col{background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:8px;min-width:0}.meta{font-size:12px;color:#4b5563;margin-bottom:4px}.subject{font-size:13px;font-weight:bold;margin-bottom:6px;overflow-wrap:anywhere}iframe{width:100%;height:640px;border:1px solid #e5e7eb;border-radius:4px;background:#f3f4f6;display:block}</style></head><body><h1>Customer emails: every locale × outcome</h1><p style="margin:0 0 8px;font-size:13px">${rows.length} emails · columns: ${emailLocales.map((l) => label[l]).join(', ')}</p>
${sections}
<script>${raw(fitFrames)}</script></body></html>`,
  );
  const indexPath = join(dir, 'index.html');
  await writeFile(indexPath, index);
  return { index: indexPath, files: [...files, 'index.html'] };
}
