/**
 * `makegood ledger digest --storefront ID [--date DAY] [--since DAY] [--out MANIFEST.json] [--data-dir DIR]`:
 * prints the storefront's digest as of the end of a day. Write the line down (or keep the
 * manifest); `makegood ledger verify --against` proves later that nothing changed.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { storefrontDigest } from '#usecases/ledger-verify.ts';
import type { Command } from './command.ts';
import { connect } from './connect.ts';
import { parseInstant, UsageError } from './ledger-window.ts';

const USAGE =
  'usage: makegood ledger digest --storefront ID [--date DAY] [--since DAY] [--out MANIFEST.json] [--data-dir DIR]\n' +
  '  --date: the state as of the end of that UTC day (default: yesterday); --since: first day covered (default: 365 days before --date).\n';

const day = (d: Date) => d.toISOString().slice(0, 10);

export const command: Command = {
  async run(argv) {
    let values: { storefront?: string; date?: string; since?: string; out?: string; 'data-dir'?: string; help?: boolean };
    let date: string;
    let since: string;
    try {
      values = parseArgs({
        args: argv,
        options: {
          storefront: { type: 'string' },
          date: { type: 'string' },
          since: { type: 'string' },
          out: { type: 'string' },
          'data-dir': { type: 'string' },
          help: { type: 'boolean' },
        },
      }).values;
      if (values.help) {
        process.stdout.write(USAGE);
        return 0;
      }
      if (!values.storefront) throw new UsageError('--storefront is required');
      date = values.date === undefined ? day(new Date(Date.now() - 86_400_000)) : day(parseInstant(values.date, 'date'));
      since = values.since === undefined ? day(new Date(Date.parse(date) - 365 * 86_400_000)) : day(parseInstant(values.since, 'since'));
      if (since > date) throw new UsageError('--since must not be after --date');
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    try {
      const { deps, target } = await connect(values['data-dir']);
      process.stderr.write(`ledger digest: ${target}\n`);
      const m = await storefrontDigest({ storefrontId: values.storefront, since, date }, deps);
      const { line, entries, ...manifest } = m;
      if (values.out) await writeFile(values.out, `${JSON.stringify(manifest, null, 2)}\n`);
      process.stderr.write(
        `${m.days.length} day(s) with entries, ${m.days.reduce((s, d) => s + d.heads.length, 0)} claim heads, ${entries} entries${values.out ? `; manifest written to ${values.out}` : ''}\n`,
      );
      process.stdout.write(`${line}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`ledger digest: ${(err as Error).message}\n`);
      return 1;
    }
  },
};
