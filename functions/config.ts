import { z } from 'zod';

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
  };
}
