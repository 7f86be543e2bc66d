import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MakegoodStatefulStack } from '#infra/stateful-stack.ts';
import { MakegoodStatelessStack } from '#infra/stateless-stack.ts';

/** The stacks of one makegood deployment. */
export interface MakegoodStacks {
  readonly stateful: MakegoodStatefulStack;
  readonly stateless: MakegoodStatelessStack;
}

/**
 * Adds makegood's two stacks to `app` and registers the cdk-nag AWS Solutions checks, which run
 * when the app is synthesized. `infra/app.ts` and the infra tests both build the app through
 * here, so the tests check exactly what `cdk synth` produces.
 *
 * Context `makegood:mailFrom` sets the default sender address (an SES identity).
 */
export function addMakegoodStacks(app: App): MakegoodStacks {
  const stateful = new MakegoodStatefulStack(app, 'MakegoodStateful', {
    description: 'makegood data: ledger and state tables, secrets document (retained on delete)',
  });
  const mailFrom: unknown = app.node.tryGetContext('makegood:mailFrom');
  const stateless = new MakegoodStatelessStack(app, 'MakegoodStateless', {
    description: 'makegood functions, HTTP API and claim workflow',
    ledger: stateful.ledger,
    state: stateful.state,
    secrets: stateful.secrets,
    ...(typeof mailFrom === 'string' && mailFrom !== '' ? { mailFrom } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless };
}
