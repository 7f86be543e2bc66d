/**
 * `makegood ledger verify [--storefront ID] [--from DAY] [--to DAY] [--against DIGEST|FILE] [--data-dir DIR]`:
 * checks every chain, posting and order total in the window, and optionally the ledger against a
 * pinned digest. Exits 0 when clean, 1 naming the first bad entry, 2 on a usage error.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type DigestManifest, type LedgerProblem, parseDigest } from '#domain/ledger-audit.ts';
import { verifyAgainstDigest, verifyLedger } from '#usecases/ledger-verify.ts';
import type { Command } from './command.ts';
import { connect } from './connect.ts';
import { parseWindow, UsageError } from './ledger-window.ts';

const USAGE =
  'usage: makegood ledger verify [--storefront ID] [--from DAY|TIME] [--to DAY|TIME] [--against DIGEST|MANIFEST.json] [--data-dir DIR]\n' +
  '  --to DAY includes that day; defaults: --to now, --from 366 days before --to, every storefront.\n';

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
    const parse = (a: string[]) =>
      parseArgs({
        args: a,
        options: {
          storefront: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          against: { type: 'string' },
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
        { ...(args.storefront ? { storefrontId: args.storefront } : {}), ...window, ...(progress ? { onProgress: progress } : {}) },
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
      const counts = `${result.storefronts} storefront(s), ${result.claims} claims, ${result.entries} entries checked (${result.indexed} in the window), ${result.orders} orders`;
      const first = problems[0];
      if (first) {
        process.stdout.write(`FIRST BAD ENTRY: ${describeProblem(first)}\n`);
        for (const p of problems.slice(1, 20)) process.stdout.write(`  also: ${describeProblem(p)}\n`);
        if (problems.length > 20) process.stdout.write(`  … and ${problems.length - 20} more\n`);
        process.stdout.write(`${problems.length} problem(s) in ${counts}\n`);
        return 1;
      }
      process.stdout.write(
        `OK: ${counts}; every chain intact, every posting balanced, every order total matches${
          pinned ? `, and the ledger matches digest ${pinned.digest.slice(0, 16)}… of ${pinned.storefrontId} as of ${pinned.date}` : ''
        } (${seconds.toFixed(1)} s)\n`,
      );
      return 0;
    } catch (err) {
      process.stderr.write(`ledger verify: ${(err as Error).message}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
  },
};
