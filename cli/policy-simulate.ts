/**
 * How `makegood policy simulate` prints a {@link SimulationReport}: a summary for a person to read
 * before publishing a policy.
 */
import { formatMoney, money } from '#domain/money.ts';
import type { DecisionSummary, SimulationReport } from '#domain/simulate.ts';
import type { SimulationReads } from '#usecases/simulate-policy.ts';

const ACCOUNTS = [
  ['cash', 'cash'],
  ['storeCredit', 'store credit'],
  ['goodwill', 'goodwill'],
] as const;

const amount = (minor: number, currency: string) => formatMoney(money(minor, currency), 'en');
const signed = (minor: number, currency: string) => `${minor > 0 ? '+' : ''}${amount(minor, currency)}`;
const signedCount = (n: number) => (n > 0 ? `+${n}` : String(n));

function decisionLine(d: DecisionSummary): string {
  const granted = [
    d.cash > 0 ? `${amount(d.cash, d.currency)} cash` : '',
    d.storeCredit > 0 ? `${amount(d.storeCredit, d.currency)} store credit` : '',
  ].filter(Boolean);
  return `${d.outcome}${granted.length ? `, ${granted.join(' + ')}` : ''}${d.returnRequired ? ', return first' : ''}, approves: ${d.tier}`;
}

/** The report as text, as the command prints it. */
export function simulationText(r: SimulationReport, reads?: SimulationReads): string {
  const lines: string[] = [];
  const pct = r.claims === 0 ? '' : ` (${((100 * r.changed) / r.claims).toFixed(1)} %)`;
  lines.push(
    `Policy simulation for ${r.storefrontId}: the draft (it would be version ${r.draftVersion}) against the versions that decided each claim`,
  );
  lines.push(`Claims received ${r.from} to ${r.to}: ${r.claims} replayed, ${r.changed} decided differently${pct}`);
  const versions = Object.entries(r.byVersion).map(([v, n]) => `version ${v} (${n})`);
  if (versions.length > 0) lines.push(`Decided under: ${versions.join(', ')}`);
  if (reads) {
    lines.push(
      `Read ${reads.entries} ledger entries of ${reads.customers} customers and ${reads.orders} orders in ${reads.readMs.toFixed(0)} ms; replayed in ${reads.replayMs.toFixed(0)} ms`,
    );
  }

  lines.push('', 'Outcomes that changed (before → after):');
  const transitions = Object.entries(r.byTransition).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (transitions.length === 0) lines.push('  none');
  const width = Math.max(0, ...transitions.map(([t]) => t.length));
  for (const [t, n] of transitions) lines.push(`  ${t.padEnd(width)}  ${n}`);

  const currencies = [...new Set(ACCOUNTS.flatMap(([k]) => [...Object.keys(r.money[k].before), ...Object.keys(r.money[k].after)]))].sort();
  for (const currency of currencies) {
    lines.push(
      '',
      `What the decisions grant, ${currency}:`,
      `  ${'account'.padEnd(13)}${'before'.padStart(14)}${'after'.padStart(14)}${'change'.padStart(14)}`,
    );
    for (const [key, label] of ACCOUNTS) {
      const before = r.money[key].before[currency] ?? 0;
      const after = r.money[key].after[currency] ?? 0;
      lines.push(
        `  ${label.padEnd(13)}${amount(before, currency).padStart(14)}${amount(after, currency).padStart(14)}${signed(after - before, currency).padStart(14)}`,
      );
    }
  }

  lines.push(
    '',
    'Who must approve (agent workload):',
    `  ${'tier'.padEnd(13)}${'before'.padStart(8)}${'after'.padStart(8)}${'change'.padStart(8)}`,
  );
  const roles = [...new Set([...Object.keys(r.tiers.before), ...Object.keys(r.tiers.after)])] as (keyof typeof r.tiers.before)[];
  for (const role of roles) {
    const before = r.tiers.before[role] ?? 0;
    const after = r.tiers.after[role] ?? 0;
    lines.push(`  ${role.padEnd(13)}${String(before).padStart(8)}${String(after).padStart(8)}${signedCount(after - before).padStart(8)}`);
  }

  lines.push('', 'By reason:');
  for (const [reason, v] of Object.entries(r.byReason)) lines.push(`  ${reason.padEnd(18)} ${v.claims} claims, ${v.changed} changed`);

  if (r.examples.length > 0) lines.push('', 'Examples:');
  for (const e of r.examples) {
    lines.push(`  ${e.transition}: claim ${e.claimId} (${e.reason}, received ${e.receivedAt})`);
    lines.push(`    before: ${decisionLine(e.before)}`);
    lines.push(`      rules: ${e.before.rules.map((x) => x.id).join(', ')}`);
    lines.push(`    after:  ${decisionLine(e.after)}`);
    lines.push(`      rules: ${e.after.rules.map((x) => x.id).join(', ')}`);
  }

  lines.push('');
  if (r.mismatches.length === 0) {
    lines.push(`Replay check: all ${r.claims} replayed decisions match the recorded ones.`);
  } else {
    lines.push(`Replay check: ${r.mismatches.length} replayed decision(s) differ from the recorded ones; their figures are less certain:`);
    for (const m of r.mismatches) {
      lines.push(`  ${m.claimId}: recorded ${decisionLine(m.recorded)}; replayed ${decisionLine(m.replayed)}`);
      for (const h of m.history) lines.push(`    history ${h}`);
    }
  }
  if (r.skipped.length > 0) {
    lines.push(`Not replayed (${r.skipped.length}):`);
    for (const s of r.skipped) lines.push(`  ${s.claimId}: ${s.why}`);
  }
  lines.push('', 'What a replay cannot know:');
  for (const l of r.limits) lines.push(`  - ${l}`);
  return `${lines.join('\n')}\n`;
}
