import * as z from 'zod';
import { deliverWebhooks, type LaneRun } from '#usecases/deliver-webhooks.ts';
import { businessMetrics } from './business-metrics.ts';
import { count, invocation, logger } from './observability.ts';
import { runtimeDeps } from './runtime.ts';

/** Runs of one lane per invocation at most: a backlog is drained in a few runs, not forever. */
const MAX_RUNS_PER_LANE = 20;

/**
 * What wakes the dispatcher: the ledger's stream (new entries name their storefront), a schedule
 * (every storefront with webhooks), or the embedded runtime's pump (the same as a schedule, or
 * named storefronts).
 */
const streamSchema = z.object({
  Records: z.array(
    z.object({ dynamodb: z.object({ NewImage: z.object({ storefrontId: z.object({ S: z.string() }) }).optional() }).optional() }),
  ),
});
const namedSchema = z.object({ storefronts: z.array(z.string().min(1)).optional() }).loose();

/** Which storefronts' lanes to run for a wake-up: those named, or every storefront. */
export function storefrontsToRun(event: unknown): string[] | 'all' {
  const stream = streamSchema.safeParse(event);
  if (stream.success)
    return [...new Set(stream.data.Records.flatMap((r) => (r.dynamodb?.NewImage ? [r.dynamodb.NewImage.storefrontId.S] : [])))];
  return namedSchema.parse(event ?? {}).storefronts ?? 'all';
}

/**
 * The webhook dispatcher: for each storefront woken, runs its delivery lane until nothing is due
 * (or another dispatcher holds it). Lanes run side by side, so a slow receiver holds up only its
 * own storefront's events. A 410 Gone is logged as an error for operators (and alarmed on).
 */
export const handler = invocation(
  async (event: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<{ lanes: LaneRun[] }> => {
    const deps = runtimeDeps();
    const named = storefrontsToRun(event);
    const storefronts = named === 'all' ? await deps.state.storefronts() : named;
    const onDisabled = (storefrontId: string, url: string, reason: string) => {
      count(businessMetrics.webhookDeliveriesFailed);
      logger.error('Webhook endpoint disabled', {
        storefrontId,
        url,
        reason,
        action: 'set the endpoint again, then `makegood webhooks redeliver --failed`',
      });
    };
    // A run may take five rounds of attempts: none is started that the function's time could not finish.
    const runMs = 5 * deps.webhooks.timeoutMs + 10_000;
    const timeLeft = () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    const settled = await Promise.allSettled(
      storefronts.map(async (storefrontId) => {
        let last: LaneRun = { storefrontId, ran: true, delivered: 0, retrying: 0, failed: 0, dropped: 0, waiting: 0 };
        for (let run = 0; run < MAX_RUNS_PER_LANE && timeLeft() > runMs; run++) {
          last = await deliverWebhooks({ storefrontId, onDisabled }, deps);
          // Again only while the receiver takes what it is sent: a failing one waits for the next wake-up.
          if (!last.ran || last.retrying + last.failed > 0 || last.delivered + last.dropped === 0) break;
        }
        return last;
      }),
    );
    // One lane failing (a throttled read, say) neither stops the others nor hides their results.
    const lanes: LaneRun[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') lanes.push(r.value);
      else logger.error('Webhook lane failed', { storefrontId: storefronts[i], error: r.reason as Error });
    });
    count(
      businessMetrics.webhookDeliveriesFailed,
      lanes.reduce((sum, lane) => sum + lane.failed, 0),
    );
    return { lanes };
  },
);
