/**
 * `makegood ledger verify [--storefront ID] [--from DAY] [--to DAY] [--against DIGEST|FILE] [--stale-days N] [--strict] [--data-dir DIR]`:
 * checks every chain, posting and order total in the window, and optionally the ledger against a
 * pinned digest; then reconciles the actions of the window's claims (stale, mismatched,
 * unrecovered; owed against paid). Exits 0 when the ledger is intact, 1 naming the first bad
 * entry, 2 on a usage error, and 3 with `--strict` when it is intact but the reconciliation
 * found work to do.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Action } from '#domain/actions.ts';
import { type DigestManifest, type LedgerProblem, parseDigest } from '#domain/ledger-audit.ts';
import type { Money } from '#domain/money.ts';
import { DEFAULT_STALE_DAYS, findingsOf, type Reconciliation } from '#domain/reconcile.ts';
import { type VerifyResult, verifyAgainstDigest, verifyLedger } from '#usecases/ledger-verify.ts';
import type { Command } from './command.ts';
import { connect } from './connect.ts';
import { formatAmount, parseWindow, UsageError } from './ledger-window.ts';

// Findings are work for a person, not tampering: they keep the exit code of the integrity check
// (0 or 1), so that a scheduled verify alarms on tampering only. `--strict` (for a month-end
// close that must be clean) exits 3 instead of 0, a code of its own so it is never read as 1.
const USAGE =
  'usage: makegood ledger verify [--storefront ID] [--from DAY|TIME] [--to DAY|TIME] [--against DIGEST|MANIFEST.json]\n' +
  '                              [--stale-days N] [--strict] [--data-dir DIR]\n' +
  '  --to DAY includes that day; defaults: --to now, --from 366 days before --to, every storefront.\n' +
  '  Then reconciles the actions of the claims with entries in the window, as of --to: actions not answered\n' +
  `  after --stale-days days (a whole number, default ${DEFAULT_STALE_DAYS}), recorded as done for another amount, or failed with\n` +
  '  nothing done instead; and, per currency, refunds granted, paid and owed, store credit and replacements.\n' +
  '  Exit codes: 0 the ledger is intact; 1 an entry, chain, order total or digest is wrong (tampering);\n' +
  '  2 a usage error; 3 with --strict only: intact, but the reconciliation found work to do. Without --strict\n' +
  '  the findings are listed and the exit code stays 0: they are work to do, not tampering.\n';

/** Exit code of a verify: 1 for any integrity problem; else 3 for findings under `strict`; else 0. */
export function verifyExitCode(problems: number, findings: number, strict: boolean): 0 | 1 | 3 {
  if (problems > 0) return 1;
  return strict && findings > 0 ? 3 : 0;
}

/** Reads `--stale-days`: a whole number of days, 0 or more; absent, the default. */
export function parseStaleDays(text: string | undefined): number {
  if (text === undefined) return DEFAULT_STALE_DAYS;
  const n = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--stale-days must be a whole number of days, 0 or more, not ${JSON.stringify(text)}`);
  return n;
}

const money = (m: Money) => formatAmount(m.amount, m.currency);

/** Where an action is: storefront, claim, action id, type and amount. */
function describeAction(a: Action): string {
  const what =
    a.type === 'replacement'
      ? `replacement of ${a.items.map((u) => `${u.quantity} × ${u.sku}`).join(', ') || 'its units'}`
      : `${a.type.replace('_', ' ')} ${money(a.amount)}`;
  return `storefront ${a.storefrontId}, claim ${a.claimId}, ${a.actionId}, ${what}`;
}

/** Lines after the first `limit` of a list: how many, and where to see them all. */
function more(count: number, limit: number): string {
  return count > limit ? `  … and ${count - limit} more: \`makegood ledger report --out FILE.html\` lists them all\n` : '';
}

/**
 * The reconciliation as text: per currency, where refunds, store credit and replacements stand,
 * then each stale, mismatched and unrecovered action on a line of its own (the first `limit` of
 * each list).
 */
export function reconciliationText(r: Reconciliation, limit = 100): string {
  const out = [`Actions as of ${r.asOf}: ${r.actions} action(s) of ${r.claims} claim(s); stale after ${r.staleDays} day(s)\n`];
  for (const c of r.accounts) {
    const f = (n: number) => formatAmount(n, c.currency);
    const { refund: rf, storeCredit: sc, replacement: rp } = c;
    out.push(
      `  ${c.currency} refunds       granted ${f(rf.granted)} = paid ${f(rf.paid)} + owed ${f(rf.owed)}` +
        ` (awaiting the shop ${f(rf.awaiting)}, failed ${f(rf.failed)}, short-paid ${f(rf.shortPaid)})` +
        (rf.movedToCredit ? `; ${f(rf.movedToCredit)} failed and given as store credit instead` : '') +
        '\n',
      `  ${c.currency} store credit  granted ${f(sc.granted)} = issued ${f(sc.issued)} + awaiting the shop ${f(sc.awaiting)} + failed ${f(sc.failed)}` +
        (sc.movedToCash ? `; ${f(sc.movedToCash)} replaced by cash at the customer's request` : '') +
        '\n',
      `  ${c.currency} replacements  asked ${rp.asked} = shipped ${rp.shipped} + awaiting the shop ${rp.awaiting} + failed ${rp.failed}\n`,
    );
    if (!c.agrees) {
      out.push(
        `  ${c.currency} BOOKS DISAGREE: refunds granted ${f(rf.granted)} (paid ${f(rf.paid)}), but refunds_payable holds ${f(c.posted.refundsPayable)} and cash ${f(c.posted.cash)};` +
          ` store credit granted ${f(sc.granted)}, store_credit_liability ${f(c.posted.storeCreditLiability)}\n`,
      );
    }
  }
  if (r.stale.length > 0) {
    out.push(`STALE: ${r.stale.length} action(s) not answered after ${r.staleDays} day(s)\n`);
    for (const s of r.stale.slice(0, limit))
      out.push(`  ${describeAction(s.action)}: asked ${s.action.requestedAt}, ${s.ageDays.toFixed(1)} days ago\n`);
    out.push(more(r.stale.length, limit));
  }
  if (r.mismatched.length > 0) {
    out.push(`MISMATCHED: ${r.mismatched.length} action(s) recorded as done for another amount\n`);
    for (const m of r.mismatched.slice(0, limit)) {
      const gap =
        m.shortBy === undefined
          ? 'in another currency'
          : m.shortBy.amount > 0
            ? `${money(m.shortBy)} ${m.action.type === 'refund' ? 'still owed' : 'short'}`
            : `${money({ ...m.shortBy, amount: -m.shortBy.amount })} more than asked`;
      out.push(
        `  ${describeAction(m.action)}: asked ${money(m.expected)}, recorded ${money(m.recorded)} by ${m.action.result?.by ?? '?'} at ${m.action.result?.at ?? '?'}, ${gap}\n`,
      );
    }
    out.push(more(r.mismatched.length, limit));
  }
  if (r.unrecovered.length > 0) {
    out.push(`UNRECOVERED: ${r.unrecovered.length} action(s) failed with nothing done instead\n`);
    for (const u of r.unrecovered.slice(0, limit)) {
      out.push(`  ${describeAction(u.action)}: ${u.action.status} at ${u.action.result?.at ?? '?'}: ${u.reason}\n`);
    }
    out.push(more(r.unrecovered.length, limit));
  }
  if (r.unreadable.length > 0) {
    out.push(
      `LEFT OUT: ${r.unreadable.length} claim(s) whose action entries cannot be read (\`makegood ledger verify\` names what is wrong)\n`,
    );
    for (const u of r.unreadable.slice(0, limit)) out.push(`  storefront ${u.storefrontId}, claim ${u.claimId}: ${u.problem}\n`);
    out.push(more(r.unreadable.length, limit));
  }
  if (r.stale.length + r.mismatched.length + r.unrecovered.length === 0) out.push('  No action is stale, mismatched or unrecovered.\n');
  return out.join('');
}

/** What verify prints and the code it exits with, from what it found. */
export function verifyOutput(args: {
  result: VerifyResult;
  problems: readonly LedgerProblem[];
  pinned?: { digest: string; storefrontId: string; date: string };
  seconds: number;
  strict: boolean;
}): { text: string; code: 0 | 1 | 3 } {
  const { result, problems, pinned } = args;
  const counts = `${result.storefronts} storefront(s), ${result.claims} claims, ${result.entries} entries checked (${result.indexed} in the window), ${result.orders} orders`;
  const out: string[] = [];
  const first = problems[0];
  if (first) {
    out.push(`FIRST BAD ENTRY: ${describeProblem(first)}\n`);
    for (const p of problems.slice(1, 20)) out.push(`  also: ${describeProblem(p)}\n`);
    if (problems.length > 20) out.push(`  … and ${problems.length - 20} more\n`);
    out.push(`${problems.length} problem(s) in ${counts}\n`);
  } else {
    out.push(
      `OK: ${counts}; every chain intact, every posting balanced, every order total matches${
        pinned ? `, and the ledger matches digest ${pinned.digest.slice(0, 16)}… of ${pinned.storefrontId} as of ${pinned.date}` : ''
      } (${args.seconds.toFixed(1)} s)\n`,
    );
  }
  out.push('\n', reconciliationText(result.reconciliation));
  const findings = findingsOf(result.reconciliation);
  const code = verifyExitCode(problems.length, findings, args.strict);
  if (findings > 0) {
    out.push(
      `${findings} reconciliation finding(s): work to do, not tampering${
        code === 3 ? ' (--strict: exit 3)' : first ? '' : '; the exit code stays 0 (--strict exits 3)'
      }\n`,
    );
  }
  return { text: out.join(''), code };
}

/** How a problem is printed: storefront, claim, sequence and what is wrong. */
export function describeProblem(p: LedgerProblem): string {
  const where = [`storefront ${p.storefrontId}`, p.claimId ? `claim ${p.claimId}` : '', p.seq === null ? '' : `seq ${p.seq}`]
    .filter(Boolean)
    .join(', ');
  return `${where}: ${p.problem}`;
}

/** Reads `--against`: a digest line, or a manifest file written by `ledger digest --out`. */
async function readPinned(text: string): Promise<DigestManifest | NonNullable<ReturnType<typeof parseDigest>>> {
  const line = parseDigest(text);
  if (line) return line;
  let raw: string;
  try {
    raw = await readFile(text, 'utf8');
  } catch {
    throw new UsageError(`--against must be a digest (mgd1:…) or a digest manifest file; ${JSON.stringify(text)} is neither`);
  }
  const asLine = parseDigest(raw);
  if (asLine) return asLine;
  const m = JSON.parse(raw) as DigestManifest;
  if (m.version !== 1 || !parseDigest(`mgd1:${m.storefrontId}:${m.since}:${m.date}:${m.digest}`) || !Array.isArray(m.days)) {
    throw new UsageError(`${text} is not a digest manifest`);
  }
  return m;
}

export const command: Command = {
  async run(argv) {
    let args: ReturnType<typeof parse>;
    let window: { from: Date; to: Date };
    let staleDays: number;
    const parse = (a: string[]) =>
      parseArgs({
        args: a,
        options: {
          storefront: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          against: { type: 'string' },
          'stale-days': { type: 'string' },
          strict: { type: 'boolean' },
          'data-dir': { type: 'string' },
          help: { type: 'boolean' },
        },
      }).values;
    try {
      args = parse(argv);
      if (args.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      window = parseWindow(args.from, args.to);
      staleDays = parseStaleDays(args['stale-days']);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    try {
      const { deps, target } = await connect(args['data-dir']);
      process.stderr.write(`ledger verify: ${target}, ${window.from.toISOString()} ≤ at < ${window.to.toISOString()}\n`);
      const pinned = args.against === undefined ? undefined : await readPinned(args.against);
      const started = performance.now();
      const progress = process.stderr.isTTY
        ? (p: { entriesIndexed: number }) => process.stderr.write(`\r  ${p.entriesIndexed.toLocaleString('en-US')} entries checked …`)
        : undefined;
      const result = await verifyLedger(
        {
          ...(args.storefront ? { storefrontId: args.storefront } : {}),
          ...window,
          staleDays,
          ...(progress ? { onProgress: progress } : {}),
        },
        deps,
      );
      if (progress && result.indexed >= 50_000) process.stderr.write('\n');
      const problems = [...result.problems];
      if (pinned) {
        const drift = await verifyAgainstDigest(pinned, deps);
        // A changed digest explains the chain problems it caused only when no chain is broken.
        if (drift) problems.push(drift);
      }
      const seconds = (performance.now() - started) / 1000;
      const { text, code } = verifyOutput({ result, problems, ...(pinned ? { pinned } : {}), seconds, strict: args.strict === true });
      process.stdout.write(text);
      return code;
    } catch (err) {
      process.stderr.write(`ledger verify: ${(err as Error).message}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
  },
};
