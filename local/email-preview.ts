import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClaimRequest, Reason } from '#domain/claim.ts';
import type { Outcome } from '#domain/decide.ts';
import { type CustomerEmailArgs, type CustomerEmailKind, customerEmail, type EmailContent, emailCell, escapeHtml } from '#domain/email.ts';
import { type EmailCell, type EmailLocale, emailCells, emailLocales } from '#domain/email-templates.ts';
import type { StoredDecision } from '#domain/ledger.ts';

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

function claimOf(locale: string, reason: Reason, desired: ClaimRequest['complaint']['desiredOutcome'], name = 'Ann'): ClaimRequest {
  return {
    order: {
      id: 'ORD-1001',
      placedAt: '2026-11-01T10:00:00Z',
      deliveredAt: '2026-11-03T10:00:00Z',
      currency: 'EUR',
      paid: 9399,
      shipping: 499,
      items: [{ sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 }],
    },
    customer: { id: 'C-42', email: 'ann@example.com', name, locale },
    complaint: {
      reason,
      items: [{ sku: 'KETTLE-1', quantity: 1 }],
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
    ...more,
  } as StoredDecision;
}

const deadline = '2026-12-23T12:00:00Z';

/** One sample per cell in `locale`, each from a claim and decision like the ones the policy makes. */
export function emailSamples(locale: EmailLocale | string, name = 'Ann'): EmailSample[] {
  const base = { shopName: 'Demo Shop', claimId: 'clm_7Qm2x9' };
  const c = (reason: Reason, desired: ClaimRequest['complaint']['desiredOutcome'] = 'refund') => claimOf(locale, reason, desired, name);
  const returnAndRefund = decisionOf('return_and_refund', { cash: 9399 }, { returnRequired: true });
  const samples: Array<Omit<EmailSample, 'cell'>> = [
    { kind: 'outcome', args: { ...base, claim: c('damaged'), decision: decisionOf('refund_without_return', { cash: 2750 }) } },
    { kind: 'return_instructions', args: { ...base, claim: c('defective'), decision: returnAndRefund, sendBackDays: 30, deadline } },
    { kind: 'outcome', args: { ...base, claim: c('defective'), decision: returnAndRefund } },
    { kind: 'outcome', args: { ...base, claim: c('wrong_item', 'replacement'), decision: decisionOf('replacement', {}) } },
    {
      kind: 'outcome',
      args: {
        ...base,
        claim: c('changed_mind', 'store_credit'),
        decision: decisionOf('store_credit', { credit: 9790, goodwill: 890 }, { returnRequired: true }),
      },
    },
    { kind: 'outcome', args: { ...base, claim: c('late_delivery'), decision: decisionOf('goodwill', { credit: 940, goodwill: 940 }) } },
    { kind: 'outcome', args: { ...base, claim: c('not_as_described', 'apology'), decision: decisionOf('goodwill', {}) } },
    {
      kind: 'outcome',
      args: { ...base, claim: c('damaged'), decision: decisionOf('refund_without_return', { cash: 2750, credit: 500, goodwill: 500 }) },
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
    { kind: 'return_not_received', args: { ...base, claim: c('defective'), decision: returnAndRefund, deadline } },
  ];
  return samples.map((s) => ({ ...s, cell: emailCell(s.kind, s.args.decision) }));
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
 * sandboxed frame. A last row shows the rejection for a hostile customer name.
 */
export async function writeEmailPreview(dir: string): Promise<{ index: string; files: string[] }> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const byCell = new Map<string, Array<{ locale: EmailLocale; email: EmailContent; file: string }>>();
  const rows: Array<[string, EmailLocale, EmailContent]> = [
    ...emailMatrix().map((m) => [m.cell, m.locale, m.email] as [string, EmailLocale, EmailContent]),
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
  const cellOrder = [...emailCells, 'rejection (hostile name)'];
  const sections = cellOrder
    .filter((cell) => byCell.has(cell))
    .map((cell) => {
      const columns = (byCell.get(cell) ?? [])
        .map(
          ({ locale, email, file }) =>
            `<div class="col"><div class="meta"><b>${label[locale]}</b> · <a href="${file}.html">html</a> · <a href="${file}.txt">text</a></div>` +
            `<div class="subject">${escapeHtml(email.subject)}</div>` +
            `<iframe title="${escapeHtml(`${locale} ${cell}`)}" sandbox="allow-same-origin" srcdoc="${escapeHtml(email.html)}"></iframe></div>`,
        )
        .join('');
      return `<section id="${escapeHtml(cell.replace(/\W+/g, '-'))}"><h2>${escapeHtml(cell)}</h2><div class="row">${columns}</div></section>`;
    })
    .join('\n');
  const index =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>makegood — customer emails</title><style>' +
    'body{font-family:Arial,Helvetica,sans-serif;margin:16px;background:#e5e7eb;color:#111827}' +
    'h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px;font-family:monospace}' +
    '.row{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:10px;align-items:start}' +
    '.col{background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:8px;min-width:0}' +
    '.meta{font-size:12px;color:#4b5563;margin-bottom:4px}.subject{font-size:13px;font-weight:bold;margin-bottom:6px;overflow-wrap:anywhere}' +
    'iframe{width:100%;height:640px;border:1px solid #e5e7eb;border-radius:4px;background:#f3f4f6;display:block}' +
    '</style></head><body><h1>Customer emails: every locale × outcome</h1>' +
    `<p style="margin:0 0 8px;font-size:13px">${rows.length} emails · columns: ${emailLocales.map((l) => label[l]).join(', ')}</p>\n` +
    `${sections}\n<script>${fitFrames}</script></body></html>`;
  const indexPath = join(dir, 'index.html');
  await writeFile(indexPath, index);
  return { index: indexPath, files: [...files, 'index.html'] };
}
