import * as z from 'zod';
import type { AutoRetrySettings, WebhookSettings } from '#ports';

/** The value of {@link FAULTS_SWITCH} that lets {@link FAULTS_VARIABLE} take effect. */
export const FAULTS_SWITCH_VALUE = 'test-only';
/** The variable that holds a {@link FaultPlan} as JSON (tests only). */
export const FAULTS_VARIABLE = 'MAKEGOOD_FAULTS';
/** The explicit switch a test sets beside {@link FAULTS_VARIABLE}; without it, faults are refused. */
export const FAULTS_SWITCH = 'MAKEGOOD_ALLOW_FAULTS';

const faultCommon = {
  /** The client the rule applies to. */
  service: z.enum(['dynamodb', 'ses', 'sfn']),
  /** SDK operation names (`SendEmail`, `PutItem`, …); absent, every operation of the service. */
  operations: z
    .array(z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'must be an SDK operation name such as SendEmail or PutItem'))
    .min(1)
    .optional(),
  /**
   * Only calls whose request body (the JSON the SDK sends) contains this text, e.g. a table name
   * or a key such as `"sk":{"S":"TOTAL"}`; absent, every call of the operations.
   */
  bodyIncludes: z.string().min(1).optional(),
  /** The chance that a matching call gets the fault, drawn from the seeded PRNG. @default 1 */
  rate: z.number().min(0).max(1).default(1),
  /** At most this many faults from this rule, per client (per cold start). @default no limit */
  times: z.number().int().min(1).optional(),
};

const faultRuleSchema = z.discriminatedUnion('fault', [
  /** The service refuses the request for its rate (429 or its throttling error); nothing is done. */
  z.strictObject({ ...faultCommon, fault: z.literal('throttle') }),
  /**
   * The service answers 500. `before`: it did nothing. `after`: it carried the request out and
   * the answer was lost, as an AWS 500 allows; a retry then meets its own earlier write.
   */
  z.strictObject({ ...faultCommon, fault: z.literal('server_error'), when: z.enum(['before', 'after']).default('before') }),
  /**
   * The request reaches the service `delayMs` late (its body is held back on the socket), so the
   * SDK's request timeout cuts it off as it would a dependency that does not answer.
   */
  z.strictObject({ ...faultCommon, fault: z.literal('delay'), delayMs: z.number().int().min(1).max(600_000) }),
]);

const faultPlanSchema = z.strictObject({
  /** Seeds the PRNG: the same seed and the same sequence of calls give the same faults. */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  rules: z.array(faultRuleSchema).min(1),
});

/** One fault rule of {@link FaultPlan}: which calls, which fault, how often. */
export type FaultRule = z.infer<typeof faultRuleSchema>;
/** Faults the adapters inject into their AWS SDK clients (tests only; see functions/adapters/faults.ts). */
export type FaultPlan = z.infer<typeof faultPlanSchema>;
/** A {@link FaultPlan} as MAKEGOOD_FAULTS spells it: the fields with defaults may be left out. */
export type FaultPlanInput = z.input<typeof faultPlanSchema>;
/** A service a fault rule may name. */
export type FaultService = FaultRule['service'];

/**
 * Runtime configuration, read once per cold start from the environment. The embedded runtime and
 * Lambda set the same variables; only their values differ (endpoints, table names, secrets source).
 */
const configSchema = z
  .object({
    AWS_REGION: z.string().min(1).default('eu-west-1'),
    MAKEGOOD_LEDGER_TABLE: z.string().min(1),
    MAKEGOOD_STATE_TABLE: z.string().min(1),
    /** Step Functions state machine that runs statemachines/refund.asl.json. */
    MAKEGOOD_STATE_MACHINE_ARN: z.string().min(1).optional(),
    /** The Secrets Manager name prefix of the secrets, `<prefix>/approval-keys` and so on (cloud; adapters/secrets.ts). */
    MAKEGOOD_SECRETS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,256}$/, 'must be a Secrets Manager name prefix (letters, digits and /_+=.@-)')
      .optional(),
    /** The directory holding the secrets as files (embedded mode, under the data directory). */
    MAKEGOOD_SECRETS_DIR: z.string().min(1).optional(),
    /** Public base URL of the API, used in links sent by email. */
    MAKEGOOD_PUBLIC_URL: z.url().optional(),
    /** Sender of every email unless a storefront sets its own. */
    MAKEGOOD_MAIL_FROM: z.string().min(3).default('makegood@demo.test'),
    /** The SES configuration set every email is sent through, which publishes its bounces and complaints (infra/email.ts). */
    MAKEGOOD_SES_CONFIGURATION_SET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name: up to 64 letters, digits, _ and -')
      .optional(),
    /** Endpoint overrides: set by the embedded runtime to reach its emulators on loopback. */
    MAKEGOOD_DYNAMODB_ENDPOINT: z.url().optional(),
    MAKEGOOD_SES_ENDPOINT: z.url().optional(),
    MAKEGOOD_SFN_ENDPOINT: z.url().optional(),
    /**
     * The embedded SES emulator's mailbox, which can say whether an email with a given key went out
     * (local/emulators.ts). Set by the embedded runtime only: SES itself cannot tell.
     */
    MAKEGOOD_MAILBOX_URL: z.url().optional(),
    /** Webhook delivery: how long one attempt may take, requests in flight per endpoint, how long to keep trying, the backoff. */
    // At most 50 s: five rounds of attempts then still fit the dispatcher's 300 s.
    /** Automatic retries of a claim failed on a transient error: the first delay (tripled each round) and how many rounds. */
    MAKEGOOD_AUTO_RETRY_FIRST_MS: z.coerce.number().int().min(1).default(300_000),
    MAKEGOOD_AUTO_RETRY_ROUNDS: z.coerce.number().int().min(0).max(20).default(5),
    MAKEGOOD_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(50_000).default(10_000),
    MAKEGOOD_WEBHOOK_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(4),
    MAKEGOOD_WEBHOOK_RETRY_HOURS: z.coerce
      .number()
      .min(0.001)
      .max(24 * 30)
      .default(72),
    MAKEGOOD_WEBHOOK_FIRST_RETRY_MS: z.coerce.number().int().min(1).default(10_000),
    MAKEGOOD_WEBHOOK_MAX_RETRY_MS: z.coerce
      .number()
      .int()
      .min(1)
      .default(2 * 60 * 60 * 1000),
    /**
     * Fault injection, for tests only: a JSON {@link FaultPlan}. Refused unless
     * MAKEGOOD_ALLOW_FAULTS is `test-only`, and always refused inside AWS Lambda.
     */
    [FAULTS_VARIABLE]: z.string().min(1).optional(),
    [FAULTS_SWITCH]: z.string().optional(),
    /** Set by AWS Lambda in every function (a reserved variable nobody can set or change there). */
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  })
  .refine((c) => c.MAKEGOOD_SECRETS_PREFIX !== undefined || c.MAKEGOOD_SECRETS_DIR !== undefined, {
    message: 'MAKEGOOD_SECRETS_PREFIX or MAKEGOOD_SECRETS_DIR is required',
    path: ['MAKEGOOD_SECRETS_PREFIX'],
  });

/** Parsed configuration. */
export interface Config {
  readonly region: string;
  readonly ledgerTable: string;
  readonly stateTable: string;
  readonly stateMachineArn: string | undefined;
  readonly secretsPrefix: string | undefined;
  readonly secretsDir: string | undefined;
  readonly publicUrl: string | undefined;
  readonly mailFrom: string;
  /** See `MAKEGOOD_SES_CONFIGURATION_SET`; undefined: emails go without one, and SES publishes no feedback. */
  readonly sesConfigurationSet: string | undefined;
  readonly endpoints: {
    readonly dynamodb: string | undefined;
    readonly ses: string | undefined;
    readonly sfn: string | undefined;
  };
  /** See `MAKEGOOD_MAILBOX_URL`: where to ask whether an email was sent already, when anything can tell. */
  readonly mailboxUrl: string | undefined;
  readonly webhooks: WebhookSettings;
  readonly autoRetry: AutoRetrySettings;
  /** Faults to inject into the AWS SDK clients; only ever set in tests. */
  readonly faults: FaultPlan | undefined;
}

/** Thrown at start-up when the environment lacks or garbles a setting; names every bad key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once; throws a {@link ConfigError} naming each missing or bad key. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? 'environment');
      return i.code === 'invalid_type' && env[key] === undefined ? `${key} is required` : `${key}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  const faults = parseFaults(c);
  return {
    region: c.AWS_REGION,
    ledgerTable: c.MAKEGOOD_LEDGER_TABLE,
    stateTable: c.MAKEGOOD_STATE_TABLE,
    stateMachineArn: c.MAKEGOOD_STATE_MACHINE_ARN,
    secretsPrefix: c.MAKEGOOD_SECRETS_PREFIX,
    secretsDir: c.MAKEGOOD_SECRETS_DIR,
    publicUrl: c.MAKEGOOD_PUBLIC_URL?.replace(/\/+$/, ''),
    mailFrom: c.MAKEGOOD_MAIL_FROM,
    sesConfigurationSet: c.MAKEGOOD_SES_CONFIGURATION_SET,
    endpoints: {
      dynamodb: c.MAKEGOOD_DYNAMODB_ENDPOINT,
      ses: c.MAKEGOOD_SES_ENDPOINT,
      sfn: c.MAKEGOOD_SFN_ENDPOINT,
    },
    mailboxUrl: c.MAKEGOOD_MAILBOX_URL?.replace(/\/+$/, ''),
    webhooks: {
      timeoutMs: c.MAKEGOOD_WEBHOOK_TIMEOUT_MS,
      maxInFlight: c.MAKEGOOD_WEBHOOK_MAX_IN_FLIGHT,
      retryForMs: Math.round(c.MAKEGOOD_WEBHOOK_RETRY_HOURS * 3_600_000),
      firstRetryMs: c.MAKEGOOD_WEBHOOK_FIRST_RETRY_MS,
      maxRetryMs: c.MAKEGOOD_WEBHOOK_MAX_RETRY_MS,
    },
    autoRetry: { firstDelayMs: c.MAKEGOOD_AUTO_RETRY_FIRST_MS, rounds: c.MAKEGOOD_AUTO_RETRY_ROUNDS },
    faults,
  };
}

/**
 * Reads MAKEGOOD_FAULTS. Production can never run with faults: they are refused inside Lambda
 * (AWS_LAMBDA_FUNCTION_NAME is reserved, so no deployment can hide it), and anywhere else unless
 * the test sets MAKEGOOD_ALLOW_FAULTS=test-only as well. Each problem names its field.
 */
function parseFaults(c: {
  [FAULTS_VARIABLE]?: string | undefined;
  [FAULTS_SWITCH]?: string | undefined;
  AWS_LAMBDA_FUNCTION_NAME?: string | undefined;
}): FaultPlan | undefined {
  const raw = c[FAULTS_VARIABLE];
  if (raw === undefined) return undefined;
  if (c.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
    throw new ConfigError(`Invalid configuration: ${FAULTS_VARIABLE} is refused in AWS Lambda: fault injection is for tests only`);
  }
  if (c[FAULTS_SWITCH] !== FAULTS_SWITCH_VALUE) {
    throw new ConfigError(
      `Invalid configuration: ${FAULTS_VARIABLE} is set, but ${FAULTS_SWITCH} is not "${FAULTS_SWITCH_VALUE}": fault injection is for tests only`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${FAULTS_VARIABLE} is not JSON: ${(err as Error).message}`);
  }
  const plan = faultPlanSchema.safeParse(json);
  if (!plan.success) {
    const problems = plan.error.issues.map(
      (i) =>
        `${[FAULTS_VARIABLE, ...i.path]
          .map(String)
          .join('.')
          .replace(/\.(\d+)(?=\.|$)/g, '[$1]')}: ${i.message}`,
    );
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return plan.data;
}
