/**
 * The `makegood` command. Each area (policy, ledger, …) is a module exporting a `Command`;
 * this file only dispatches.
 */
import type { Command } from './command.ts';

const commands: Record<string, () => Promise<{ command: Command }>> = {
  actions: () => import('./actions.ts'),
  claims: () => import('./claims.ts'),
  ledger: () => import('./ledger.ts'),
  keys: () => import('./keys.ts'),
  policy: () => import('./policy.ts'),
  storefront: () => import('./storefront.ts'),
  webhooks: () => import('./webhooks.ts'),
};

async function main(argv: string[]): Promise<number> {
  const [area, ...rest] = argv;
  const load = area && Object.hasOwn(commands, area) ? commands[area] : undefined;
  if (!load) {
    process.stderr.write(`usage: makegood <${Object.keys(commands).join('|') || 'command'}> …\n`);
    return area === undefined || area === '--help' ? 0 : 2;
  }
  const { command } = await load();
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
