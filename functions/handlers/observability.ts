import { AsyncLocalStorage } from 'node:async_hooks';
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { Outcome } from '#domain/decide.ts';
import type { Money } from '#domain/money.ts';
import type { GrantKind, SettlementObserver } from '#usecases/conclude.ts';
import { type BusinessMetric, businessMetrics } from './business-metrics.ts';

/**
 * Logs and metrics of one function, the same in both modes. Log lines are JSON (Powertools Logger)
 * with the Lambda context and, once an invocation names it, the claim id (`claimId`, the correlation id).
 * Metrics are CloudWatch embedded metric format (Powertools Metrics) in namespace `makegood`, and
 * are off in the embedded runtime (`POWERTOOLS_METRICS_DISABLED`), which has no CloudWatch.
 *
 * Traces are X-Ray (Powertools Tracer): a subsegment per invocation, annotated with the claim id,
 * and one per AWS SDK call (deps.ts captures each client it builds). Tracing is on only inside
 * Lambda with active tracing, and off in the embedded runtime and the tests
 * (`POWERTOOLS_TRACE_ENABLED=false`), which have no X-Ray daemon.
 *
 * None of them ever carries a customer's name or email address: log calls pass ids, counts and
 * errors, and test/integration/observability.test.ts checks a whole claim's lines for its
 * customer; metric dimensions are closed sets (business-metrics.ts); and the Tracer records no
 * handler response and no error as metadata (adapters/tracing.ts), since either may quote a claim.
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

/**
 * The tracer (adapters/tracing.ts), once a module that builds SDK clients brought it in
 * (runtime.ts, {@link traceInvocations}). Health and ApiDocs call no AWS service and import
 * none: their bundles stay without the X-Ray SDK (about 120 KB), and Lambda's own segment
 * still times their invocations.
 */
let tracer: Tracer | undefined;

/** Gives every later invocation a trace subsegment of its own, and the claim id as its annotation. */
export function traceInvocations(functionTracer: Tracer): void {
  tracer = functionTracer;
}

/** Counts `value` of a business metric in this invocation. */
export function count(metric: BusinessMetric, value = 1): void {
  if (value > 0) metrics.addMetric(metric, MetricUnit.Count, value);
}

/**
 * Writes one business metric with dimensions of its own, at once (a single-metric line): the
 * invocation's buffer shares one set of dimensions among all its metrics. Written when the entry
 * it reports is recorded, so a run that dies later has still counted it, and only once.
 */
function emitNow(
  metric: string,
  dimensions: Readonly<Record<string, string>>,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit],
  value: number,
): void {
  const single = metrics.singleMetric();
  for (const [name, dimension] of Object.entries(dimensions)) single.addDimension(name, dimension);
  single.addMetric(metric, unit, value);
}

/** Counts a claim whose outcome was told, by outcome. */
export function countConcluded(outcome: Outcome): void {
  emitNow(businessMetrics.claimsConcluded, { outcome }, MetricUnit.Count, 1);
}

/** Adds value granted, in minor units, by currency and kind (never zero or negative). */
export function addGranted(kind: GrantKind, amount: Money): void {
  if (amount.amount > 0) emitNow(businessMetrics.valueGranted, { currency: amount.currency, kind }, MetricUnit.NoUnit, amount.amount);
}

/** What Conclude tells the business metrics (see {@link SettlementObserver}). */
export const settlementMetrics: SettlementObserver = { concluded: countConcluded, granted: addGranted };

/**
 * Wraps a handler: the Lambda context goes on every log line, a fresh correlation for the
 * invocation, a trace subsegment for it (inside Lambda with tracing on), and the invocation's
 * metrics are written when it ends, whether it threw or not.
 */
export function invocation<E, R, C extends Partial<Context> = Context>(
  fn: (event: E, context?: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context as Context);
    const active = tracer?.isTracingEnabled() ? tracer : undefined;
    const traced = active?.getSegment();
    const subsegment = traced?.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
    if (active && traced && subsegment) {
      active.setSegment(subsegment);
      active.annotateColdStart();
      active.addServiceNameAnnotation();
    }
    try {
      return await correlation.run({}, () => fn(event, context));
    } catch (err) {
      // Flags the subsegment as failed; the tracer (adapters/tracing.ts) keeps the error itself out.
      active?.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      if (active && traced && subsegment) {
        subsegment.close();
        active.setSegment(traced);
      }
    }
  };
}

/**
 * Names the claim this invocation is about: every later line of it carries it as `claimId`, and
 * its trace as the `claimId` annotation (an opaque id, searchable in X-Ray).
 */
export function correlate(claimId: string): void {
  const store = correlation.getStore();
  if (store) store.claimId = claimId;
  tracer?.putAnnotation('claimId', claimId);
}
