import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The X-Ray tracer of a function (Powertools Tracer): deps.ts captures each AWS SDK client it
 * builds with it (a subsegment per call), and handlers/observability.ts opens a subsegment per
 * invocation. Tracing is on only inside Lambda with active tracing; the embedded runtime and the
 * tests set `POWERTOOLS_TRACE_ENABLED=false`, and have no X-Ray daemon to reach.
 *
 * What a trace may hold: names, timings, the SDK's whitelisted request fields (table and index
 * names, consumed capacity; never an item), and the claim id as an annotation. Never a customer's
 * name or address, hence the class below.
 */

/**
 * A Tracer that never adds a response or an error to a trace as metadata, whatever the
 * environment says: an HTTP response holds the claim (the customer's name and address), and an
 * error can quote one. The stack also sets `POWERTOOLS_TRACER_CAPTURE_RESPONSE` and
 * `POWERTOOLS_TRACER_CAPTURE_ERROR` to `false`, for whoever reads the function's configuration;
 * this class does not depend on them.
 */
class NoCustomerDataTracer extends Tracer {
  override addResponseAsMetadata(): void {}

  /** Flags the current subsegment as failed; the error itself stays out of the trace. */
  override addErrorAsMetadata(): void {
    if (this.isTracingEnabled()) this.getSegment()?.addErrorFlag();
  }
}

/**
 * One tracer per function. Outgoing HTTP outside the SDK clients (webhook deliveries) is not
 * traced: a receiver's URL may carry its own token, and the SDK clients are captured one by one.
 */
export const tracer: Tracer = new NoCustomerDataTracer({ serviceName: 'makegood', captureHTTPsRequests: false });
