/**
 * `makegood actions list|succeed|fail|cash`: manual mode, for a storefront that answers its
 * actions by hand instead of by API (finance marking refunds paid from the bank statement).
 *
 * - `list [--storefront id | --claim id] [--limit n] [--format text|json]` shows each storefront's
 *   requested actions, oldest first (or every action of one claim, with its status and answer).
 * - `succeed <actionId> --provider p --reference r [--amount 27.50] [--credit-code c] [--tracking t] [--by name]`
 *   and `fail <actionId> --provider p --reference r --reason text [--by name]` record the shop's
 *   answer as the person named by `--by` (the use case `reportAction`, actor `operator`). A lower
 *   `--amount` than a refund's is allowed here only, and warned about: the rest stays owed.
 * - `cash <creditActionId> [--by name]`: the customer asked for the cash instead of the store
 *   credit that recovered a failed refund (the use case `requestCashInstead`).
 *
 * The claim comes from the action id (`act_<claimId>_<seq>`), the storefront from the claim's
 * entries; `--storefront`, when given, must be that storefront.
 *
 * Exit codes: 0 done (an answer given again, the same, is done too: nothing is written), 1 refused
 * (no such claim, action or storefront; another storefront's claim; an action already answered;
 * an amount the action does not allow; a claim still settling; no stack to talk to), 2 usage.
 * `--data-dir` picks the embedded stack's data directory; `MAKEGOOD_LEDGER_TABLE` in the
 * environment picks a deployed stack instead (see `connect.ts`).
 */
import { parseArgs } from 'node:util';
import { type Action, actionsOf, parseActionId } from '#domain/actions.ts';
import { type ActionReport, actionReportSchema, actionView } from '#domain/api/action.ts';
import { DomainError, type Issue, toIssues } from '#domain/errors.ts';
import { type Actor, type LedgerEntry, statusOf } from '#domain/ledger.ts';
import { type Money, minorDigits, parseMajorUnits } from '#domain/money.ts';
import type { Deps } from '#ports';
import { listRequestedActions, reportAction, requestCashInstead } from '#usecases/actions.ts';
import {
  amountText,
  amountWarning,
  type ClaimActions,
  claimActionsJson,
  formatCash,
  formatClaimActions,
  formatReport,
  formatStorefrontActions,
  receiptJson,
  type StorefrontActions,
  storefrontActionsJson,
} from './actions-format.ts';
import { type Command, commandOf, parseLimit, Refused, UsageError } from './command.ts';

/** The ports the command uses: those of the action use cases (they append, email and index). */
export type ActionsDeps = Pick<Deps, 'ledger' | 'state' | 'mailer' | 'mailFrom' | 'clock' | 'secrets' | 'publicUrl'>;

/** Where the command writes, how it reaches a stack, and who runs it: replaced by tests. */
export interface ActionsIo {
  out(text: string): void;
  err(text: string): void;
  /** Opens the stack in `dataDir` (or the deployed one); `target` names it. */
  connect(dataDir: string | undefined): Promise<{ deps: ActionsDeps; target: string }>;
  /** The login name of the person at the command line (`$USER`), the default of `--by`. */
  user(): string | undefined;
}

/** Actions shown per storefront unless `--limit` says otherwise, and the most it may say. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Actions read per page of the storefront's queue (the most `GET /v1/actions` gives). */
const PAGE = 100;

/** `--by` when neither it nor `$USER` is given. */
const DEFAULT_OPERATOR = 'operator';

export const USAGE = `usage:
  makegood actions list [--storefront id | --claim claimId] [--limit n] [--format text|json]
  makegood actions succeed <actionId> --provider p --reference r [--amount 27.50] [--credit-code c] [--tracking t]
                           [--storefront id] [--by name] [--format text|json]
  makegood actions fail <actionId> --provider p --reference r --reason text [--storefront id] [--by name] [--format text|json]
  makegood actions cash <creditActionId> [--storefront id] [--by name] [--format text|json]

Manual mode: answer what a storefront is asked to do (refund, store_credit, replacement) by hand,
as a person, instead of by POST /v1/claims/{claimId}/actions/{actionId}.

list     each storefront's requested actions (of one with --storefront), oldest first: action id,
         claim, type, amount, items, when it was requested, status and reference; --limit (default
         ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}) bounds each storefront's list and says when more exist.
         --claim shows every action of one claim, whatever its status, with its answer.
succeed  records that the shop did it: --provider (bank, stripe, shopify, dhl, …) and --reference
         (the statement line, refund id, gift-card id or shipment id) are required. --amount is what
         was paid, in major units of the action's currency (27.50); it defaults to the action's
         amount. Only a refund may be recorded for less (a payout read off a bank statement): the
         rest stays owed, a warning says so, and ledger verify lists it. --credit-code (store credit)
         and --tracking (replacement) are emailed to the customer. A paid refund moves its amount
         from refunds_payable to cash.
fail     records that the shop could not do it, --reason saying why. A failed refund starts the
         policy's recovery (onPayoutFailure): store credit with its bonus, printed as created.
cash     the customer asked for the cash instead of the store credit that recovered a failed
         refund: the credit is withdrawn (or, already issued, its code is to be voided) and the
         refund is asked again, printed as created.
An action has one answer: the same answer again (same status and reference) is done and writes
nothing; another is refused. The claim is the action id's (act_<claimId>_<seq>); --storefront, if
given, must own it. --by names the person recorded as operator:<name> (default: $USER, else
"${DEFAULT_OPERATOR}"). --format json prints the receipt ({"action","created"}) as the API answers it.
options: --data-dir <dir> (the embedded stack's data; default ./.makegood); MAKEGOOD_LEDGER_TABLE and
MAKEGOOD_STATE_TABLE in the environment (with AWS credentials) use a deployed stack instead.
exit codes: 0 done, 1 refused (no such claim, action or storefront; another storefront's; already
answered; an amount the action does not allow; the claim still settling; no stack), 2 usage.
`;

type Format = 'text' | 'json';

/** What every subcommand that acts on one action carries. */
interface OneAction {
  readonly actionId: string;
  readonly claimId: string;
  readonly storefrontId?: string;
  /** The operator's name, for `operator:<name>`. */
  readonly by: string;
  readonly format: Format;
  readonly dataDir?: string;
}

/** What the command line asks for. */
export type ActionsRequest =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'list';
      readonly storefrontId?: string;
      readonly claimId?: string;
      readonly limit: number;
      readonly format: Format;
      readonly dataDir?: string;
    }
  | (OneAction & {
      readonly kind: 'report';
      /** The report without its amount, checked by the schema; the amount needs the action's currency. */
      readonly report: ActionReport;
      /** `--amount` as typed, when given. */
      readonly amount?: string;
    })
  | (OneAction & { readonly kind: 'cash' });

const subcommands = ['list', 'succeed', 'fail', 'cash'] as const;
type Subcommand = (typeof subcommands)[number];

/** The options each subcommand takes (besides `--help`). */
const allowed: Record<Subcommand, readonly string[]> = {
  list: ['storefront', 'claim', 'limit', 'format', 'data-dir'],
  succeed: ['provider', 'reference', 'amount', 'credit-code', 'tracking', 'storefront', 'by', 'format', 'data-dir'],
  fail: ['provider', 'reference', 'reason', 'storefront', 'by', 'format', 'data-dir'],
  cash: ['storefront', 'by', 'format', 'data-dir'],
};

/** Why an option does not apply, where a generic "does not apply" would leave the person guessing. */
const misplaced: Partial<Record<Subcommand, Record<string, string>>> = {
  succeed: { reason: '--reason is for fail (a success has no failure reason)' },
  fail: {
    amount: '--amount is for succeed (a failure records the amount the action asked)',
    'credit-code': '--credit-code is for succeed (a failed credit has no code)',
    tracking: '--tracking is for succeed (a failed replacement has no tracking)',
  },
};

/** The command-line option of each field of a report, for the problems the schema finds. */
const optionOf: Record<string, string> = {
  provider: '--provider',
  reference: '--reference',
  amount: '--amount',
  failureReason: '--reason',
  creditCode: '--credit-code',
  tracking: '--tracking',
};

const STOREFRONT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CLAIM_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** What a person types as an amount: digits, maybe a decimal point or comma and decimals. */
const AMOUNT = /^\d{1,12}(?:[.,]\d+)?$/;
/** An operator's name: printable, no control characters, at most 100 characters. */
const OPERATOR = /^[^\p{Cc}]{1,100}$/u;

/**
 * Reads the command line; throws a usage error naming the argument that is wrong. `undefined`
 * when no subcommand is given. `user` is the default of `--by`.
 */
export function parseActionsArgs(argv: string[], user?: string): ActionsRequest | undefined {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [sub, ...args] = positionals;
  if (values.help) return { kind: 'help' };
  if (sub === undefined) return undefined;
  if (!(subcommands as readonly string[]).includes(sub)) throw new UsageError(`actions: unknown subcommand ${sub}`);
  const name = sub as Subcommand;
  for (const [option, value] of Object.entries(values)) {
    if (value === undefined || allowed[name].includes(option)) continue;
    throw new UsageError(`actions ${name}: ${misplaced[name]?.[option] ?? `--${option} does not apply`}`);
  }
  const dataDir = values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] };
  const storefront = values.storefront;
  if (storefront !== undefined && !STOREFRONT_ID.test(storefront)) {
    throw new UsageError(`--storefront must be a storefront id (1–64 letters, digits, _ or -), not ${JSON.stringify(storefront)}`);
  }
  const storefrontId = storefront === undefined ? {} : { storefrontId: storefront };
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not ${JSON.stringify(format)}`);
  if (name === 'list') {
    if (args.length > 0) throw new UsageError(`actions list: unexpected argument ${JSON.stringify(args[0])}`);
    const claim = values.claim;
    if (claim !== undefined) {
      if (!CLAIM_ID.test(claim)) throw new UsageError(`--claim must be a claim id (clm_…), not ${JSON.stringify(claim)}`);
      if (storefront !== undefined) throw new UsageError('--claim and --storefront: give one (a claim names its storefront)');
      if (values.limit !== undefined) throw new UsageError('--limit does not apply with --claim (every action of the claim is shown)');
    }
    return {
      kind: 'list',
      ...storefrontId,
      ...(claim === undefined ? {} : { claimId: claim }),
      limit: values.limit === undefined ? DEFAULT_LIMIT : parseLimit(values.limit, MAX_LIMIT),
      format,
      ...dataDir,
    };
  }
  const what = name === 'cash' ? 'the store-credit action id' : 'the action id';
  if (args.length !== 1) throw new UsageError(`actions ${name}: expected 1 argument (${what}), not ${args.length}`);
  const actionId = args[0] as string;
  const named = parseActionId(actionId);
  if (!named) {
    throw new UsageError(
      `actions ${name}: ${JSON.stringify(actionId)} is not an action id (act_<claimId>_<seq>, as makegood actions list shows it)`,
    );
  }
  const one: OneAction = { actionId, claimId: named.claimId, ...storefrontId, by: operatorOf(values.by, user), format, ...dataDir };
  if (name === 'cash') return { kind: 'cash', ...one };
  for (const [option, value] of [
    ['provider', values.provider],
    ['reference', values.reference],
    ...(name === 'fail' ? [['reason', values.reason]] : []),
  ] as const) {
    if (value === undefined) throw new UsageError(`actions ${name}: --${option} is required`);
  }
  if (values.amount !== undefined && !AMOUNT.test(values.amount.trim())) {
    throw new UsageError(`--amount must be an amount in major units as on the statement (27.50), not ${JSON.stringify(values.amount)}`);
  }
  const report = checkedReport({
    status: name === 'succeed' ? 'succeeded' : 'failed',
    provider: values.provider,
    reference: values.reference,
    ...(values.reason === undefined ? {} : { failureReason: values.reason }),
    ...(values['credit-code'] === undefined ? {} : { creditCode: values['credit-code'] }),
    ...(values.tracking === undefined ? {} : { tracking: values.tracking }),
  });
  return { kind: 'report', ...one, report, ...(values.amount === undefined ? {} : { amount: values.amount.trim() }) };
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      storefront: { type: 'string' },
      claim: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      provider: { type: 'string' },
      reference: { type: 'string' },
      amount: { type: 'string' },
      reason: { type: 'string' },
      'credit-code': { type: 'string' },
      tracking: { type: 'string' },
      by: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** `--by`, else the login name, else {@link DEFAULT_OPERATOR}. */
function operatorOf(by: string | undefined, user: string | undefined): string {
  if (by === undefined) {
    const login = user?.trim();
    return login && OPERATOR.test(login) ? login : DEFAULT_OPERATOR;
  }
  const name = by.trim();
  if (!OPERATOR.test(name))
    throw new UsageError(`--by must name the person (1–100 characters, no control characters), not ${JSON.stringify(by)}`);
  return name;
}

/** The report as `POST /v1/claims/{id}/actions/{actionId}` would take it, or a usage error naming the options that are wrong. */
function checkedReport(body: Record<string, unknown>): ActionReport {
  const parsed = actionReportSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = toIssues(parsed.error.issues).map((i) => `  ${optionOf[i.path] ?? i.path}: ${i.message}`);
  throw new UsageError(`The answer is not one that can be recorded:\n${problems.join('\n')}`);
}

/** The `actions` command, writing through `io`. */
export function actionsCommand(io: ActionsIo): Command {
  return commandOf((argv) => runActions(argv, io), USAGE, io);
}

async function runActions(argv: string[], io: ActionsIo): Promise<number> {
  const request = parseActionsArgs(argv, io.user());
  if (request === undefined || request.kind === 'help') {
    io.out(USAGE);
    return request === undefined ? 2 : 0;
  }
  const { deps, target } = await io.connect(request.dataDir).catch((err: unknown) => {
    throw new Refused((err as Error).message);
  });
  switch (request.kind) {
    case 'list': {
      if (request.claimId !== undefined) {
        const claim = await actionsOfClaim(request.claimId, deps);
        if (request.format === 'json') {
          io.err(`actions list: ${target}\n`);
          io.out(claimActionsJson(claim));
        } else io.out(formatClaimActions(claim, { target }));
        return 0;
      }
      const listing = await requestedActions(
        { ...(request.storefrontId === undefined ? {} : { storefrontId: request.storefrontId }), limit: request.limit },
        deps,
      );
      if (request.format === 'json') {
        io.err(`actions list: ${target}\n`);
        io.out(storefrontActionsJson(listing));
      } else io.out(formatStorefrontActions(listing, { target, limit: request.limit }));
      return 0;
    }
    case 'report': {
      const entries = await deps.ledger.entries(request.claimId);
      const { storefrontId, currency } = ownerOf(request, entries);
      const action = actionsOf(entries).find((a) => a.actionId === request.actionId);
      const amount = amountOf(request.amount, action, currency);
      const report = checkedReport({ ...request.report, ...(amount ? { amount: { ...amount } } : {}) });
      const answered = await refusing(() =>
        reportAction(
          {
            storefrontId,
            claimId: request.claimId,
            actionId: request.actionId,
            report,
            actor: operator(request.by),
            // Only a person reading a statement may record another amount; the use case allows only less, for a refund.
            ...(request.amount === undefined ? {} : { allowOtherAmount: true }),
          },
          deps,
        ),
      );
      printAnswer(io, request.format, formatReport({ ...answered, storefrontId, target }), answered.receipt);
      const warning = amountWarning(answered.receipt.action);
      if (warning) io.err(warning);
      // The same status and reference are the same answer, whatever amount came with it: the first one stands.
      const recorded = answered.receipt.action.result?.amount;
      if (answered.replayed && request.amount !== undefined && amount && recorded && recorded.amount !== amount.amount) {
        io.err(
          `warning: --amount ${amountText(amount)} was not recorded: the answer recorded before, with this reference, has ${amountText(recorded)}.\n`,
        );
      }
      return 0;
    }
    case 'cash': {
      const entries = await deps.ledger.entries(request.claimId);
      const { storefrontId } = ownerOf(request, entries);
      const answered = await refusing(() =>
        requestCashInstead({ storefrontId, claimId: request.claimId, actionId: request.actionId, actor: operator(request.by) }, deps),
      );
      printAnswer(io, request.format, formatCash({ ...answered, storefrontId, target }), answered.receipt);
      return 0;
    }
  }
}

function operator(name: string): Actor {
  return { kind: 'operator', name };
}

/** Prints what an answer recorded: its text, or the receipt as JSON (with a note on stderr when nothing was written). */
function printAnswer(io: ActionsIo, format: Format, text: string, receipt: Parameters<typeof receiptJson>[0]): void {
  if (format === 'text') {
    io.out(text);
    return;
  }
  io.err(text);
  io.out(receiptJson(receipt));
}

/**
 * The storefront that owns the claim of an action (the one its entries name), and the claim's
 * currency. Refuses a claim that is not there, and one of another storefront than `--storefront`.
 */
function ownerOf(
  request: Pick<OneAction, 'actionId' | 'claimId' | 'storefrontId'>,
  entries: readonly LedgerEntry[],
): { storefrontId: string; currency: string } {
  const first = entries[0];
  if (!first) throw new Refused(`No action ${request.actionId}: there is no claim ${request.claimId}`);
  if (request.storefrontId !== undefined && request.storefrontId !== first.storefrontId) {
    throw new Refused(
      `Action ${request.actionId} is of claim ${request.claimId} of storefront ${first.storefrontId}, not ${request.storefrontId}; nothing was recorded`,
    );
  }
  return { storefrontId: first.storefrontId, currency: first.currency };
}

/**
 * The amount to report: `--amount` read in the action's currency (the claim's, when the action
 * is not there: the use case then says why), else the action's own amount (none for a replacement).
 */
function amountOf(typed: string | undefined, action: Action | undefined, claimCurrency: string): Money | undefined {
  if (typed === undefined) return action && action.type !== 'replacement' ? action.amount : undefined;
  const currency = action?.amount.currency ?? claimCurrency;
  const amount = parseMajorUnits(typed, currency);
  if (!amount) {
    const digits = minorDigits(currency);
    throw new UsageError(`--amount ${typed}: ${currency} has ${digits === 0 ? 'no decimals' : `${digits} decimals at most`}`);
  }
  return amount;
}

/**
 * Runs a use case, turning the domain's refusals into a {@link Refused} with their problems by
 * option; `after` ends the sentence.
 */
async function refusing<T>(run: () => Promise<T>, after = '; nothing was recorded'): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const issues: readonly Issue[] = 'issues' in err ? (err.issues as readonly Issue[]) : [];
    throw new Refused(
      `${err.message}${after}`,
      issues.map((i) => ({ path: optionOf[i.path] ?? i.path, message: i.message })),
    );
  }
}

/** Every action of one claim, with its status and answer. Refuses a claim that is not there. */
export async function actionsOfClaim(claimId: string, deps: Pick<ActionsDeps, 'ledger'>): Promise<ClaimActions> {
  const entries = await deps.ledger.entries(claimId);
  const first = entries[0];
  if (!first) throw new Refused(`No claim ${claimId}`);
  return { claimId, storefrontId: first.storefrontId, status: statusOf(entries) ?? null, actions: actionsOf(entries).map(actionView) };
}

/**
 * Every storefront's (or one storefront's) requested actions, at most `limit` each, oldest first,
 * paging through the queue. Refuses a storefront that was named and is not there.
 */
export async function requestedActions(
  options: { storefrontId?: string; limit: number },
  deps: Pick<ActionsDeps, 'state'>,
): Promise<StorefrontActions[]> {
  const ids = options.storefrontId === undefined ? (await deps.state.storefronts()).sort() : [options.storefrontId];
  const out: StorefrontActions[] = [];
  for (const storefrontId of ids) {
    const actions: StorefrontActions['actions'][number][] = [];
    let cursor: string | undefined;
    do {
      // One more than shown says whether more exist.
      const limit = Math.min(PAGE, options.limit + 1 - actions.length);
      const page = await refusing(() => listRequestedActions({ storefrontId, limit, ...(cursor ? { cursor } : {}) }, deps), '');
      actions.push(...page.actions);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined && actions.length <= options.limit);
    if (actions.length === 0 && options.storefrontId !== undefined && !(await deps.state.storefront(storefrontId))) {
      throw new Refused(`No storefront ${storefrontId}`);
    }
    out.push({ storefrontId, actions: actions.slice(0, options.limit), more: actions.length > options.limit });
  }
  return out;
}

/** The command as `makegood actions` runs it: stdout, stderr, the real stack, the login name. */
export const command: Command = actionsCommand({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  connect: async (dataDir) => {
    // Loaded only now: it brings the AWS SDK and the embedded runtime, which a usage error does not need.
    const { connect } = await import('./connect.ts');
    const { deps, target } = await connect(dataDir);
    return { deps, target };
  },
  user: () => process.env.USER,
});
