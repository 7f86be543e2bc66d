/** `makegood ledger <export|verify|report> …`: finance's view of the ledger. */
import type { Command } from './command.ts';

const subcommands: Record<string, () => Promise<{ command: Command }>> = {
  export: () => import('./ledger-export.ts'),
  verify: () => import('./ledger-verify.ts'),
  digest: () => import('./ledger-digest.ts'),
  report: () => import('./ledger-report.ts'),
};

export const command: Command = {
  async run(argv) {
    const [name, ...rest] = argv;
    const load = name ? subcommands[name] : undefined;
    if (!load) {
      process.stderr.write(`usage: makegood ledger <${Object.keys(subcommands).join('|')}> …\n`);
      return name === undefined || name === '--help' ? 0 : 2;
    }
    return (await load()).command.run(rest);
  },
};
