/**
 * `makegood policy validate|put|get|list|diff|simulate`: a storefront's policy, as versioned data.
 *
 * - `validate <file>` checks a document and lists every problem by path; it needs no stack.
 * - `put <file> [--storefront id]` publishes the document as the storefront's next version. Older
 *   versions stay as they were, and decisions already made keep the version they recorded. With
 *   `--simulate` it first prints what the document would have decided (as `simulate`), and
 *   publishes only once confirmed on a terminal, or with `--yes`.
 * - `get [--storefront id] [--version n]` prints a version (default: the current one) as JSON.
 * - `list [--storefront id]` lists the published versions, oldest first.
 * - `diff [--storefront id] <a> [<b>]` compares two versions or files, path by path; with one
 *   argument it compares the current version with that version or file.
 * - `simulate <draft> [--from] [--to] [--format text|json] [--out page.html]` replays the claims
 *   received in the window under the versions that decided them and under the draft, reading
 *   only (`#usecases/simulate-policy.ts`, `#domain/simulate.ts`).
 *
 * Exit codes: 0 done, 1 an invalid document, a missing policy or no stack to talk to, 2 usage.
 * `--data-dir` picks the embedded stack's data directory; `MAKEGOOD_LEDGER_TABLE` in the
 * environment picks a deployed stack instead (see `connect.ts`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { formatPath, type Issue, toIssues } from '#domain/errors.ts';
import { type Policy, type PolicyVersion, policySchema } from '#domain/policy.ts';
import type { LedgerStore, StateStore } from '#ports';
import { simulatePolicy } from '#usecases/simulate-policy.ts';
import { simulationHtml } from '#views/simulation.ts';
import { type Command, commandOf, Refused, UsageError } from './command.ts';
import { connect } from './connect.ts';
import { parseEnd, parseInstant } from './ledger-window.ts';
import { simulationText } from './policy-simulate.ts';

/** Where the command writes, and how it reaches a stack: replaced by tests. */
export interface PolicyIo {
  out(text: string): void;
  err(text: string): void;
  /** Opens the state store of the stack in `dataDir` (or the deployed one); `target` names it. */
  connect(dataDir: string | undefined): Promise<{ state: StateStore; ledger: LedgerStore; target: string }>;
  now(): Date;
  /** Asks a yes/no question on a terminal; absent when there is none to ask on. */
  confirm?(question: string): Promise<boolean>;
}

const USAGE = `usage:
  makegood policy validate <file>
  makegood policy put <file> [--storefront id] [--simulate [--yes]]
  makegood policy get [--storefront id] [--version n]
  makegood policy list [--storefront id]
  makegood policy diff [--storefront id] <version|file> [<version|file>]
  makegood policy simulate <draft.json> [--storefront id] [--from date] [--to date] [--format text|json] [--out report.html]
options: --data-dir <dir> (the embedded stack's data; default ./.makegood), --storefront (default: demo,
or for put and simulate the document's storefrontId); simulate replays the claims received from --from
(default: 90 days before --to) to --to (default: now; a day includes the whole day), as YYYY-MM-DD
or ISO times, and reads only
`;

/** The days `simulate` replays by default, up to now. */
const DEFAULT_WINDOW_DAYS = 90;
const DAY_MS = 86_400_000;

/** The storefront the embedded stack seeds. */
const DEFAULT_STOREFRONT = 'demo';

/** The `policy` command, writing through `io`. */
export function policyCommand(io: PolicyIo): Command {
  return commandOf((argv) => runPolicy(argv, io), USAGE, io);
}

async function runPolicy(argv: string[], io: PolicyIo): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [sub, ...args] = positionals;
  if (values.help || sub === undefined) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  const storefront = values.storefront;
  const expectArgs = (min: number, max: number) => {
    if (args.length < min || args.length > max)
      throw new UsageError(`policy ${sub}: expected ${min === max ? min : `${min} to ${max}`} argument(s)`);
  };
  const open = () =>
    io.connect(values['data-dir']).catch((err: unknown) => {
      throw new Refused((err as Error).message);
    });

  switch (sub) {
    case 'validate': {
      expectArgs(1, 1);
      const file = args[0] as string;
      const policy = await readPolicyFile(file);
      io.out(`${file}: a valid policy for storefront ${policy.storefrontId} (${summary(policy)})\n`);
      return 0;
    }
    case 'put': {
      expectArgs(1, 1);
      const policy = await readPolicyFile(args[0] as string);
      const id = storefront ?? policy.storefrontId;
      if (id !== policy.storefrontId) {
        throw new Refused(`The document is for storefront ${policy.storefrontId}, not ${id}`, [
          { path: 'storefrontId', message: `must be ${id} to publish it for ${id}` },
        ]);
      }
      const { state, ledger, target } = await open();
      if (values.simulate) {
        const to = io.now();
        const { report, reads } = await simulatePolicy(
          { state, ledger },
          { storefrontId: id, draft: policy, from: new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS), to },
        );
        io.out(simulationText(report, reads));
        if (!values.yes) {
          if (!io.confirm) throw new Refused('Not published: there is no terminal to confirm on; pass --yes to publish after the summary');
          if (!(await io.confirm(`Publish this policy as ${id} version ${report.draftVersion}?`))) {
            io.err('Not published\n');
            return 1;
          }
        }
      }
      const before = await state.currentPolicy(id);
      const published = await state.publishPolicy(id, policy, io.now());
      io.out(
        `Published ${id} policy version ${published.version}${before ? ` (was ${before.version}, which stays as it was)` : ''} to ${target}\n`,
      );
      return 0;
    }
    case 'get': {
      expectArgs(0, 0);
      const id = storefront ?? DEFAULT_STOREFRONT;
      const wanted = values.version === undefined ? undefined : versionNumber(values.version);
      const { state } = await open();
      const found = wanted === undefined ? await state.currentPolicy(id) : await state.policyVersion(id, wanted);
      if (!found) throw new Refused(notFound(id, wanted));
      io.out(`${JSON.stringify(found.policy, null, 2)}\n`);
      io.err(`${id} policy version ${found.version}, published ${found.publishedAt}\n`);
      return 0;
    }
    case 'list': {
      expectArgs(0, 0);
      const id = storefront ?? DEFAULT_STOREFRONT;
      const { state, target } = await open();
      const versions = await state.listPolicyVersions(id);
      if (versions.length === 0) throw new Refused(notFound(id, undefined));
      const current = versions.at(-1)?.version;
      io.out(`${id} policy versions in ${target}:\n`);
      for (const v of versions) {
        io.out(`${v.version === current ? '*' : ' '} ${String(v.version).padStart(4)}  ${v.publishedAt}  ${summary(v.policy)}\n`);
      }
      return 0;
    }
    case 'diff': {
      expectArgs(1, 2);
      const id = storefront ?? DEFAULT_STOREFRONT;
      const refs = args.length === 1 ? [undefined, args[0] as string] : [args[0] as string, args[1] as string];
      // Versions need the stack; two files do not.
      const needsStack = refs.some((r) => r === undefined || isVersion(r));
      const state = needsStack ? (await open()).state : undefined;
      const [a, b] = await Promise.all(refs.map((r) => resolveRef(r, id, state)));
      if (!a || !b) throw new Error('unreachable: both sides resolved');
      const changes = diffPolicies(a.policy, b.policy);
      io.out(`--- ${a.label}\n+++ ${b.label}\n`);
      io.out(changes.length === 0 ? 'no differences\n' : changes.map((c) => `${c}\n`).join(''));
      return 0;
    }
    case 'simulate': {
      expectArgs(1, 1);
      const draft = await readPolicyFile(args[0] as string);
      const id = storefront ?? draft.storefrontId;
      if (id !== draft.storefrontId) {
        throw new Refused(`The draft is for storefront ${draft.storefrontId}, not ${id}`, [
          { path: 'storefrontId', message: `must be ${id} to simulate it for ${id}` },
        ]);
      }
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not ${format}`);
      const to = values.to === undefined ? io.now() : parseEnd(values.to);
      const from = values.from === undefined ? new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS) : parseInstant(values.from, 'from');
      if (from.getTime() >= to.getTime()) throw new UsageError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
      const { state, ledger } = await open();
      const { report, reads } = await simulatePolicy({ state, ledger }, { storefrontId: id, draft, from, to });
      io.out(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : simulationText(report, reads));
      if (values.out !== undefined) {
        await writeFile(values.out, simulationHtml(report, io.now())).catch((err: NodeJS.ErrnoException) => {
          throw new Refused(`--out ${values.out}: cannot be written (${err.code ?? err.message}); the report above is complete`);
        });
        io.err(`Wrote ${values.out}\n`);
      }
      return 0;
    }
    default:
      throw new UsageError(`policy: unknown subcommand ${sub}`);
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      storefront: { type: 'string' },
      version: { type: 'string' },
      'data-dir': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      simulate: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function isVersion(ref: string): boolean {
  return /^[1-9][0-9]{0,7}$/.test(ref);
}

function versionNumber(text: string): number {
  if (!isVersion(text)) throw new UsageError(`--version must be a version number (1, 2, …), not ${text}`);
  return Number(text);
}

function notFound(storefront: string, version: number | undefined): string {
  return version === undefined ? `Storefront ${storefront} has no policy` : `Storefront ${storefront} has no policy version ${version}`;
}

/** One side of a diff: the current version (`undefined`), a version number, or a file. */
async function resolveRef(
  ref: string | undefined,
  storefront: string,
  state: StateStore | undefined,
): Promise<{ label: string; policy: Policy }> {
  if (ref !== undefined && !isVersion(ref)) return { label: ref, policy: await readPolicyFile(ref) };
  if (!state) throw new Error('unreachable: a version needs the stack');
  const wanted = ref === undefined ? undefined : Number(ref);
  const found: PolicyVersion | undefined =
    wanted === undefined ? await state.currentPolicy(storefront) : await state.policyVersion(storefront, wanted);
  if (!found) throw new Refused(notFound(storefront, wanted));
  return { label: `${storefront} version ${found.version}${ref === undefined ? ' (current)' : ''}`, policy: found.policy };
}

/** Reads and validates a policy file; refuses it with every problem listed by path. */
export async function readPolicyFile(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Refused(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Refused(`${file}: is not JSON (${(err as Error).message})`);
  }
  const problems = policyProblems(doc);
  if (problems.length > 0) throw new Refused(`${file}: ${problems.length} problem(s), the policy is refused`, problems);
  return policySchema.parse(doc);
}

/**
 * Every problem in a policy document, by path. The schema's cross-field checks sit on the objects
 * they read, so a type error in one part does not hide a problem in another.
 */
export function policyProblems(doc: unknown): Issue[] {
  const first = policySchema.safeParse(doc);
  if (first.success) return [];
  return toIssues(first.error.issues);
}

function summary(p: Policy): string {
  const tiers = p.approval.tiers.map((t) => `${t.role}${t.limit === null ? '' : ` ≤ ${t.limit}`}`).join(', ');
  return `${p.currency}, ${p.returns.windowDays}-day window, keep-it ≤ ${p.keepItThreshold}, tiers ${tiers}`;
}

/**
 * The differences between two policies, one line per changed path: `- path: old`, `+ path: new`
 * or `~ path: old → new`. Both are compared as parsed (defaults filled in), so a default written
 * out is no difference. Lists of plain values compare whole; lists of objects item by item.
 */
export function diffPolicies(a: Policy, b: Policy): string[] {
  const left = flatten(a);
  const right = flatten(b);
  const paths = [...new Set([...left.keys(), ...right.keys()])].sort();
  const out: string[] = [];
  for (const path of paths) {
    const x = left.get(path);
    const y = right.get(path);
    if (x === y) continue;
    if (x === undefined) out.push(`+ ${path}: ${y}`);
    else if (y === undefined) out.push(`- ${path}: ${x}`);
    else out.push(`~ ${path}: ${x} → ${y}`);
  }
  return out;
}

function flatten(value: unknown, path: PropertyKey[] = [], into = new Map<string, string>()): Map<string, string> {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null;
  if (Array.isArray(value) && value.some(isObject)) {
    value.forEach((v, i) => {
      flatten(v, [...path, i], into);
    });
  } else if (isObject(value) && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) into.set(formatPath(path), '{}');
    for (const [k, v] of entries) flatten(v, [...path, k], into);
  } else {
    into.set(formatPath(path), JSON.stringify(value));
  }
  return into;
}

/** The command as `makegood policy` runs it: stdout, stderr, the real stack, the real clock. */
export const command: Command = policyCommand({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  connect: async (dataDir) => {
    const { deps, target } = await connect(dataDir);
    return { state: deps.state, ledger: deps.ledger, target };
  },
  now: () => new Date(),
  ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
});

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
