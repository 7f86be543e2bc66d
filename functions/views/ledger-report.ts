/**
 * The HTML page of `makegood ledger report`: one self-contained file, charts as inline SVG, no
 * script, font or image from anywhere. Every text from the ledger is escaped by the template.
 */
import type { Action } from '#domain/actions.ts';
import type { CurrencyTotals, DayRow, LedgerTotals, TotalsRow } from '#domain/ledger-report.ts';
import type { Money } from '#domain/money.ts';
import type { CurrencyAccounts, Reconciliation } from '#domain/reconcile.ts';
import { fragment, type Html, html, render } from './html.ts';

/** A fixed colour per outcome, so the same outcome looks the same in every report. */
export const outcomeColours: Record<string, string> = {
  refund_without_return: '#2563eb',
  return_and_refund: '#0891b2',
  replacement: '#7c3aed',
  store_credit: '#16a34a',
  goodwill: '#ca8a04',
  rejected: '#dc2626',
  undecided: '#6b7280',
};
const spare = ['#db2777', '#ea580c', '#0d9488', '#4f46e5'];

export function colourOf(outcome: string, index: number): string {
  return outcomeColours[outcome] ?? spare[index % spare.length] ?? '#6b7280';
}

export function major(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (v <= 0) return 100;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Every day of the window (UTC), when there are at most `max`; else only the days with entries. */
function windowDays(t: CurrencyTotals, from: string, to: string, max = 120): DayRow[] {
  const known = new Map(t.byDay.map((d) => [d.day, d]));
  const days: DayRow[] = [];
  for (let ms = Date.parse(`${from.slice(0, 10)}T00:00:00Z`); ms < Date.parse(to); ms += 86_400_000) {
    const day = new Date(ms).toISOString().slice(0, 10);
    days.push(known.get(day) ?? { day, received: 0, value: 0, byOutcome: {}, refundGranted: 0, refundPaid: 0 });
    if (days.length > max) return [...t.byDay];
  }
  return days;
}

/** Stacked bars: value per day, one colour per outcome; days without value show as gaps. */
export function dayChart(totals: CurrencyTotals, from: string, to: string): Html {
  const t = { ...totals, byDay: windowDays(totals, from, to) };
  const outcomes = [...new Set(t.byDay.flatMap((d) => Object.keys(d.byOutcome)))].sort();
  const W = 1000;
  const H = 320;
  const left = 80;
  const right = 20;
  const top = 24;
  const bottom = 60;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...t.byDay.map((d) => d.value)));
  const n = Math.max(1, t.byDay.length);
  const slot = plotW / n;
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  const parts: Html[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = top + plotH - (plotH * i) / 4;
    parts.push(fragment(html`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`));
    parts.push(fragment(html`<text x="${left - 8}" y="${y + 4}" text-anchor="end" class="tick">${major(v)}</text>`));
  }
  const labelEvery = Math.ceil(n / 16);
  t.byDay.forEach((d, i) => {
    const x = left + slot * i + (slot - barW) / 2;
    let y = top + plotH;
    outcomes.forEach((o, k) => {
      const v = d.byOutcome[o] ?? 0;
      if (v <= 0) return;
      const h = (plotH * v) / max;
      y -= h;
      parts.push(
        fragment(
          html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${colourOf(o, k)}"><title>${`${d.day} · ${o}: ${major(v)} ${t.currency}`}</title></rect>`,
        ),
      );
    });
    if (i % labelEvery === 0) {
      parts.push(
        fragment(
          html`<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" class="tick">${d.day.slice(5)}</text>`,
        ),
      );
    }
  });
  parts.push(fragment(html`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#9ca3af"/>`));
  parts.push(fragment(html`<text x="${left - 8}" y="${top - 8}" text-anchor="end" class="tick">${t.currency}</text>`));
  const legend = outcomes.map((o, k) => {
    const x = left + k * 170;
    return html`<rect x="${x}" y="${H - 22}" width="12" height="12" fill="${colourOf(o, k)}"/><text x="${x + 18}" y="${H - 12}" class="legend">${o.replaceAll('_', ' ')}</text>`;
  });
  const empty =
    t.byDay.length === 0 ? html`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="legend">no entries in the window</text>` : '';
  return fragment(
    html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${`Value per day by outcome, ${t.currency}`}" xmlns="http://www.w3.org/2000/svg">${parts}${legend}${empty}</svg>`,
  );
}

/** The series colours of {@link refundChart}. */
const GRANTED = '#2563eb';
const PAID = '#16a34a';
const OWED = '#fecaca';

/**
 * Lines: cash refunds granted and paid, each added up day by day from the window's start; the
 * shaded gap between them is what is still owed (awaiting the shop, failed, short-paid).
 */
export function refundChart(totals: CurrencyTotals, from: string, to: string): Html {
  const days = windowDays(totals, from, to);
  const W = 1000;
  const H = 320;
  const left = 80;
  const right = 20;
  const top = 24;
  const bottom = 60;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  let granted = 0;
  let paid = 0;
  const points = days.map((d) => {
    granted += d.refundGranted;
    paid += d.refundPaid;
    return { day: d.day, granted, paid };
  });
  const values = points.flatMap((p) => [p.granted, p.paid]);
  const max = niceMax(Math.max(0, ...values));
  // A recovery inside the window can take more out than was granted in it: then the axis goes below 0.
  const low = Math.min(0, ...values) < 0 ? -niceMax(-Math.min(...values)) : 0;
  const yOf = (v: number) => top + (plotH * (max - v)) / (max - low);
  const n = Math.max(1, points.length);
  const slot = plotW / n;
  const xOf = (i: number) => left + slot * i + slot / 2;
  const parts: Html[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = low + ((max - low) * i) / 4;
    const y = yOf(v);
    parts.push(fragment(html`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`));
    parts.push(fragment(html`<text x="${left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="tick">${major(v)}</text>`));
  }
  const line = (pick: (p: (typeof points)[number]) => number) => points.map((p, i) => `${xOf(i).toFixed(1)},${yOf(pick(p)).toFixed(1)}`);
  if (points.length > 0) {
    const gap = [...line((p) => p.granted), ...line((p) => p.paid).reverse()].join(' ');
    parts.push(fragment(html`<polygon points="${gap}" fill="${OWED}" stroke="none"/>`));
    parts.push(fragment(html`<polyline points="${line((p) => p.granted).join(' ')}" fill="none" stroke="${GRANTED}" stroke-width="2"/>`));
    parts.push(fragment(html`<polyline points="${line((p) => p.paid).join(' ')}" fill="none" stroke="${PAID}" stroke-width="2"/>`));
  }
  const labelEvery = Math.ceil(n / 16);
  points.forEach((p, i) => {
    const x = xOf(i).toFixed(1);
    const tip = `${p.day} · granted ${major(p.granted)}, paid ${major(p.paid)}, owed ${major(p.granted - p.paid)} ${totals.currency} (since ${from.slice(0, 10)})`;
    parts.push(fragment(html`<circle cx="${x}" cy="${yOf(p.granted).toFixed(1)}" r="3" fill="${GRANTED}"><title>${tip}</title></circle>`));
    parts.push(fragment(html`<circle cx="${x}" cy="${yOf(p.paid).toFixed(1)}" r="3" fill="${PAID}"><title>${tip}</title></circle>`));
    if (i % labelEvery === 0)
      parts.push(fragment(html`<text x="${x}" y="${top + plotH + 18}" text-anchor="middle" class="tick">${p.day.slice(5)}</text>`));
  });
  parts.push(fragment(html`<line x1="${left}" x2="${W - right}" y1="${yOf(0).toFixed(1)}" y2="${yOf(0).toFixed(1)}" stroke="#9ca3af"/>`));
  parts.push(fragment(html`<text x="${left - 8}" y="${top - 8}" text-anchor="end" class="tick">${totals.currency}</text>`));
  const legend = [
    [GRANTED, 'refunds granted'],
    [PAID, 'refunds paid'],
    [OWED, 'still owed'],
  ].map(([colour, label], k) => {
    const x = left + k * 170;
    return html`<rect x="${x}" y="${H - 22}" width="12" height="12" fill="${colour}"/><text x="${x + 18}" y="${H - 12}" class="legend">${label ?? ''}</text>`;
  });
  const empty =
    points.length === 0 ? html`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="legend">no entries in the window</text>` : '';
  return fragment(
    html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${`Cash refunds granted and paid, cumulative, ${totals.currency}`}" xmlns="http://www.w3.org/2000/svg">${parts}${legend}${empty}</svg>`,
  );
}

/** Horizontal bars: value by reason. */
export function reasonChart(t: CurrencyTotals): Html {
  const rowsOf = t.byReason;
  const W = 1000;
  const rowH = 34;
  const left = 170;
  const right = 150;
  const H = Math.max(1, rowsOf.length) * rowH + 20;
  const max = niceMax(Math.max(0, ...rowsOf.map((r) => r.value)));
  const parts = rowsOf.map((r, i) => {
    const y = 10 + i * rowH;
    const w = ((W - left - right) * r.value) / max;
    return html`<text x="${left - 10}" y="${y + 21}" text-anchor="end" class="legend">${r.key.replaceAll('_', ' ')}</text><rect x="${left}" y="${y + 6}" width="${Math.max(w, r.value > 0 ? 2 : 0).toFixed(1)}" height="${rowH - 12}" fill="#2563eb" rx="3"><title>${`${r.key}: ${major(r.value)} ${t.currency}, ${r.claims} claims`}</title></rect><text x="${(left + w + 8).toFixed(1)}" y="${y + 21}" class="tick">${`${major(r.value)} ${t.currency} · ${r.claims} claim${r.claims === 1 ? '' : 's'}`}</text>`;
  });
  return fragment(
    html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${`Value by reason, ${t.currency}`}" xmlns="http://www.w3.org/2000/svg">${parts}</svg>`,
  );
}

function table(title: string, rows: readonly TotalsRow[], currency: string): Html {
  const body = rows.map(
    (r) =>
      html`<tr><td>${r.key.replaceAll('_', ' ')}</td><td class="n">${r.claims}</td><td class="n">${major(r.cash)}</td><td class="n">${major(r.credit)}</td><td class="n"><b>${major(r.value)}</b></td></tr>`,
  );
  return fragment(
    html`<section class="card"><h3>${title}</h3><table><thead><tr><th></th><th class="n">claims</th><th class="n">cash</th><th class="n">credit</th><th class="n">value (${currency})</th></tr></thead><tbody>${body}</tbody></table></section>`,
  );
}

/** Where the actions of one currency stand: refunds, store credit and replacements. */
function accountsCard(a: CurrencyAccounts | undefined): Html | '' {
  if (!a) return '';
  const row = (label: string, cells: readonly (number | string)[], strong = false) =>
    html`<tr><td>${strong ? html`<b>${label}</b>` : label}</td>${cells.map((c) => html`<td class="n">${typeof c === 'number' ? major(c) : c}</td>`)}</tr>`;
  const { refund: r, storeCredit: c, replacement: p } = a;
  const disagree = a.agrees
    ? ''
    : html`<p class="warn">${`The postings disagree: refunds_payable ${major(a.posted.refundsPayable)} + cash ${major(a.posted.cash)}, store_credit_liability ${major(a.posted.storeCreditLiability)}.`}</p>`;
  return fragment(html`<section class="card"><h3>Actions as of the window's end (${a.currency})</h3>${disagree}<div class="grid">
<table><thead><tr><th>cash refunds</th><th class="n">${a.currency}</th></tr></thead><tbody>
${row('granted', [r.granted], true)}${row('paid', [r.paid])}${row('owed', [r.owed], true)}${row('· awaiting the shop', [r.awaiting])}${row('· failed, nothing instead', [r.failed])}${row('· short-paid', [r.shortPaid])}${row('moved to store credit', [r.movedToCredit])}
</tbody></table>
<table><thead><tr><th>store credit</th><th class="n">${a.currency}</th></tr></thead><tbody>
${row('granted', [c.granted], true)}${row('issued', [c.issued])}${row('awaiting the shop', [c.awaiting])}${row('failed, nothing instead', [c.failed])}${row('moved to cash', [c.movedToCash])}
</tbody></table>
<table><thead><tr><th>replacements</th><th class="n">count</th></tr></thead><tbody>
${row('asked', [String(p.asked)], true)}${row('shipped', [String(p.shipped)])}${row('awaiting the shop', [String(p.awaiting)])}${row('failed', [String(p.failed)])}
</tbody></table></div></section>`);
}

const amountText = (m: Money) => `${major(m.amount)} ${m.currency}`;
const actionCells = (a: Action) =>
  html`<td>${a.storefrontId}</td><td>${a.claimId}</td><td>${a.actionId}</td><td>${a.type.replace('_', ' ')}</td><td class="n">${a.type === 'replacement' ? '' : amountText(a.amount)}</td>`;

/** The stale, mismatched and unrecovered actions, each a table (empty ones say so). */
function findingsSection(r: Reconciliation): Html {
  const head = (extra: Html) =>
    html`<thead><tr><th>storefront</th><th>claim</th><th>action</th><th>type</th><th class="n">amount</th>${extra}</tr></thead>`;
  const table = (title: string, extra: Html, rows: readonly unknown[]) =>
    html`<section class="card"><h3>${title}</h3>${rows.length === 0 ? html`<p class="meta">None.</p>` : html`<table>${head(extra)}<tbody>${rows}</tbody></table>`}</section>`;
  const stale = r.stale.map(
    (s) => html`<tr>${actionCells(s.action)}<td>${s.action.requestedAt}</td><td class="n">${s.ageDays.toFixed(1)}</td></tr>`,
  );
  const mismatched = r.mismatched.map(
    (m) =>
      html`<tr>${actionCells(m.action)}<td class="n">${amountText(m.recorded)}</td><td class="n">${m.shortBy ? amountText(m.shortBy) : 'another currency'}</td><td>${m.action.result?.by ?? ''}</td></tr>`,
  );
  const unrecovered = r.unrecovered.map(
    (u) => html`<tr>${actionCells(u.action)}<td>${u.action.status}</td><td>${u.action.result?.at ?? ''}</td><td>${u.reason}</td></tr>`,
  );
  return fragment(html`<h2>Actions to work on</h2>
<p class="meta">${`As of ${r.asOf}: ${r.actions} actions of ${r.claims} claims with entries in the window. Work for a person, not tampering.`}</p>
${table(`Not answered after ${r.staleDays} days (${r.stale.length})`, fragment(html`<th>asked</th><th class="n">days</th>`), stale)}
${table(`Recorded as done for another amount (${r.mismatched.length})`, fragment(html`<th class="n">recorded</th><th class="n">short by</th><th>recorded by</th>`), mismatched)}
${table(`Failed with nothing done instead (${r.unrecovered.length})`, fragment(html`<th>status</th><th>at</th><th>reason</th>`), unrecovered)}`);
}

function currencySection(t: CurrencyTotals, from: string, to: string, accounts?: CurrencyAccounts): Html {
  const accountsRows = t.byAccount.map(
    (a) =>
      html`<tr><td>${a.account.replaceAll('_', ' ')}</td><td class="n">${major(a.debit)}</td><td class="n">${major(a.credit)}</td><td class="n"><b>${major(a.debit - a.credit)}</b></td></tr>`,
  );
  const days = t.byDay.map(
    (d) =>
      html`<tr><td>${d.day}</td><td class="n">${d.received}</td><td class="n">${major(d.value)}</td><td class="n">${major(d.refundGranted)}</td><td class="n">${major(d.refundPaid)}</td></tr>`,
  );
  return fragment(html`<h2>${t.currency}</h2>
<div class="kpis">
<div class="kpi"><span>claims</span><b>${t.claims}</b></div>
<div class="kpi"><span>value granted</span><b>${major(t.value)}</b><small>${t.currency}</small></div>
<div class="kpi"><span>cash refunds</span><b>${major(t.cash)}</b><small>${t.currency}</small></div>
<div class="kpi"><span>store credit</span><b>${major(t.credit)}</b><small>${t.currency}</small></div>
<div class="kpi"><span>goodwill cost</span><b>${major(t.goodwill)}</b><small>${t.currency}</small></div>
</div>
<section class="card"><h3>Value per day by outcome</h3>${dayChart(t, from, to)}</section>
<section class="card"><h3>Value by reason</h3>${reasonChart(t)}</section>
<section class="card"><h3>Cash refunds granted against paid, added up day by day</h3>${refundChart(t, from, to)}</section>
${accountsCard(accounts)}
<div class="grid">
${table('By outcome', t.byOutcome, t.currency)}
${table('By approval tier', t.byTier, t.currency)}
${table('By reason', t.byReason, t.currency)}
<section class="card"><h3>By account</h3><table><thead><tr><th></th><th class="n">debit</th><th class="n">credit</th><th class="n">balance</th></tr></thead><tbody>${accountsRows}</tbody></table></section>
</div>
<section class="card"><h3>By day</h3><table><thead><tr><th>day</th><th class="n">claims received</th><th class="n">value (${t.currency})</th><th class="n">refunds granted</th><th class="n">refunds paid</th></tr></thead><tbody>${days}</tbody></table></section>`);
}

/** The whole report page. */
export function reportHtml(t: LedgerTotals, generatedAt: Date): string {
  const title = `Ledger report ${t.from.slice(0, 10)} – ${t.to.slice(0, 10)}`;
  const sections =
    t.currencies.length === 0
      ? html`<section class="card">No entries in this window.</section>`
      : t.currencies.map(
          (c, i) =>
            html`${i > 0 ? '\n' : ''}${currencySection(
              c,
              t.from,
              t.to,
              t.reconciliation.accounts.find((a) => a.currency === c.currency),
            )}`,
        );
  return render(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f3f4f6;margin:0;padding:24px 32px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 12px}h3{font-size:14px;margin:0 0 10px;color:#374151}
.meta{color:#6b7280;margin:0 0 8px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px;margin:0 0 16px}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 16px}
.kpi{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 16px;min-width:150px}
.kpi span{display:block;color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}.kpi b{font-size:20px}.kpi small{color:#6b7280;margin-left:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:0 16px}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #f3f4f6;text-align:left}th{color:#6b7280;font-weight:600;font-size:12px}
.n{text-align:right;font-variant-numeric:tabular-nums}.warn{color:#b91c1c;font-weight:600}
svg{width:100%;height:auto;display:block}.tick{font-size:11px;fill:#6b7280}.legend{font-size:13px;fill:#374151}
</style></head><body>
<h1>${title}</h1>
<p class="meta">${`Entries with ${t.from} ≤ time < ${t.to} · storefronts: ${t.storefronts.join(', ') || 'none'} · ${t.claims} claims, ${t.entries} entries · generated ${generatedAt.toISOString()}`}</p>
<p class="meta">Value is cash refunded plus store credit issued (goodwill included) in the window, counted on the day it was granted. A failed refund given as store credit instead, or that credit paid in cash after all, is counted once; only the recovery's bonus adds value. Amounts in major units.</p>
${sections}
${findingsSection(t.reconciliation)}
</body></html>
`);
}
