import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { MakegoodStatefulStack } from '#infra/stateful-stack.ts';
import { MakegoodStatelessStack } from '#infra/stateless-stack.ts';

/** The stacks of one makegood deployment. */
export interface MakegoodStacks {
  readonly stateful: MakegoodStatefulStack;
  readonly stateless: MakegoodStatelessStack;
}

/**
 * Adds makegood's two stacks to `app` and registers the cdk-nag AWS Solutions and Serverless checks, which run
 * when the app is synthesized. `infra/app.ts` and the infra tests both build the app through
 * here, so the tests check exactly what `cdk synth` produces.
 *
 * Deployment parameters, as context (`cdk deploy -c makegood:apiRateLimit=20`):
 * - `makegood:mailFrom`: the default sender address (`care@shop.example` or `Shop <care@shop.example>`),
 *   within a verified SES identity; without it, the functions' built-in `makegood@demo.test`;
 * - `makegood:sesIdentity`: a domain or address the stack creates as an SES identity (Easy DKIM);
 *   without it, identities are verified outside the stack;
 * - `makegood:sesConfigurationSet`: the name of the SES configuration set the stack creates, which
 *   every email is sent through and which publishes bounces and complaints (`MakegoodStateless-mail`);
 * - `makegood:alarmEmail`: an address subscribed to the alarm topic;
 * - `makegood:apiRateLimit`, `makegood:apiBurstLimit`: the API stage's throttling (50/s, 100);
 * - `makegood:reservedConcurrency`: the reserved concurrency N of each function the registry
 *   marks `capped` (the API functions, the webhook dispatcher, the execution-end recorder), and 1
 *   for each `single` one (the sweeps); unset, nothing is reserved. Lambda keeps 100 of an
 *   account's concurrency unreserved, so reserving fails on an account whose limit is low (a new
 *   account's may be 10). 10 suits an account at the default 1,000 (14 × 10 + 2 = 142 reserved).
 * - `makegood:webAclArn`: a WAFv2 web ACL of scope CLOUDFRONT; the API is then served through a
 *   CloudFront distribution with it (infra/edge.ts), and the `PublicUrl` output is its address.
 */
export function addMakegoodStacks(app: App): MakegoodStacks {
  const stateful = new MakegoodStatefulStack(app, 'MakegoodStateful', {
    description: 'makegood data: ledger and state tables, secrets, ledger backups (retained on delete)',
  });
  const mailFrom = patternContext(app, 'makegood:mailFrom', MAIL_FROM, 'an email address, or a name and <address>');
  const sesIdentity = patternContext(app, 'makegood:sesIdentity', SES_IDENTITY, 'a domain (shop.example) or an email address');
  const sesConfigurationSetName = patternContext(
    app,
    'makegood:sesConfigurationSet',
    /^[A-Za-z0-9_-]{1,64}$/,
    'an SES configuration set name: up to 64 letters, digits, _ and -',
  );
  const alarmEmail = stringContext(app, 'makegood:alarmEmail');
  const apiRateLimit = numberContext(app, 'makegood:apiRateLimit');
  const apiBurstLimit = numberContext(app, 'makegood:apiBurstLimit');
  const reservedConcurrency = numberContext(app, 'makegood:reservedConcurrency');
  const webAclArn = patternContext(
    app,
    'makegood:webAclArn',
    /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/,
    'the ARN of a WAFv2 web ACL of scope CLOUDFRONT (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)',
  );
  const stateless = new MakegoodStatelessStack(app, 'MakegoodStateless', {
    description: 'makegood functions, HTTP API and claim workflow',
    ledger: stateful.ledger,
    state: stateful.state,
    secrets: stateful.secrets,
    ...(mailFrom !== undefined ? { mailFrom } : {}),
    ...(sesIdentity !== undefined ? { sesIdentity } : {}),
    ...(sesConfigurationSetName !== undefined ? { sesConfigurationSetName } : {}),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(apiRateLimit !== undefined ? { apiRateLimit } : {}),
    ...(apiBurstLimit !== undefined ? { apiBurstLimit } : {}),
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
    ...(webAclArn !== undefined ? { webAclArn } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { stateful, stateless };
}

const ADDRESS = '[^@\\s<>]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}';
const DOMAIN = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}';
const MAIL_FROM = new RegExp(`^(?:${ADDRESS}|[^<>]+ <${ADDRESS}>)$`);
const SES_IDENTITY = new RegExp(`^(?:${DOMAIN}|${ADDRESS})$`);

/** A string from context that must match `pattern`; a bad value is refused by name, with what was expected. */
function patternContext(app: App, key: string, pattern: RegExp, expected: string): string | undefined {
  const value = stringContext(app, key);
  if (value !== undefined && !pattern.test(value)) throw new Error(`Context ${key} must be ${expected}, not ${JSON.stringify(value)}`);
  return value;
}

function stringContext(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string, not ${JSON.stringify(value)}`);
  return value;
}

/** A positive whole number from context; `-c` passes every value as a string. */
function numberContext(app: App, key: string): number | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Context ${key} must be a whole number of at least 1, not ${JSON.stringify(value)}`);
  return n;
}
