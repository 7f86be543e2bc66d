/**
 * CDK app entry (`cdk.json` runs it with tsx). The stacks are environment-agnostic: nothing in
 * them looks up the account, so the same template deploys to any account and region.
 */
import { App } from 'aws-cdk-lib';
import { addMakegoodStacks } from '#infra/makegood-app.ts';

const app = new App();
addMakegoodStacks(app);
app.synth();
