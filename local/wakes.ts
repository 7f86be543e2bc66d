/**
 * What the ledger's stream and EventBridge's schedule do in the cloud, in-process: every
 * `pollMs`, invokes the function once per storefront (`{storefronts: [id]}`) whose previous
 * invocation has finished. One storefront's slow receiver therefore holds up only its own next
 * wake-up. The storefront list is read again every few seconds. An invocation that fails is
 * logged; the next tick tries again.
 */
export function startWakes(
  fn: (event: unknown) => Promise<unknown>,
  options: { name: string; pollMs: number; storefronts: () => Promise<string[]>; log: (line: string) => void },
): { stop(): Promise<void> } {
  const REFRESH_MS = 2_000;
  const inFlight = new Map<string, Promise<unknown>>();
  let known: string[] = [];
  let refreshedAt = 0;
  let refreshing: Promise<void> | undefined;
  let stopped = false;
  const refresh = async () => {
    try {
      known = await options.storefronts();
      refreshedAt = Date.now();
    } catch (err) {
      options.log(`[${options.name}] could not list storefronts: ${String(err)}`);
    } finally {
      refreshing = undefined;
    }
  };
  const tick = () => {
    if (stopped) return;
    if (!refreshing && Date.now() - refreshedAt >= REFRESH_MS) refreshing = refresh();
    for (const storefrontId of known) {
      if (inFlight.has(storefrontId)) continue;
      const p = fn({ storefronts: [storefrontId] })
        .catch((err: unknown) => options.log(`[${options.name}] failed for ${storefrontId}: ${String(err)}`))
        .finally(() => inFlight.delete(storefrontId));
      inFlight.set(storefrontId, p);
    }
  };
  const timer = setInterval(tick, options.pollMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([refreshing, ...inFlight.values()]);
    },
  };
}
