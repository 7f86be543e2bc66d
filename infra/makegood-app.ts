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
 * - `makegood:mailFrom`: the default sender address (an SES identity);
 * - `makegood:alarmEmail`: an address subscribed to the alarm topic;
 * - `makegood:apiRateLimit`, `makegood:apiBurstLimit`: the API stage's throttling (50/s, 100).
 */
export function addMakegoodStacks(app: App): MakegoodStacks {
  const stateful = new MakegoodStatefulStack(app, 'MakegoodStateful', {
    description: 'makegood data: ledger and state tables, secrets document (retained on delete)',
  });
  const mailFrom = stringContext(app, 'makegood:mailFrom');
  const alarmEmail = stringContext(app, 'makegood:alarmEmail');
  const apiRateLimit = numberContext(app, 'makegood:apiRateLimit');
  const apiBurstLimit = numberContext(app, 'makegood:apiBurstLimit');
  const stateless = new MakegoodStatelessStack(app, 'MakegoodStateless', {
    description: 'makegood functions, HTTP API and claim workflow',
    ledger: stateful.ledger,
    state: stateful.state,
    secrets: stateful.secrets,
    ...(mailFrom !== undefined ? { mailFrom } : {}),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(apiRateLimit !== undefined ? { apiRateLimit } : {}),
    ...(apiBurstLimit !== undefined ? { apiBurstLimit } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { stateful, stateless };
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
