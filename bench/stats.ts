/**
 * What every benchmark prints its figures with: the median of several runs with its min–max, a
 * percentile over samples, the machine it ran on, and the `--json` file `npm run bench` collects.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';

/** The median of several runs, with the lowest and highest. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function summary(xs: readonly number[]): Summary {
  if (xs.length === 0) throw new Error('summary of no runs');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 === 1 ? (s[Math.floor(mid)] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number, runs: s.length };
}

/** `median (min–max)`, with `digits` decimals. */
export function formatSummary(x: Summary, digits = 0): string {
  return x.min === x.max ? x.median.toFixed(digits) : `${x.median.toFixed(digits)} (${x.min.toFixed(digits)}–${x.max.toFixed(digits)})`;
}

/** The nearest-rank percentile `p` (0–100) of `samples`. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/** The machine, as RESULTS.md records it. */
export function machine(): { cores: number; cpu: string; memoryGiB: number; node: string; load1: number } {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function describeMachine(m = machine()): string {
  return `${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}`;
}

/** Integer argument `name` of at least `min`, or a clear stop. */
export function wholeArg(name: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min}; got ${JSON.stringify(value)}`);
  return n;
}

/** Writes what a benchmark measured where `npm run bench` asked for it (`--json FILE`), if it did. */
export async function writeJson(file: string | undefined, result: unknown): Promise<void> {
  if (file) await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
