/** A one-line progress bar for a terminal, drawn on stderr. */

const WIDTH = 30;

/** The bar's text for a fraction done (0–1) and a count: `[██████░░░…]  20%  1,234 entries`. */
export function progressLine(fraction: number, count: number, unit = 'entries'): string {
  const f = Math.min(Math.max(Number.isFinite(fraction) ? fraction : 0, 0), 1);
  const full = Math.round(f * WIDTH);
  const percent = String(Math.floor(f * 100)).padStart(3, ' ');
  return `[${'█'.repeat(full)}${'░'.repeat(WIDTH - full)}] ${percent}%  ${count.toLocaleString('en')} ${unit}`;
}

/** Redraws a progress line in place, at most every `intervalMs`; does nothing when not on a terminal. */
export class ProgressBar {
  private last = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalMs = 100,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(fraction: number, count: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (this.drawn && now - this.last < this.intervalMs) return;
    this.last = now;
    this.drawn = true;
    this.stream.write(`\r${progressLine(fraction, count)}\x1b[K`);
  }

  /** Removes the bar, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
