/**
 * What EventBridge's schedule and the ledger's stream do in the cloud, in-process: invokes a
 * function every `pollMs`, with at most `maxConcurrent` invocations at once (like a Lambda
 * function's concurrency). An invocation that fails is logged; the next tick tries again.
 */
export function startWakes(
  fn: (event: unknown) => Promise<unknown>,
  options: { pollMs: number; maxConcurrent: number; log: (line: string) => void },
): { stop(): Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;
  const tick = () => {
    if (stopped || inFlight.size >= options.maxConcurrent) return;
    const p = fn({}).catch((err: unknown) => options.log(`[webhooks] dispatcher failed: ${String(err)}`));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const timer = setInterval(tick, options.pollMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
