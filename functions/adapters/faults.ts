import { Readable } from 'node:stream';
import type { FaultPlan, FaultRule, FaultService } from '#config';

/**
 * Fault injection for tests (MAKEGOOD_FAULTS, see functions/config.ts, which refuses it outside
 * tests). {@link injectFaults} adds one middleware to an AWS SDK client, at the bottom of its
 * stack: after the retry middleware and the signer, just above the HTTP handler. So each attempt
 * the SDK makes meets the fault on its own, and what the client sees is what a real service
 * would have caused:
 *
 * - `throttle` and `server_error` answer with the HTTP response the service sends (DynamoDB's
 *   `ProvisionedThroughputExceededException` or `InternalServerError`, SES's 429
 *   `TooManyRequestsException`, a 500 `InternalFailure`), and the SDK's own deserializer turns it
 *   into its own exception class, with its status code and metadata. Its retry strategy
 *   (standard mode: exponential backoff with full jitter) then decides, as in production.
 * - `server_error` with `when: "after"` sends the request first and loses the answer: the
 *   write happened, and the SDK's retry meets it (a conditional write then fails its condition).
 * - `delay` holds the request body back on the socket for `delayMs`: the service sees nothing
 *   until then. A delay longer than the client's request timeout is cut off by the SDK as a
 *   service that does not answer would be (`TimeoutError`, retried), and that attempt never
 *   reaches the service; a shorter one only makes the call slow.
 *
 * Which call gets a fault is drawn from a PRNG seeded by the plan's seed, one stream per rule:
 * the same seed and the same order of matching calls give the same faults. Every fault
 * injected in this process is listed by {@link injectedFaults}, so a test can tell that the
 * faults it asked for happened.
 */

/** A fault that was injected: where, and which. */
export interface InjectedFault {
  /** The rule's index in the plan's `rules`. */
  readonly rule: number;
  readonly service: FaultService;
  readonly operation: string;
  readonly fault: FaultRule['fault'];
  /** For `server_error`: whether the request was carried out before the answer was lost. */
  readonly when?: 'before' | 'after';
}

const injected: InjectedFault[] = [];

/** Every fault injected in this process so far, oldest first. */
export function injectedFaults(): readonly InjectedFault[] {
  return [...injected];
}

/** Forgets the faults injected so far (a test calls it before it acts). */
export function clearInjectedFaults(): void {
  injected.length = 0;
}

/** mulberry32: a small, fast 32-bit PRNG; uniform in [0, 1). Plenty for choosing faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a over a string: gives each rule a stream of its own from the plan's one seed. */
function streamSeed(seed: number, service: FaultService, index: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${service}:${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** The error answer each service gives, in its own protocol (awsJson1_0 or restJson1). */
function errorResponse(service: FaultService, fault: 'throttle' | 'server_error', requestId: string): FaultResponse {
  const json = (statusCode: number, type: string, message: string, contentType: string): FaultResponse => ({
    statusCode,
    reason: statusCode === 500 ? 'Internal Server Error' : statusCode === 429 ? 'Too Many Requests' : 'Bad Request',
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, 'x-amzn-errortype': type },
    body: new TextEncoder().encode(JSON.stringify({ __type: type, message })),
  });
  const amzJson = 'application/x-amz-json-1.0';
  switch (service) {
    case 'dynamodb':
      return fault === 'throttle'
        ? json(
            400,
            'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded (injected fault)',
            amzJson,
          )
        : json(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error (injected fault)', amzJson);
    case 'sfn':
      return fault === 'throttle'
        ? json(400, 'ThrottlingException', 'Rate exceeded (injected fault)', amzJson)
        : json(500, 'InternalFailure', 'The request processing has failed (injected fault)', amzJson);
    case 'ses':
      return fault === 'throttle'
        ? json(429, 'TooManyRequestsException', 'Maximum sending rate exceeded (injected fault)', 'application/json')
        : json(500, 'InternalFailure', 'The request processing has failed (injected fault)', 'application/json');
  }
}

/** The parts of the SDK's HttpResponse its deserializers read. */
interface FaultResponse {
  readonly statusCode: number;
  readonly reason: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/** The parts of the SDK's HttpRequest this middleware touches. */
interface WireRequest {
  body?: unknown;
}

/** A readable that gives `bytes` only after `ms`, and stops its timer when it is torn down. */
function heldBack(bytes: Buffer, ms: number): Readable {
  let timer: NodeJS.Timeout | undefined;
  const stream = new Readable({
    read() {
      if (timer) return;
      timer = setTimeout(() => {
        this.push(bytes);
        this.push(null);
      }, ms);
    },
    destroy(err, done) {
      clearTimeout(timer);
      done(err);
    },
  });
  // The SDK destroys the request when its timeout fires; the pipe then lets go of this stream.
  stream.once('unpipe', () => stream.destroy());
  return stream;
}

/** The bytes of a request body: the SDK gives a string, or bytes (its JSON protocols' body is a Uint8Array). */
function bodyBytes(body: unknown): Buffer | undefined {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
}

/** Throws away an answer the fault replaces, so its socket goes back to the pool. */
function drain(response: unknown): void {
  const body = (response as { body?: unknown } | undefined)?.body;
  if (body instanceof Readable) body.resume();
}

/** What a client must offer to take the middleware: the SDK clients' own middleware stack. */
export interface FaultableClient {
  readonly middlewareStack: {
    add(
      middleware: <A extends { request: unknown }, R extends { response: unknown }>(
        next: (args: A) => Promise<R>,
        context: { commandName?: string },
      ) => (args: A) => Promise<R>,
      options: { step: 'deserialize'; name: string; priority: 'low' },
    ): void;
  };
}

/**
 * Adds the plan's rules for `service` to `client`. Rules are tried in order; the first whose
 * operations and `bodyIncludes` match, whose `times` is not used up and whose draw falls under
 * its `rate` decides the attempt. A client without rules for its service is left as it is.
 */
export function injectFaults(client: FaultableClient, service: FaultService, plan: FaultPlan): void {
  const rules = plan.rules
    .map((rule, index) => ({ rule, index, random: seededRandom(streamSeed(plan.seed, service, index)), used: 0 }))
    .filter(({ rule }) => rule.service === service);
  if (rules.length === 0) return;
  let requests = 0;
  client.middlewareStack.add(
    <A extends { request: unknown }, R extends { response: unknown }>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
      async (args: A): Promise<R> => {
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        let text: string | undefined;
        const hit = rules.find((r) => {
          if (r.rule.operations && !r.rule.operations.includes(operation)) return false;
          if (r.rule.bodyIncludes !== undefined) {
            text ??= bodyBytes((args.request as WireRequest).body)?.toString('utf8') ?? '';
            if (!text.includes(r.rule.bodyIncludes)) return false;
          }
          if (r.rule.times !== undefined && r.used >= r.rule.times) return false;
          // Drawn only for matching calls, so a rule's faults depend on its own calls alone.
          return r.random() < r.rule.rate;
        });
        if (!hit) return next(args);
        hit.used++;
        const { rule } = hit;
        const requestId = `fault-${service}-${++requests}`;
        const at = { rule: hit.index, service, operation };
        switch (rule.fault) {
          case 'throttle':
            injected.push({ ...at, fault: rule.fault });
            // Below the deserializer the HTTP handler answers `{ response }` alone, as this does.
            return { response: errorResponse(service, 'throttle', requestId) } as unknown as R;
          case 'server_error': {
            injected.push({ ...at, fault: rule.fault, when: rule.when });
            if (rule.when === 'after') drain((await next(args)).response);
            return { response: errorResponse(service, 'server_error', requestId) } as unknown as R;
          }
          case 'delay': {
            injected.push({ ...at, fault: rule.fault });
            const request = args.request as WireRequest;
            const bytes = bodyBytes(request.body);
            if (!bytes) {
              // No body to hold back (a GET): the wait happens before the request, where no SDK timeout sees it.
              await new Promise((r) => setTimeout(r, rule.delayMs));
              return next(args);
            }
            // The signed request of this attempt is the SDK's own copy: the next attempt is signed afresh.
            const slow = Object.assign(Object.create(Object.getPrototypeOf(request) as object) as WireRequest, request, {
              body: heldBack(bytes, rule.delayMs),
            });
            return next({ ...args, request: slow });
          }
        }
      },
    { step: 'deserialize', name: 'makegoodFaults', priority: 'low' },
  );
}
