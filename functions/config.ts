import { z } from 'zod';
import type { WebhookSettings } from '#ports';

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
    /** Secrets Manager secret holding the secrets document (cloud). */
    MAKEGOOD_SECRETS_ARN: z.string().min(1).optional(),
    /** File holding the secrets document (embedded mode, under the data directory). */
    MAKEGOOD_SECRETS_FILE: z.string().min(1).optional(),
    /** Public base URL of the API, used in links sent by email. */
    MAKEGOOD_PUBLIC_URL: z.url().optional(),
    /** Sender of every email unless a storefront sets its own. */
    MAKEGOOD_MAIL_FROM: z.string().min(3).default('makegood@demo.test'),
    /** Endpoint overrides: set by the embedded runtime to reach its emulators on loopback. */
    MAKEGOOD_DYNAMODB_ENDPOINT: z.url().optional(),
    MAKEGOOD_SES_ENDPOINT: z.url().optional(),
    MAKEGOOD_SFN_ENDPOINT: z.url().optional(),
    /** Webhook delivery: how long one attempt may take, requests in flight per endpoint, how long to keep trying, the backoff. */
    // At most 50 s: five rounds of attempts then still fit the dispatcher's 300 s.
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
  })
  .refine((c) => c.MAKEGOOD_SECRETS_ARN !== undefined || c.MAKEGOOD_SECRETS_FILE !== undefined, {
    message: 'MAKEGOOD_SECRETS_ARN or MAKEGOOD_SECRETS_FILE is required',
    path: ['MAKEGOOD_SECRETS_ARN'],
  });

/** Parsed configuration. */
export interface Config {
  readonly region: string;
  readonly ledgerTable: string;
  readonly stateTable: string;
  readonly stateMachineArn: string | undefined;
  readonly secretsArn: string | undefined;
  readonly secretsFile: string | undefined;
  readonly publicUrl: string | undefined;
  readonly mailFrom: string;
  readonly endpoints: {
    readonly dynamodb: string | undefined;
    readonly ses: string | undefined;
    readonly sfn: string | undefined;
  };
  readonly webhooks: WebhookSettings;
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
  return {
    region: c.AWS_REGION,
    ledgerTable: c.MAKEGOOD_LEDGER_TABLE,
    stateTable: c.MAKEGOOD_STATE_TABLE,
    stateMachineArn: c.MAKEGOOD_STATE_MACHINE_ARN,
    secretsArn: c.MAKEGOOD_SECRETS_ARN,
    secretsFile: c.MAKEGOOD_SECRETS_FILE,
    publicUrl: c.MAKEGOOD_PUBLIC_URL?.replace(/\/+$/, ''),
    mailFrom: c.MAKEGOOD_MAIL_FROM,
    endpoints: {
      dynamodb: c.MAKEGOOD_DYNAMODB_ENDPOINT,
      ses: c.MAKEGOOD_SES_ENDPOINT,
      sfn: c.MAKEGOOD_SFN_ENDPOINT,
    },
    webhooks: {
      timeoutMs: c.MAKEGOOD_WEBHOOK_TIMEOUT_MS,
      maxInFlight: c.MAKEGOOD_WEBHOOK_MAX_IN_FLIGHT,
      retryForMs: Math.round(c.MAKEGOOD_WEBHOOK_RETRY_HOURS * 3_600_000),
      firstRetryMs: c.MAKEGOOD_WEBHOOK_FIRST_RETRY_MS,
      maxRetryMs: c.MAKEGOOD_WEBHOOK_MAX_RETRY_MS,
    },
  };
}
