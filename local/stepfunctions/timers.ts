/**
 * setTimeout without Node's 2^31-1 ms limit: a long wait is armed as a chain of timers of at most
 * `chunkMs` each. The timers are unref'd: the server keeps a running engine alive, a pending
 * timer alone should not.
 * @returns a function that cancels it.
 */
export function setLongTimeout(fn: () => void, ms: number, chunkMs: number): () => void {
  const due = Date.now() + Math.max(0, ms);
  let handle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = due - Date.now();
    if (left <= 0) {
      handle = undefined;
      fn();
      return;
    }
    handle = setTimeout(arm, Math.min(left, chunkMs));
    handle.unref();
  };
  arm();
  return () => clearTimeout(handle);
}
