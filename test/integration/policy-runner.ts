import { connect } from '../../cli/connect.ts';
import { policyCommand } from '../../cli/policy.ts';

/**
 * Runs `makegood policy …` in-process against the embedded stack in `dataDir`, as the CLI does, on
 * a terminal that answers `answer` to every question (no terminal when it is undefined).
 */
export async function runPolicy(
  dataDir: string,
  argv: readonly string[],
  answer?: boolean,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const command = policyCommand({
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    connect: async (dir) => {
      const { deps, target } = await connect(dir);
      return { state: deps.state, ledger: deps.ledger, target };
    },
    now: () => new Date(),
    ...(answer === undefined ? {} : { confirm: async () => answer }),
  });
  const code = await command.run([...argv, '--data-dir', dataDir]);
  return { code, out, err };
}
