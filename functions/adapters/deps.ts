import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config, FaultService } from '#config';
import { TransientError } from '#domain/errors.ts';
import type { FunctionAccess } from '#handlers/registry.ts';
import type { Clock, Deps, LedgerStore, Mailer, Outbox, Secrets, StateStore, Workflow } from '#ports';
import { type AccessPort, portsGranted } from './bundle-access.ts';
import { DynamoLedger } from './dynamo-ledger.ts';
import { DynamoOutbox } from './dynamo-outbox.ts';
import { DynamoState } from './dynamo-state.ts';
import { type FaultableClient, injectFaults } from './faults.ts';
import { HttpWebhookSender } from './http-webhook-sender.ts';
import { withOutbox } from './outbox-ledger.ts';
import { directoryStore, SECRET_CACHE_MS, type SecretStore, StoreSecrets, secretKinds, secretsManagerStore } from './secrets.ts';
import { SesMailer } from './ses-mailer.ts';
import { StepFunctionsWorkflow } from './sfn-workflow.ts';
import { tracer } from './tracing.ts';

const systemClock: Clock = { now: () => new Date() };

/** Everything: the embedded runtime, the CLI and the tests wire every port. */
const fullAccess: FunctionAccess = {
  ledger: 'append',
  state: 'readwrite',
  mail: 'send',
  workflow: ['start', 'callback', 'describe'],
  secrets: secretKinds,
};

/** A workflow port for a function granted workflow access but given no state machine: calling it is a wiring bug. */
const noWorkflow: Workflow = {
  start: () => Promise.reject(new Error('MAKEGOOD_STATE_MACHINE_ARN is required to start executions')),
  succeed: () => Promise.reject(new Error('MAKEGOOD_STATE_MACHINE_ARN is required to answer task tokens')),
  status: () => Promise.reject(new Error('MAKEGOOD_STATE_MACHINE_ARN is required to describe executions')),
};

/**
 * The stand-in for a port that the function's access does not grant: each of its methods rejects
 * with an error naming the port and the method, so a use the registry does not allow fails
 * loudly (in a Lambda bundle the port's client is not even in the code).
 */
function notGranted<P extends object>(port: AccessPort, name: string): P {
  return new Proxy({} as P, {
    get: (_, method) =>
      // Not `then`: the stand-in is no promise. Not symbols: inspection and coercion see a plain object.
      typeof method === 'string' && method !== 'then'
        ? () =>
            Promise.reject(
              new Error(
                `${name}.${method}() was called, but this function's access grants no ${port} (functions/handlers/registry.ts): ` +
                  'makeDeps built no adapter for it',
              ),
            )
        : undefined,
  });
}

/**
 * How each client retries and how long one attempt may take. Set here, in code, so that neither
 * AWS_MAX_ATTEMPTS / AWS_RETRY_MODE nor a profile's `retry_mode` changes them behind our back.
 *
 * - Standard mode, not adaptive: exponential backoff with full jitter, and a retry quota that
 *   stops retrying when most calls fail. Adaptive mode adds a client-side rate limiter that
 *   delays even first attempts; a Lambda container lives too briefly for it to learn a rate.
 * - DynamoDB: 4 attempts, the SDK's own default for DynamoDB. Its throttling comes in short
 *   bursts, and every write here is idempotent on retry (conditional puts by step and sequence,
 *   grants recognised by their id), so a retry of a write that went through is harmless.
 * - SES, Step Functions, Secrets Manager: 3 attempts. `SendEmail` is not idempotent: a retry
 *   after an attempt that the service carried out sends the email again, so they stay few.
 * - Timeouts: without them a call that never answers waits for the Lambda to be killed (25 s),
 *   which Step Functions reports as `Lambda.Unknown`, a name no Retry matches. With them a
 *   stalled attempt fails with the SDK's `TimeoutError` (a transient error), which it retries
 *   itself on a fresh connection. 5 s is a hundred times what these services take, and leaves
 *   room for the embedded emulators on a loaded machine. Every attempt stalling still fits the
 *   function's 25 s: 4 × 5 s for DynamoDB, 3 × 5 s for the others, plus under 0.4 s of backoff
 *   (a throttled attempt answers at once, and its backoff is at most 1 + 2 + 4 s).
 *
 * Whatever outlives these attempts becomes a {@link TransientError} (see {@link surfaceTransient}),
 * which the ASL's Retry tries again with its own, longer backoff; so a short blip costs an SDK
 * retry, and a longer outage a workflow retry, not a failed claim.
 */
export const clientSettings = {
  maxAttempts: { dynamodb: 4, ses: 3, sfn: 3, secretsmanager: 3 },
  retryMode: 'standard',
  /** A TCP connection not made in this long is given up (and retried). */
  connectionTimeoutMs: 1_000,
  /** An attempt without an answer in this long fails with `TimeoutError` (and is retried). */
  requestTimeoutMs: 5_000,
} as const;

/**
 * The SDK clients' logger: no-ops, as the SDK's default is, but without `info`. The SDK's logger
 * middleware calls `logger?.info?.({ input: filter(input), output: filter(output) })`, so with the
 * default logger (which has an `info`) it walks every request and response through its
 * schema-driven sensitive-data filter, for a Query page of 1,000 items all of it, and then throws
 * the result away. Without `info` the arguments are never built. The SDK calls `debug`, `warn`
 * and `error` without asking whether they exist, so those stay ("Reading the ledger" in
 * bench/RESULTS.md).
 */
export const sdkLogger = { debug() {}, warn() {}, error() {} } as unknown as NonNullable<DynamoDBClientConfig['logger']>;

function clientConfig(config: Config, service: keyof typeof clientSettings.maxAttempts, endpoint: string | undefined) {
  return {
    region: config.region,
    logger: sdkLogger,
    maxAttempts: clientSettings.maxAttempts[service],
    retryMode: clientSettings.retryMode,
    requestHandler: {
      connectionTimeout: clientSettings.connectionTimeoutMs,
      requestTimeout: clientSettings.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...(endpoint ? { endpoint } : {}),
  };
}

// The SDK's own classification of what its standard retry strategy retries (THROTTLING and
// TRANSIENT in @smithy/core's service-error-classification), restated here because that package
// is not ours to import.
const THROTTLING_NAMES = new Set([
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

interface SdkErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/** Whether the SDK would have retried this error, had it attempts and quota left. */
export function isRetryableSdkError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as SdkErrorShape;
  if (e.name === 'AbortError') return false;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    e.$retryable !== undefined ||
    status === 429 ||
    TRANSIENT_STATUS.has(status) ||
    THROTTLING_NAMES.has(e.name ?? '') ||
    TRANSIENT_NAMES.has(e.name ?? '') ||
    TRANSIENT_CODES.has(e.code ?? '')
  );
}

/**
 * Outermost middleware of every client: an error the SDK retried until it ran out of attempts
 * (or of retry quota) leaves the adapter as a {@link TransientError}, the one name the ASL's
 * Retry and the HTTP mapper (503 `try_again`) know for "try again later". The SDK's error stays
 * its `cause`, and its name is in the message, so RecordFailure still says what failed. Other
 * errors (a failed condition, a validation error) pass unchanged.
 */
function surfaceTransient(client: FaultableClient, service: string): void {
  const surface =
    <A, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
    async (args: A): Promise<R> => {
      try {
        return await next(args);
      } catch (err) {
        if (!isRetryableSdkError(err)) throw err;
        const e = err as SdkErrorShape & { message?: string };
        const operation = (context.commandName ?? 'a call').replace(/Command$/, '');
        throw new TransientError(
          `${service} ${operation} failed after ${e.$metadata?.attempts ?? 1} attempt(s): ${e.name ?? 'Error'}: ${e.message ?? ''}`,
          { cause: err },
        );
      }
    };
  // The SDK's stack types every step's middleware apart; this one only passes through or rethrows.
  const stack = client.middlewareStack as unknown as {
    add(middleware: typeof surface, options: { step: 'initialize'; name: string; priority: 'high' }): void;
  };
  stack.add(surface, { step: 'initialize', name: 'makegoodSurfaceTransient', priority: 'high' });
}

/** An email address in a service's error message. */
const ADDRESS_IN_TEXT = /[^\s@<>()[\]"',;:]+@[^\s@<>()[\]"',;:]+/g;

/**
 * Innermost of an SES client's middleware: an error's message loses every email address in it
 * (`<address>`) before anything above sees it. SES names the addresses it refused
 * ("MessageRejected: … failed the check in region …: ann@example.com"); without this, the X-Ray
 * SDK would record that text on the call's subsegment, and the logs would print it.
 */
function redactAddresses(client: FaultableClient): void {
  const redact =
    <A, R>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      try {
        return await next(args);
      } catch (err) {
        if (err instanceof Error) err.message = err.message.replace(ADDRESS_IN_TEXT, '<address>');
        throw err;
      }
    };
  const stack = client.middlewareStack as unknown as {
    add(middleware: typeof redact, options: { step: 'deserialize'; name: string; priority: 'high' }): void;
  };
  stack.add(redact, { step: 'deserialize', name: 'makegoodRedactAddresses', priority: 'high' });
}

/**
 * Wires a client: transient errors surfaced by name, the test's faults when there are any, and a
 * trace subsegment per call (tracing.ts; a no-op while tracing is off).
 */
function wired<C extends FaultableClient>(client: C, service: FaultService | 'secretsmanager', config: Config): C {
  surfaceTransient(client, service);
  // Fault injection is for tests, and refused inside Lambda (config.ts): not in a Lambda bundle at all.
  if ((typeof MAKEGOOD_BUNDLE_FAULTS === 'undefined' || MAKEGOOD_BUNDLE_FAULTS) && config.faults && service !== 'secretsmanager') {
    injectFaults(client, service, config.faults);
  }
  if (service === 'ses') redactAddresses(client);
  tracer.captureAWSv3Client(client);
  return client;
}

// One constant per port, put in place by esbuild's `define` in a function's Lambda bundle: `true`
// when the function's access grants the port, else `false` (bundle-access.ts, infra/bundling.ts).
// Nothing defines them outside a bundle: `typeof` then finds them undefined, and the access that
// makeDeps is given decides alone.
declare const MAKEGOOD_BUNDLE_LEDGER: boolean;
declare const MAKEGOOD_BUNDLE_STATE: boolean;
declare const MAKEGOOD_BUNDLE_MAIL: boolean;
declare const MAKEGOOD_BUNDLE_WORKFLOW: boolean;
declare const MAKEGOOD_BUNDLE_SECRETS: boolean;
/** `false` in every Lambda bundle (bundle-access.ts's {@link lambdaDefines}). */
declare const MAKEGOOD_BUNDLE_FAULTS: boolean;

/**
 * Where the secrets live: Secrets Manager under the configured prefix (AWS, and the CLI against a
 * deployed stack), else the embedded stack's directory. The CLI writes through the same store.
 */
export function secretStore(config: Config): SecretStore {
  return config.secretsPrefix
    ? secretsManagerStore(
        wired(new SecretsManagerClient(clientConfig(config, 'secretsmanager', undefined)), 'secretsmanager', config),
        config.secretsPrefix,
      )
    : directoryStore(config.secretsDir ?? '');
}

/** What {@link makeDeps} builds for. */
export interface MakeDepsOptions {
  /**
   * The function's access (registry.ts): a port it does not grant is a stand-in that rejects
   * every call, and its SDK client is never built.
   * @default every port
   */
  readonly access?: FunctionAccess;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * Builds the adapters of the ports an access grants, once per cold start. The embedded runtime,
 * the CLI and Lambda call this with the same code; only the configuration differs (endpoints on
 * loopback, a secrets file), and in a Lambda bundle the ports its function has no access to are
 * left out of the code (the constants above).
 */
export function makeDeps(config: Config, options: MakeDepsOptions = {}): Deps {
  const clock = options.clock ?? systemClock;
  const granted = portsGranted(options.access ?? fullAccess);
  // Each condition reads its bundle constant where it stands, not through a variable or a helper:
  // esbuild folds a literal only in place, and only a condition folded to `false` drops its branch
  // and, with it, the SDK client that nothing else imports.
  let documents: DynamoDBDocumentClient | undefined;
  const tables = () => {
    documents ??= DynamoDBDocumentClient.from(
      wired(new DynamoDBClient(clientConfig(config, 'dynamodb', config.endpoints.dynamodb)), 'dynamodb', config),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    return documents;
  };
  const outbox =
    (typeof MAKEGOOD_BUNDLE_STATE === 'undefined' || MAKEGOOD_BUNDLE_STATE) && granted.state
      ? new DynamoOutbox(tables(), config.stateTable)
      : notGranted<Outbox>('state', 'outbox');
  return {
    ledger:
      (typeof MAKEGOOD_BUNDLE_LEDGER === 'undefined' || MAKEGOOD_BUNDLE_LEDGER) && granted.ledger
        ? withOutbox(new DynamoLedger(tables(), config.ledgerTable, clock), outbox, clock)
        : notGranted<LedgerStore>('ledger', 'ledger'),
    state:
      (typeof MAKEGOOD_BUNDLE_STATE === 'undefined' || MAKEGOOD_BUNDLE_STATE) && granted.state
        ? new DynamoState(tables(), config.stateTable)
        : notGranted<StateStore>('state', 'state'),
    outbox,
    webhookSender: new HttpWebhookSender(),
    webhooks: config.webhooks,
    autoRetry: config.autoRetry,
    mailer:
      (typeof MAKEGOOD_BUNDLE_MAIL === 'undefined' || MAKEGOOD_BUNDLE_MAIL) && granted.mail
        ? new SesMailer(
            wired(new SESv2Client(clientConfig(config, 'ses', config.endpoints.ses)), 'ses', config),
            config.mailboxUrl,
            config.sesConfigurationSet,
          )
        : notGranted<Mailer>('mail', 'mailer'),
    workflow:
      (typeof MAKEGOOD_BUNDLE_WORKFLOW === 'undefined' || MAKEGOOD_BUNDLE_WORKFLOW) && granted.workflow
        ? config.stateMachineArn
          ? new StepFunctionsWorkflow(
              wired(new SFNClient(clientConfig(config, 'sfn', config.endpoints.sfn)), 'sfn', config),
              config.stateMachineArn,
            )
          : noWorkflow
        : notGranted<Workflow>('workflow', 'workflow'),
    secrets:
      (typeof MAKEGOOD_BUNDLE_SECRETS === 'undefined' || MAKEGOOD_BUNDLE_SECRETS) && granted.secrets
        ? new StoreSecrets(
            secretStore(config),
            (options.access ?? fullAccess).secrets,
            clock,
            // Secrets Manager is a paid round trip per read, so its secrets are cached; the embedded
            // stack's files are read every time, so a rotation by the CLI takes effect at once.
            config.secretsPrefix ? SECRET_CACHE_MS : 0,
          )
        : notGranted<Secrets>('secrets', 'secrets'),
    clock,
    mailFrom: config.mailFrom,
    publicUrl: config.publicUrl,
  };
}
