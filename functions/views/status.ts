import { builtInWording, emailLocale, formatDate, plainText } from '#domain/email.ts';
import { type StatusPageWording, tokenize } from '#domain/email-templates.ts';
import { formatMoney } from '#domain/money.ts';
import type { StatusPageView } from '#usecases/customer-status.ts';
import { html } from './html.ts';
import { appPage } from './page.ts';

/**
 * The customer's read-only status page (`/c/<token>`), in the customer's language: where the
 * claim stands, what happens next and by when, and what was granted. No form, no script, nothing
 * loaded from elsewhere.
 */

/** A status-page text with its placeholders filled (as plain text: the template escapes it). */
function fill(template: string, values: Record<string, string | undefined>): string {
  return tokenize(template)
    .map((t) => ('literal' in t ? t.literal : (values[t.placeholder] ?? '')))
    .join('');
}

function wordingFor(locale: string): { language: string; intl: string; w: StatusPageWording; datePattern?: string } {
  const { language, intl } = emailLocale(locale);
  const all = builtInWording[language];
  return { language, intl, w: all.statusPage, ...(all.datePattern ? { datePattern: all.datePattern } : {}) };
}

/** The page for a claim. */
export function statusPage(view: StatusPageView): string {
  const { language, intl, w, datePattern } = wordingFor(view.locale);
  const date = view.date ? formatDate(view.date, intl, datePattern) : undefined;
  const parts: string[] = [];
  if (view.granted?.cash) parts.push(fill(w.grants.cash, { amount: formatMoney(view.granted.cash, intl) }));
  if (view.granted?.credit) parts.push(fill(w.grants.credit, { amount: formatMoney(view.granted.credit, intl) }));
  if (view.granted?.replacement) parts.push(w.grants.replacement);
  const granted = parts.length ? new Intl.ListFormat(intl, { type: 'conjunction' }).format(parts) : undefined;
  const values = { order: plainText(view.orderId), shop: plainText(view.shopName), date, granted };
  const stage = w.stages[view.stage];
  const title = fill(w.title, values);
  const updated = formatDate(view.updatedAt, intl, datePattern);
  return appPage({
    lang: language,
    title,
    topLine: plainText(view.shopName),
    body: html`<h1>${title}</h1>
<section class="card proposal"><div class="kicker">${w.labels.status}</div><div class="big">${fill(stage.headline, values)}</div>
${granted ? html`<p><b>${w.labels.granted}:</b> ${granted}</p>` : ''}</section>
<section class="card"><h2>${w.labels.next}</h2><p class="result">${fill(date ? stage.nextWithDate : stage.next, values)}</p></section>
<p class="muted small">${w.labels.reference}: <code>${view.claimId}</code>${updated ? html` · ${w.labels.updated}: ${updated}` : ''}</p>`,
  });
}

/** A link that does not open (or whose claim is gone), in the language the browser asks for. */
export function statusProblemPage(
  problem: 'malformed' | 'tampered' | 'expired' | 'unknown_claim',
  acceptLanguage: string,
): { status: number; body: string } {
  const wanted = acceptLanguage.split(',')[0]?.split(';')[0]?.trim() || 'en';
  const { language, w } = wordingFor(wanted);
  const text = problem === 'expired' ? w.expired : w.invalid;
  return {
    status: problem === 'expired' ? 410 : problem === 'unknown_claim' ? 404 : 400,
    body: appPage({ lang: language, title: text.title, topLine: '', body: html`<h1>${text.title}</h1><p class="result">${text.text}</p>` }),
  };
}
