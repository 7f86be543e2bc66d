import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Issue } from '#domain/errors.ts';

/** One area of the `makegood` command (`policy`, `ledger`, …). */
export interface Command {
  /** Runs with the arguments after the area's name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** A mistake in the command line: the command prints it with its usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the command reports in one sentence (and the problems by path), with exit code 1. */
export class Refused extends Error {
  override readonly name = 'Refused';
  constructor(
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
  }
}

/**
 * A command from its body: a {@link UsageError} is printed with `usage` and exits 2, a
 * {@link Refused} is printed with its problems and exits 1; anything else propagates.
 */
export function commandOf(run: (argv: string[]) => Promise<number>, usage: string, io: { err(text: string): void }): Command {
  return {
    async run(argv) {
      try {
        return await run(argv);
      } catch (err) {
        if (err instanceof UsageError) {
          io.err(`${err.message}\n${usage}`);
          return 2;
        }
        if (err instanceof Refused) {
          io.err(`${err.message}\n${err.issues.map((i) => `  ${i.path}: ${i.message}\n`).join('')}`);
          return 1;
        }
        throw err;
      }
    },
  };
}

/** `--limit`: a whole number from 1 to `max` (at most 9999); a {@link UsageError} naming the flag otherwise. */
export function parseLimit(text: string, max: number): number {
  const n = /^[1-9][0-9]{0,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n <= max)) throw new UsageError(`--limit must be a whole number from 1 to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

/** The options of a command, as `parseArgs` takes them. */
type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseSubcommand} read: help asked for, no subcommand, or one with its arguments and options. */
export type Subcommand<S extends string, O extends ParseArgsOptionsConfig> =
  | { readonly kind: 'help' }
  | undefined
  | {
      readonly kind: 'subcommand';
      readonly name: S;
      readonly args: string[];
      readonly values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];
    };

/**
 * Reads `<subcommand> [arguments] [--options]` (and `--help`/`-h`) for the command `area`: a
 * {@link UsageError} names an unknown option or subcommand, and an option its subcommand does not
 * take (`allowed` lists them per subcommand).
 */
export function parseSubcommand<S extends string, O extends ParseArgsOptionsConfig>(
  area: string,
  argv: string[],
  options: O,
  allowed: Readonly<Record<S, readonly string[]>>,
): Subcommand<S, O> {
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [sub, ...args] = positionals;
  if ((values as Record<string, unknown>).help === true) return { kind: 'help' };
  if (sub === undefined) return undefined;
  if (!Object.hasOwn(allowed, sub)) throw new UsageError(`${area}: unknown subcommand ${sub}`);
  const name = sub as S;
  for (const [option, value] of Object.entries(values)) {
    if (value !== undefined && option !== 'help' && !allowed[name].includes(option)) {
      throw new UsageError(`${area} ${name}: --${option} does not apply`);
    }
  }
  return { kind: 'subcommand', name, args, values };
}
