import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '#config';
import type { Clock, Deps, Workflow } from '#ports';
import { DynamoLedger } from './dynamo-ledger.ts';
import { DynamoOutbox } from './dynamo-outbox.ts';
import { DynamoState } from './dynamo-state.ts';
import { HttpWebhookSender } from './http-webhook-sender.ts';
import { withOutbox } from './outbox-ledger.ts';
import { DocumentSecrets, fileSource, secretsManagerSource } from './secrets.ts';
import { SesMailer } from './ses-mailer.ts';
import { StepFunctionsWorkflow } from './sfn-workflow.ts';

const systemClock: Clock = { now: () => new Date() };

/** A workflow port for functions that were granted none: calling it is a wiring bug. */
const noWorkflow: Workflow = {
  start: () => Promise.reject(new Error('MAKEGOOD_STATE_MACHINE_ARN is required to start executions')),
  succeed: () => Promise.reject(new Error('MAKEGOOD_STATE_MACHINE_ARN is required to answer task tokens')),
};

/**
 * Builds every adapter once per cold start. The embedded runtime and Lambda call this with the
 * same code; only the configuration differs (endpoints on loopback, a secrets file).
 */
export function makeDeps(config: Config, clock: Clock = systemClock): Deps {
  const common = { region: config.region, maxAttempts: 3 };
  const dynamo = new DynamoDBClient({ ...common, ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}) });
  const db = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const ses = new SESv2Client({ ...common, ...(config.endpoints.ses ? { endpoint: config.endpoints.ses } : {}) });
  const secretsSource = config.secretsArn
    ? secretsManagerSource(new SecretsManagerClient(common), config.secretsArn)
    : fileSource(config.secretsFile ?? '');
  const workflow = config.stateMachineArn
    ? new StepFunctionsWorkflow(
        new SFNClient({ ...common, ...(config.endpoints.sfn ? { endpoint: config.endpoints.sfn } : {}) }),
        config.stateMachineArn,
      )
    : noWorkflow;
  const outbox = new DynamoOutbox(db, config.stateTable);
  return {
    ledger: withOutbox(new DynamoLedger(db, config.ledgerTable, clock), outbox, clock),
    state: new DynamoState(db, config.stateTable),
    outbox,
    webhookSender: new HttpWebhookSender(),
    webhooks: config.webhooks,
    mailer: new SesMailer(ses),
    workflow,
    secrets: new DocumentSecrets(secretsSource),
    clock,
    mailFrom: config.mailFrom,
    publicUrl: config.publicUrl,
  };
}
