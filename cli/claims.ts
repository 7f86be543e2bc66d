/**
 * `makegood claims retry <claimId> [--by name] [--format text|json] [--data-dir dir]`: re-runs a
 * failed claim from the step that failed (the use case `retryClaim`). Against the embedded stack
 * (`--data-dir`, default ./.makegood) or a deployed one (`MAKEGOOD_LEDGER_TABLE`,
 * `MAKEGOOD_STATE_TABLE` and `MAKEGOOD_STATE_MACHINE_ARN` in the environment; see `connect.ts`).
 *
 * Exit codes: 0 started, 1 refused (no such claim, a claim that has not failed, no stack), 2 usage.
 */
import { parseArgs } from 'node:util';
import { DomainError } from '#domain/errors.ts';
import type { Deps } from '#ports';
import { type RetriedClaim, retryClaim } from '#usecases/retry-claim.ts';
import { type Command, commandOf, Refused, UsageError } from './command.ts';

export const USAGE = `usage:
  makegood claims retry <claimId> [--by name] [--format text|json] [--data-dir dir]

retry    re-runs a claim whose workflow failed (status "failed"), from the step that failed: a new
         execution <claimId>-retry-<n> goes straight back to that step (a failed decision is
         decided again). What the failed run already did (a refund settled, an email sent) is found
         done and not repeated. A retried entry records it, as operator:<name> (--by; default
         $USER, else "operator"). Running it again before the retry got anywhere starts nothing new.
options: --data-dir <dir> (the embedded stack's data; default ./.makegood); MAKEGOOD_LEDGER_TABLE,
MAKEGOOD_STATE_TABLE and MAKEGOOD_STATE_MACHINE_ARN in the environment (with AWS credentials) use a
deployed stack instead.
exit codes: 0 started, 1 refused (no such claim, a claim that has not failed, no stack), 2 usage.
`;

/** Where the command writes and how it reaches a stack: replaced by tests. */
export interface ClaimsIo {
  out(text: string): void;
  err(text: string): void;
  connect(dataDir: string | undefined): Promise<{ deps: Pick<Deps, 'ledger' | 'workflow'>; target: string }>;
  user(): string | undefined;
}

export function claimsCommand(io: ClaimsIo): Command {
  return commandOf(
    async (argv) => {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === 'help') {
        io.out(USAGE);
        return 0;
      }
      if (sub !== 'retry') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}`);
      let parsed: ReturnType<typeof parseRetry>;
      try {
        parsed = parseRetry(rest);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const { values, positionals } = parsed;
      const [claimId, ...extra] = positionals;
      if (!claimId || extra.length > 0) throw new UsageError('retry takes exactly one claim id');
      const format = values.format ?? 'text';
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not ${JSON.stringify(format)}`);
      const by = values.by ?? io.user() ?? 'operator';
      const { deps, target } = await io.connect(values['data-dir']).catch((err: Error) => {
        throw new Refused(err.message);
      });
      let retried: RetriedClaim;
      try {
        retried = await retryClaim(claimId, { kind: 'operator', name: by }, deps);
      } catch (err) {
        if (err instanceof DomainError) throw new Refused(`${err.message}; nothing was recorded`);
        throw err;
      }
      io.out(
        format === 'json'
          ? `${JSON.stringify(retried)}\n`
          : `${target}: claim ${retried.claimId} failed with ${retried.error}; retry ${retried.round} started as ${retried.execution}, resuming at ${retried.resumesAt}\n`,
      );
      return 0;
    },
    USAGE,
    io,
  );
}

function parseRetry(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { by: { type: 'string' }, format: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
}

/** The command as `makegood claims` runs it. */
export const command: Command = claimsCommand({
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
