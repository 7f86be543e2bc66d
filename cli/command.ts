/** One area of the `makegood` command (`policy`, `ledger`, …). */
export interface Command {
  /** Runs with the arguments after the area's name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}
