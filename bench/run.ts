/**
 * `npm run bench`: every benchmark, each in a fresh process, one after another, then the section of
 * bench/RESULTS.md between its markers rewritten with the date, the machine, each command and what
 * it printed, and the aims of issue 15 beside the figures. The hand-written history below the
 * section stays; each entry there names the command it came from.
 *
 *   npm run bench [-- --no-write]
 *
 * Sized to finish in under 10 minutes on 2 cores; each benchmark takes larger arguments alone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '#local/stack.ts';
import { describeMachine, formatSummary, machine, type Summary, summary } from './stats.ts';

const { values } = parseArgs({ options: { 'no-write': { type: 'boolean', default: false } } });
const BEGIN = '<!-- npm run bench: begin (rewritten by bench/run.ts; edit below the end marker) -->';
const END = '<!-- npm run bench: end -->';
const work = await mkdtemp(join(tmpdir(), 'makegood-bench-all-'));
const started = Date.now();
const loadBefore = machine().load1;

/** Runs `npm run <script> -- args`, echoing and keeping what it prints; its exit code must be 0. */
async function run(script: string, args: string[]): Promise<{ command: string; output: string; seconds: number }> {
  const command = `npm run ${script} -- ${args.join(' ')}`.replace(/ -- $/, '');
  console.log(`\n$ ${command}`);
  const t0 = Date.now();
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString('utf8');
    process.stdout.write(c);
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return {
    command: command.replace(/ --json \S+/, '').replace(work, '<tmp>'),
    output: output.trimEnd(),
    seconds: (Date.now() - t0) / 1000,
  };
}
const json = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;

try {
  const node22 = join(repoRoot, '.cache/node22/bin/node');
  await new Promise<void>((resolve, reject) =>
    spawn('bash', [join(repoRoot, 'scripts/ensure-node22.sh')], { stdio: 'inherit' }).once('exit', (c) =>
      c === 0 ? resolve() : reject(new Error('scripts/ensure-node22.sh failed')),
    ),
  );

  const costFile = join(work, 'cost.json');
  const cost = await run('bench:cost', ['--claims', '5', '--json', costFile]);
  const tpFile = join(work, 'throughput.json');
  const throughput = await run('bench:throughput', ['--runs', '3', '--claims', '300', '--json', tpFile]);
  const bundles = await run('bench:bundles', ['--cold-start', '--runs', '5', '--node', node22]);
  const ledgerDir = join(work, 'ledger');
  const ledgerArgs = ['--entries', '20000', '--days', '3', '--data-dir', ledgerDir];
  const fill = await run('bench:ledger', [...ledgerArgs, '--fill-only']);
  const ledgerRuns: { command: string; output: string; seconds: number; file: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const file = join(work, `ledger-${i}.json`);
    ledgerRuns.push({ ...(await run('bench:ledger', [...ledgerArgs, '--json', file])), file });
  }
  const decide = await run('bench:decide', ['--runs', '5', '--decisions', '100000']);

  // ------------------------------------------------------------------ the figures against the aims
  type Usage = Record<'transitions' | 'emails' | 'writeUnits', Summary>;
  const c = await json<{
    perKind: Record<'auto' | 'return' | 'approval', Usage>;
    designs: Record<'makegood' | 'classic' | 'floor', { totalPerMillionClaims: number; perMillionClaims: Record<string, number> }>;
  }>(costFile);
  const t = await json<{
    endToEndClaimsPerSecond: Summary;
    putsPerClaimRatio: Summary;
    p99RatioAt20: Summary;
    rawDynalitePutsPerSecond: Summary;
  }>(tpFile);
  const ledger = await Promise.all(
    ledgerRuns.map((r) => json<{ measured: { label: string; entriesPerSecond: number }[] }>(r.file).then((x) => x.measured)),
  );
  const ledgerRate = (prefix: string) =>
    summary(ledger.map((m) => m.find((x) => x.label.startsWith(prefix))?.entriesPerSecond ?? Number.NaN));
  const verify = ledgerRate('verify');
  const exportRate = ledgerRate('export');
  const usd = (x: number) => `$${x.toFixed(0)}`;
  const aims: [string, string, boolean][] = [
    ['at most 3 state transitions per auto claim', formatSummary(c.perKind.auto.transitions), c.perKind.auto.transitions.max <= 3],
    [
      'at most 6 per escalated claim (approved by link, then returned)',
      formatSummary(c.perKind.approval.transitions),
      c.perKind.approval.transitions.max <= 6,
    ],
    [
      'at most $200 per 1M claims for the mix',
      `${usd(c.designs.makegood.totalPerMillionClaims)} per 1M claims`,
      c.designs.makegood.totalPerMillionClaims <= 200,
    ],
    ['at least 60 claims/s end to end', `${formatSummary(t.endToEndClaimsPerSecond, 1)} claims/s`, t.endToEndClaimsPerSecond.median >= 60],
    [
      'at least 1/6 of raw dynalite puts/s',
      `1/${formatSummary(t.putsPerClaimRatio, 1)} of ${formatSummary(t.rawDynalitePutsPerSecond)} puts/s`,
      t.putsPerClaimRatio.median <= 6,
    ],
    ['intake p99 at 20 clients at most 3× the no-op server’s', `${formatSummary(t.p99RatioAt20, 1)}×`, t.p99RatioAt20.median <= 3],
    [
      'ledger verify and export at least 50,000 entries/s',
      `verify ${formatSummary(verify)}, export ${formatSummary(exportRate)} entries/s (20,000 entries)`,
      verify.median >= 50_000 && exportRate.median >= 50_000,
    ],
  ];

  const minutes = (Date.now() - started) / 60_000;
  const block = (r: { command: string; output: string }) => `\`${r.command}\`\n\n\`\`\`\n${r.output}\n\`\`\``;
  const section = [
    BEGIN,
    `## The latest \`npm run bench\`: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${describeMachine()}; load average ${loadBefore} when it began; ${minutes.toFixed(1)} minutes in all.`,
    'Every figure below was printed by the command above it, in this run.',
    '',
    '| aim (issue 15) | this run | met |',
    '| --- | --- | --- |',
    ...aims.map(([aim, figure, met]) => `| ${aim} | ${figure} | ${met ? 'yes' : 'no'} |`),
    '',
    '### What a claim costs on AWS',
    '',
    block(cost),
    '',
    '### Embedded throughput against the floor',
    '',
    block(throughput),
    '',
    '### The cold start proxy',
    '',
    block(bundles),
    '',
    '### Finance: ledger verify and export',
    '',
    block(fill),
    '',
    ...ledgerRuns.flatMap((r, i) => [`Run ${i + 1} of ${ledgerRuns.length}: ${block(r)}`, '']),
    '### The policy engine',
    '',
    block(decide),
    END,
  ].join('\n');
  console.log(`\nAll benchmarks: ${minutes.toFixed(1)} minutes`);
  for (const [aim, figure, met] of aims) console.log(`  ${met ? 'met    ' : 'not met'}  ${aim}: ${figure}`);
  if (!values['no-write']) {
    const file = join(repoRoot, 'bench/RESULTS.md');
    const old = await readFile(file, 'utf8');
    const at = old.indexOf(BEGIN);
    const end = old.indexOf(END);
    const next =
      at >= 0 && end > at ? `${old.slice(0, at)}${section}${old.slice(end + END.length)}` : old.replace(/\n## /, `\n${section}\n\n## `); // first run: before the first hand-written entry
    await writeFile(file, next);
    console.log(`bench/RESULTS.md: the section between its markers rewritten`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
