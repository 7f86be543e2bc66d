/**
 * The HTML page of `makegood policy simulate --out`: one self-contained file, charts as inline SVG,
 * no script, font or image from anywhere. Every text is escaped by the template.
 */
import type { SimulationReport } from '#domain/simulate.ts';
import { fragment, type Html, html, render } from './html.ts';
import { colourOf, major, niceMax } from './ledger-report.ts';

const BEFORE = '#9ca3af';
const AFTER = '#2563eb';

/** Paired bars per day: the value the decisions granted before, and under the draft. */
function moneyChart(r: SimulationReport, currency: string): Html {
  const days = r.daily.filter((d) => d.currency === currency);
  const W = 1000;
  const H = 300;
  const left = 80;
  const top = 24;
  const plotW = W - left - 20;
  const plotH = H - top - 60;
  const max = niceMax(Math.max(0, ...days.flatMap((d) => [d.before, d.after])));
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(1, Math.min(20, slot * 0.35));
  const parts: Html[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    parts.push(fragment(html`<line x1="${left}" x2="${W - 20}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`));
    parts.push(fragment(html`<text x="${left - 8}" y="${y + 4}" text-anchor="end" class="tick">${major((max * i) / 4)}</text>`));
  }
  const labelEvery = Math.ceil(days.length / 16);
  days.forEach((d, i) => {
    const x = left + slot * i + slot / 2 - barW;
    for (const [k, v, colour] of [
      [0, d.before, BEFORE],
      [1, d.after, AFTER],
    ] as const) {
      const h = (plotH * v) / max;
      parts.push(
        fragment(
          html`<rect x="${(x + k * barW).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"><title>${`${d.day} ${k === 0 ? 'before' : 'after'}: ${major(v)} ${currency}`}</title></rect>`,
        ),
      );
    }
    if (i % labelEvery === 0) {
      parts.push(
        fragment(
          html`<text x="${(x + barW).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" class="tick">${d.day.slice(5)}</text>`,
        ),
      );
    }
  });
  const legend = html`<rect x="${left}" y="${H - 22}" width="12" height="12" fill="${BEFORE}"/><text x="${left + 18}" y="${H - 12}" class="legend">before</text><rect x="${left + 120}" y="${H - 22}" width="12" height="12" fill="${AFTER}"/><text x="${left + 138}" y="${H - 12}" class="legend">after (draft)</text>`;
  return fragment(
    html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${`Value granted per day, before and after, ${currency}`}" xmlns="http://www.w3.org/2000/svg">${parts}${legend}</svg>`,
  );
}

/** Horizontal bars: changed claims by outcome transition. */
function transitionChart(r: SimulationReport): Html {
  const rows = Object.entries(r.byTransition).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (rows.length === 0) return fragment(html`<p>No decision changed.</p>`);
  const W = 1000;
  const rowH = 26;
  const left = 360;
  const H = rows.length * rowH + 10;
  const max = Math.max(...rows.map(([, n]) => n));
  const bars = rows.map(([t, n], i) => {
    const w = ((W - left - 60) * n) / max;
    const y = i * rowH + 5;
    return html`<text x="${left - 8}" y="${y + 15}" text-anchor="end" class="legend">${t.replace('→', ' → ').replaceAll('_', ' ')}</text><rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colourOf(t.split('→')[1] ?? '', i)}"/><text x="${(left + w + 6).toFixed(1)}" y="${y + 15}" class="legend">${n}</text>`;
  });
  return fragment(
    html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Changed claims by outcome transition" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`,
  );
}

/** The whole page. */
export function simulationHtml(r: SimulationReport, generatedAt: Date): string {
  const title = `Policy simulation: ${r.storefrontId}, ${r.from.slice(0, 10)} – ${r.to.slice(0, 10)}`;
  const currencies = [...new Set(r.daily.map((d) => d.currency))].sort();
  const moneyRows = currencies.flatMap((c) =>
    (['cash', 'storeCredit', 'goodwill'] as const).map((k) => {
      const before = r.money[k].before[c] ?? 0;
      const after = r.money[k].after[c] ?? 0;
      return html`<tr><td>${c}</td><td>${k}</td><td class="n">${major(before)}</td><td class="n">${major(after)}</td><td class="n">${major(after - before)}</td></tr>`;
    }),
  );
  const roles = [...new Set([...Object.keys(r.tiers.before), ...Object.keys(r.tiers.after)])] as (keyof typeof r.tiers.before)[];
  const tierRows = roles.map(
    (role) => html`<tr><td>${role}</td><td class="n">${r.tiers.before[role] ?? 0}</td><td class="n">${r.tiers.after[role] ?? 0}</td></tr>`,
  );
  const examples = r.examples.map(
    (e) =>
      html`<tr><td>${e.transition}</td><td>${e.claimId}</td><td>${e.reason}</td><td>${e.before.rules.map((x) => x.text).join('; ')}</td><td>${e.after.rules.map((x) => x.text).join('; ')}</td></tr>`,
  );
  const notes = [
    ...r.mismatches.map(
      (m) =>
        `${m.claimId}: the replay under its own version differs from the recorded decision (${m.history.join('; ') || 'same history'})`,
    ),
    ...r.skipped.map((s) => `${s.claimId}: not replayed, ${s.why}`),
  ];
  return render(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;color:#111827;background:#f3f4f6;margin:0;padding:24px 32px}
h1{font-size:22px;margin:0 0 4px}h3{font-size:14px;margin:0 0 10px;color:#374151}.meta{color:#6b7280}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px;margin:0 0 16px}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #f3f4f6;text-align:left;vertical-align:top}th{color:#6b7280;font-size:12px}
.n{text-align:right;font-variant-numeric:tabular-nums}svg{width:100%;height:auto;display:block}.tick{font-size:11px;fill:#6b7280}.legend{font-size:13px;fill:#374151}
</style></head><body>
<h1>${title}</h1>
<p class="meta">${`${r.claims} claims replayed, ${r.changed} decided differently under the draft (it would be version ${r.draftVersion}) · generated ${generatedAt.toISOString()} · amounts in major units`}</p>
<section class="card"><h3>Changed claims by outcome, before → after</h3>${transitionChart(r)}</section>
${currencies.map((c) => html`<section class="card"><h3>${`Value granted per day of receipt, ${c}`}</h3>${moneyChart(r, c)}</section>`)}
<section class="card"><h3>What the decisions grant</h3><table><thead><tr><th>currency</th><th>account</th><th class="n">before</th><th class="n">after</th><th class="n">change</th></tr></thead><tbody>${moneyRows}</tbody></table></section>
<section class="card"><h3>Who must approve</h3><table><thead><tr><th>tier</th><th class="n">before</th><th class="n">after</th></tr></thead><tbody>${tierRows}</tbody></table></section>
<section class="card"><h3>Examples</h3><table><thead><tr><th>transition</th><th>claim</th><th>reason</th><th>rules before</th><th>rules after</th></tr></thead><tbody>${examples}</tbody></table></section>
<section class="card"><h3>Replay check and claims not replayed</h3>${notes.length === 0 ? html`<p>${`Every replayed decision matches the recorded one; every claim in the window was replayed.`}</p>` : html`<ul>${notes.map((n) => html`<li>${n}</li>`)}</ul>`}</section>
<section class="card"><h3>What a replay cannot know</h3><ul>${r.limits.map((l) => html`<li>${l}</li>`)}</ul></section>
</body></html>`);
}
