import { AsyncLocalStorage } from 'node:async_hooks';
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { type BusinessMetric, businessMetrics } from './business-metrics.ts';

/**
 * Logs and metrics of one function, the same in both modes. Log lines are JSON (Powertools Logger)
 * with the Lambda context and, once an invocation names it, the claim id (`claimId`, the correlation id).
 * Metrics are CloudWatch embedded metric format (Powertools Metrics) in namespace `makegood`, and
 * are off in the embedded runtime (`POWERTOOLS_METRICS_DISABLED`), which has no CloudWatch.
 *
 * Neither ever carries a customer's name or email address: log calls pass ids, counts and errors,
 * and test/integration/observability.test.ts checks a whole claim's lines for its customer.
 */

/** The claim an invocation is about, kept per invocation: the embedded runtime runs many at once. */
const correlation = new AsyncLocalStorage<{ claimId?: string }>();

/** Powertools' standard keys, plus the invocation's `claimId`. */
class CorrelatedLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
        claimId: correlation.getStore()?.claimId,
      },
    }).addAttributes(additional);
  }
}

/** One structured logger per function. */
export const logger = new Logger({ serviceName: businessMetrics.service, logFormatter: new CorrelatedLogFormatter() });

/** One metrics buffer per function, flushed at the end of each invocation. */
export const metrics = new Metrics({ namespace: businessMetrics.namespace, serviceName: businessMetrics.service });

/** Counts `value` of a business metric in this invocation. */
export function count(metric: BusinessMetric, value = 1): void {
  if (value > 0) metrics.addMetric(metric, MetricUnit.Count, value);
}

/**
 * Wraps a handler: the Lambda context goes on every log line, a fresh correlation for the
 * invocation, and the invocation's metrics are written when it ends, whether it threw or not.
 */
export function invocation<E, R, C extends Partial<Context> = Context>(
  fn: (event: E, context?: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context as Context);
    try {
      return await correlation.run({}, () => fn(event, context));
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/** Names the claim this invocation is about: every later line of it carries it as `claimId`. */
export function correlate(claimId: string): void {
  const store = correlation.getStore();
  if (store) store.claimId = claimId;
}
