import { readFileSync } from 'node:fs';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ledgerTableSchema, stateTableSchema } from '#adapters/table-schema.ts';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_VARIABLE } from '#handlers/origin-verify.ts';
import { concurrencyOf, type FunctionSpec, functionSpecs } from '#handlers/registry.ts';
import { addMakegoodStacks } from '#infra/makegood-app.ts';
import { loadDefinition } from '#infra/refund-definition.ts';
import {
  actionCovers,
  type FoundStatement,
  isTableWildcard,
  policyStatements,
  refersTo,
  resolveCrossStack,
  type TemplateJson,
} from './iam.ts';

/**
 * What this proves: the app that `cdk synth` builds (same context as cdk.json) has the tables,
 * functions, routes, workflow and permissions the design asks for, the ledger cannot be changed
 * by any policy in it, and cdk-nag finds nothing unacknowledged.
 *
 * Built once for the whole file, with asset bundling skipped (`aws:cdk:bundling-stacks: []`, the
 * CDK's own switch): esbuild output is not in the template, and bundling twelve functions would
 * take most of this suite's time. `npx cdk synth` bundles for real.
 */
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
const { stateful, stateless } = addMakegoodStacks(app);
const statefulTemplate = Template.fromStack(stateful);
const statelessTemplate = Template.fromStack(stateless);
const templates: Record<string, TemplateJson> = {
  [stateful.stackName]: statefulTemplate.toJSON() as TemplateJson,
  [stateless.stackName]: statelessTemplate.toJSON() as TemplateJson,
};
const statements = policyStatements(templates);

/** The logical id of a construct's CloudFormation resource in its stack's template. */
function logicalId(construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!CfnElement.isCfnElement(element)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).resolve(element.logicalId) as string;
}
const ledger = { stack: stateful.stackName, logicalId: logicalId(stateful.ledger) };
const stateTable = { stack: stateful.stackName, logicalId: logicalId(stateful.state) };
const stateMachineId = logicalId(stateless.stateMachine);

function resourceOf(template: Template, id: string): { Type: string; Properties: Record<string, unknown>; [key: string]: unknown } {
  const resource = (template.toJSON() as { Resources: Record<string, unknown> }).Resources[id];
  if (resource === undefined) throw new Error(`No resource ${id}`);
  return resource as { Type: string; Properties: Record<string, unknown> };
}

function functionOf(spec: FunctionSpec) {
  const fn = stateless.functions.get(spec.id);
  if (fn === undefined) throw new Error(`No function ${spec.id}`);
  return fn;
}

/** The Allow statements attached to a function's role (or any role, by logical id). */
function allowsOfRole(roleLogicalId: string): FoundStatement[] {
  return statements.filter((s) => s.effect === 'Allow' && s.roles.includes(roleLogicalId));
}

function roleIdOf(spec: FunctionSpec): string {
  const role = functionOf(spec).role;
  if (role === undefined) throw new Error(`${spec.id} has no role`);
  return logicalId(role);
}

/** Whether the role may perform `action` on a resource for which `onResource` holds. */
function roleCan(roleLogicalId: string, action: string, onResource: (resource: unknown) => boolean): boolean {
  return allowsOfRole(roleLogicalId).some((s) => s.actions.some((a) => actionCovers(a, action)) && s.resources.some(onResource));
}

const isLedger = (r: unknown) => refersTo(r, ledger, stateless.stackName);
const isStateTable = (r: unknown) => refersTo(r, stateTable, stateless.stackName);
const isStateMachine = (r: unknown) => refersTo(r, { stack: stateless.stackName, logicalId: stateMachineId }, stateless.stackName);
const secretOf = (secret: IConstruct) => ({ stack: stateful.stackName, logicalId: logicalId(secret) });
const isApprovalKeys = (r: unknown) => refersTo(r, secretOf(stateful.secrets.approvalKeys), stateless.stackName);
const isFinanceKey = (r: unknown) => refersTo(r, secretOf(stateful.secrets.financeKey), stateless.stackName);
/** The storefronts' secrets: `arn:…:secret:<prefix>/storefronts/*`, made after deploy by the CLI. */
const isStorefrontSecrets = (r: unknown) => JSON.stringify(r).includes(`:secret:${stateful.secrets.prefix}/storefronts/*`);

describe('MakegoodStatefulStack', () => {
  it('keeps both tables on-demand, point-in-time recoverable, deletion-protected, KMS-encrypted and retained', () => {
    // arrange
    const tables = [logicalId(stateful.ledger), logicalId(stateful.state)];

    // act
    const resources = tables.map((id) => resourceOf(statefulTemplate, id));

    // assert
    statefulTemplate.resourceCountIs('AWS::DynamoDB::Table', 2);
    for (const table of resources) {
      expect(table).toMatchObject({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          SSESpecification: { SSEEnabled: true },
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        },
      });
    }
  });

  it('indexes the ledger exactly as table-schema.ts says, with whole entries in each index', () => {
    // arrange
    const expected = Object.entries(ledgerTableSchema.indexes).map(([IndexName, keys]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: keys.partitionKey, KeyType: 'HASH' },
        { AttributeName: keys.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));

    // act
    const indexes = resourceOf(statefulTemplate, ledger.logicalId).Properties.GlobalSecondaryIndexes;

    // assert
    expect(indexes).toEqual(expected);
  });

  it('indexes the state table as table-schema.ts says (the webhook outbox queue) and streams new ledger entries', () => {
    // arrange
    const expected = Object.entries(stateTableSchema.indexes).map(([IndexName, keys]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: keys.partitionKey, KeyType: 'HASH' },
        { AttributeName: keys.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));

    // act
    const indexes = resourceOf(statefulTemplate, stateTable.logicalId).Properties.GlobalSecondaryIndexes;
    const stream = resourceOf(statefulTemplate, ledger.logicalId).Properties.StreamSpecification;

    // assert
    expect(indexes).toEqual(expected);
    expect(stream).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('expires state items by the TTL attribute table-schema.ts names', () => {
    // act
    const table = resourceOf(statefulTemplate, stateTable.logicalId);

    // assert
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: stateTableSchema.ttlAttribute, Enabled: true });
  });

  it('denies every principal, administrators included, updating or deleting ledger entries', () => {
    // act
    const policy = resourceOf(statefulTemplate, ledger.logicalId).Properties.ResourcePolicy;

    // assert
    expect(policy).toMatchObject({
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']),
            Resource: '*',
          },
        ],
      },
    });
  });

  it('generates the approval keys (key id k1, current) and the finance key as two retained secrets under one prefix', () => {
    // act
    const generated = (secret: IConstruct) => {
      const resource = resourceOf(statefulTemplate, logicalId(secret));
      const generate = resource.Properties.GenerateSecretString as { GenerateStringKey: string; SecretStringTemplate: string };
      return {
        retained: resource.DeletionPolicy,
        name: resource.Properties.Name,
        field: generate.GenerateStringKey,
        template: JSON.parse(generate.SecretStringTemplate),
      };
    };

    // assert — the shapes adapters/secrets.ts parses: {"current":"k1","k1":…} and {"key":…}
    expect(generated(stateful.secrets.approvalKeys)).toEqual({
      retained: 'Retain',
      name: `${stateful.secrets.prefix}/approval-keys`,
      field: 'k1',
      template: { current: 'k1' },
    });
    expect(generated(stateful.secrets.financeKey)).toEqual({
      retained: 'Retain',
      name: `${stateful.secrets.prefix}/finance-key`,
      field: 'key',
      template: {},
    });
    expect(stateful.secrets.prefix).toBe(`makegood/${stateful.stackName}`);
    expect(statefulTemplate.toJSON().Outputs?.SecretsPrefix?.Value).toBe(stateful.secrets.prefix);
  });
});

describe('MakegoodStatelessStack', () => {
  it('runs one Node.js 22 arm64 function per registry entry, traced, with its own log group', () => {
    // assert
    statelessTemplate.resourceCountIs('AWS::Lambda::Function', functionSpecs.length);
    for (const spec of functionSpecs) {
      const fn = resourceOf(statelessTemplate, logicalId(functionOf(spec)));
      expect(fn.Properties, spec.id).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: spec.timeoutSeconds ?? (spec.aslPlaceholder === undefined ? 29 : 25),
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resourceOf(statelessTemplate, logGroupId).Properties.RetentionInDays, spec.id).toEqual(expect.any(Number));
    }
  });

  it('configures each function as functions/config.ts expects, with only the settings its access needs', () => {
    for (const spec of functionSpecs) {
      // act
      const env = (
        resourceOf(statelessTemplate, logicalId(functionOf(spec))).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;

      // assert — the config schema requires both tables and a secrets source in every function
      expect(Object.keys(env), spec.id).toEqual(
        expect.arrayContaining(['MAKEGOOD_LEDGER_TABLE', 'MAKEGOOD_STATE_TABLE', 'MAKEGOOD_SECRETS_PREFIX']),
      );
      expect(env.MAKEGOOD_SECRETS_PREFIX, spec.id).toBe(stateful.secrets.prefix);
      expect(refersTo(resolveCrossStack(env.MAKEGOOD_LEDGER_TABLE, templates), ledger, stateless.stackName), spec.id).toBe(true);
      expect(refersTo(resolveCrossStack(env.MAKEGOOD_STATE_TABLE, templates), stateTable, stateless.stackName), spec.id).toBe(true);
      expect('MAKEGOOD_PUBLIC_URL' in env, `${spec.id} MAKEGOOD_PUBLIC_URL`).toBe(spec.aslPlaceholder !== undefined);
      expect('MAKEGOOD_STATE_MACHINE_ARN' in env, `${spec.id} MAKEGOOD_STATE_MACHINE_ARN`).toBe(spec.access.workflow.length > 0);
      if (spec.access.workflow.length > 0) expect(env.MAKEGOOD_STATE_MACHINE_ARN).toEqual({ Ref: stateMachineId });
    }
  });

  it('routes every registry route to its own function on the $default stage', () => {
    // arrange
    const routes = functionSpecs.flatMap((spec) => (spec.routes ?? []).map((route) => ({ spec, route })));

    // assert
    statelessTemplate.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
    for (const { spec, route } of routes) {
      const [routeResource] = Object.values(
        statelessTemplate.findResources('AWS::ApiGatewayV2::Route', {
          Properties: { RouteKey: `${route.method} ${route.path}` },
        }),
      ) as Array<{ Properties: { Target: { 'Fn::Join': [string, [string, { Ref: string }]] } } }>;
      expect(routeResource, `${route.method} ${route.path}`).toBeDefined();
      const integrationId = routeResource?.Properties.Target['Fn::Join'][1][1].Ref ?? '';
      expect(resourceOf(statelessTemplate, integrationId).Properties.IntegrationUri, `${route.method} ${route.path}`).toEqual({
        'Fn::GetAtt': [logicalId(functionOf(spec)), 'Arn'],
      });
    }
    statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
    });
  });

  it('wakes the webhook dispatcher on inserted ledger entries (batched for a second) and every minute', () => {
    // arrange
    const spec = functionSpecs.find((f) => f.wakes?.onLedgerEntries === true);
    expect(spec?.id).toBe('DispatchWebhooks');

    // assert
    statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: Match.anyValue(),
      StartingPosition: 'LATEST',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 10,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
    });
    statelessTemplate.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    statelessTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('DispatchWebhooks'),
      Timeout: 300,
    });
  });

  it('wakes the follow-up reminders on a schedule only', () => {
    // assert
    expect(functionSpecs.find((f) => f.id === 'RemindFollowUps')?.wakes?.onLedgerEntries).toBe(false);
    statelessTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
  });

  it('keeps approval tokens out of the access log by logging the route, not the path', () => {
    // act
    const [stage] = Object.values(statelessTemplate.findResources('AWS::ApiGatewayV2::Stage')) as Array<{
      Properties: { AccessLogSettings: { Format: string } };
    }>;

    // assert
    expect(stage?.Properties.AccessLogSettings.Format).toContain('$context.routeKey');
    expect(stage?.Properties.AccessLogSettings.Format).not.toMatch(/\$context\.(path|resourcePath)/);
  });

  it('runs the workflow as a Standard state machine with full logging (no execution data) and X-Ray', () => {
    statelessTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    statelessTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('deploys every state of the ASL, each Task bound to a published version of its registry function, not $LATEST', () => {
    // arrange
    const asl = loadDefinition() as { States: Record<string, { Type: string }> };
    const tasksByPlaceholder = new Map(functionSpecs.flatMap((s) => (s.aslPlaceholder ? [[s.aslPlaceholder, s] as const] : [])));

    // act
    const machine = resourceOf(statelessTemplate, stateMachineId).Properties as {
      DefinitionString: unknown;
      DefinitionSubstitutions: Record<string, unknown>;
    };
    // A string with ${…} placeholders: Step Functions substitutes the ARNs at deploy time.
    expect(typeof machine.DefinitionString).toBe('string');
    const deployed = JSON.parse(machine.DefinitionString as string) as {
      States: Record<string, { Type: string; Parameters?: { FunctionName?: string } }>;
    };

    // assert
    expect(Object.keys(deployed.States).sort()).toEqual(Object.keys(asl.States).sort());
    const tasks = Object.entries(deployed.States).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, task] of tasks) {
      const placeholder = /^\$\{(\w+)\}$/.exec(task.Parameters?.FunctionName ?? '')?.[1] ?? '';
      const spec = tasksByPlaceholder.get(placeholder);
      expect(spec, `${name} calls ${task.Parameters?.FunctionName}`).toBeDefined();
      const version = functionOf(spec as FunctionSpec).currentVersion;
      expect(machine.DefinitionSubstitutions[placeholder], name).toEqual({ Ref: logicalId(version) });
      // A version of this very function, kept when a later deploy publishes another: executions
      // started before that deploy still call it.
      expect(resourceOf(statelessTemplate, logicalId(version)), name).toMatchObject({
        Type: 'AWS::Lambda::Version',
        DeletionPolicy: 'Retain',
        Properties: { FunctionName: { Ref: logicalId(functionOf(spec as FunctionSpec)) } },
      });
    }
  });
});

describe('failures seen', () => {
  const ops = stateless.operations;
  const queueArn = { 'Fn::GetAtt': [logicalId(ops.failedExecutions), 'Arn'] };
  const topicRef = { Ref: logicalId(ops.topic) };
  const executionEnded = functionSpecs.find((s) => s.onExecutionEnd);

  it('routes executions that failed, timed out or were aborted to the FailedExecutions queue and to the function that records them', () => {
    // act
    const rules = Object.values(
      statelessTemplate.findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { source: ['aws.states'] } },
      }),
    ) as { Properties: { EventPattern: unknown; Targets: { Arn: unknown; DeadLetterConfig?: unknown; RetryPolicy?: unknown }[] } }[];

    // assert
    expect(executionEnded?.id).toBe('ExecutionEnded');
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: stateMachineId }] },
    });
    const targets = rules[0]?.Properties.Targets ?? [];
    expect(targets.map((t) => t.Arn)).toEqual([queueArn, { 'Fn::GetAtt': [logicalId(functionOf(executionEnded as FunctionSpec)), 'Arn'] }]);
    // An event the recorder could not take after a day of retries is not lost: it lands on the queue too.
    expect(targets[1]).toMatchObject({
      DeadLetterConfig: { Arn: queueArn },
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 8 },
    });
    statelessTemplate.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
    statelessTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sqs:SendMessage', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      }),
    });
  });

  it('alarms on one topic for every function’s errors and throttles, API 5xx and latency, any failed execution, overdue approvals and failed webhooks', () => {
    // act
    const alarms = statelessTemplate.findResources('AWS::CloudWatch::Alarm') as Record<
      string,
      {
        Properties: {
          MetricName: string;
          Namespace: string;
          AlarmActions: unknown[];
          Threshold: number;
          Dimensions?: { Name: string; Value: unknown }[];
        };
      }
    >;
    const byMetric = (namespace: string, metric: string) =>
      Object.values(alarms).filter((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === metric);
    const alarmedFunctions = (metric: string) =>
      byMetric('AWS/Lambda', metric).map((a) => JSON.stringify(a.Properties.Dimensions?.find((d) => d.Name === 'FunctionName')?.Value));

    // assert
    expect(Object.values(alarms).every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([topicRef]))).toBe(true);
    const everyFunction = functionSpecs.map((s) => JSON.stringify({ Ref: logicalId(functionOf(s)) })).sort();
    expect(alarmedFunctions('Errors').sort()).toEqual(everyFunction);
    expect(alarmedFunctions('Throttles').sort()).toEqual(everyFunction);
    expect(byMetric('AWS/ApiGateway', '5xx')).toHaveLength(1);
    expect(byMetric('AWS/ApiGateway', 'Latency')).toMatchObject([{ Properties: { Threshold: 3000, ExtendedStatistic: 'p99' } }]);
    // Each dead-letter queue alarms on its first message: failed executions, and mail feedback not recorded.
    expect(byMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toMatchObject(
      [ops.failedExecutions, stateless.email.deadLetters].map((queue) => ({
        Properties: {
          Threshold: 1,
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
        },
      })),
    );
    for (const metric of ['ApprovalsOverdue', 'WebhookDeliveriesFailed']) {
      expect(byMetric('makegood', metric), metric).toMatchObject([
        { Properties: { Threshold: 1, Statistic: 'Sum', Dimensions: [{ Name: 'service', Value: 'makegood' }] } },
      ]);
    }
    expect(Object.keys(alarms)).toHaveLength(2 * functionSpecs.length + 6);
    statelessTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      }),
    });
  });

  it('throttles the API stage at 50 requests/s with a burst of 100 unless the deployment says otherwise, and refuses a bad value by name', () => {
    // arrange
    const tuned = new App({
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'makegood:apiRateLimit': '20', 'makegood:apiBurstLimit': 40 },
    });
    const bad = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'makegood:apiRateLimit': '2.5' } });

    // act
    const tunedTemplate = Template.fromStack(addMakegoodStacks(tuned).stateless);

    // assert
    statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    tunedTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    expect(() => addMakegoodStacks(bad)).toThrow(/makegood:apiRateLimit must be a whole number of at least 1, not "2.5"/);
  });

  it('reserves no concurrency unless the deployment sets a cap, then N for each capped function and 1 for each single one, and refuses a bad cap by name', () => {
    // arrange
    const capped = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'makegood:reservedConcurrency': '7' } });
    const bad = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'makegood:reservedConcurrency': '0' } });
    const reservedIn = (template: Template, stack: typeof stateless) =>
      Object.fromEntries(
        functionSpecs.map((spec) => {
          const fn = stack.functions.get(spec.id);
          if (fn === undefined) throw new Error(`No function ${spec.id}`);
          return [spec.id, resourceOf(template, logicalId(fn)).Properties.ReservedConcurrentExecutions];
        }),
      );

    // act
    const cappedStack = addMakegoodStacks(capped).stateless;
    const cappedReserved = reservedIn(Template.fromStack(cappedStack), cappedStack);

    // assert: by default nothing is reserved, so a new account (limit 10) deploys
    expect(Object.values(reservedIn(statelessTemplate, stateless)).filter((r) => r !== undefined)).toEqual([]);
    for (const spec of functionSpecs) {
      const expected = { capped: 7, single: 1, shared: undefined }[concurrencyOf(spec)];
      expect(cappedReserved[spec.id], spec.id).toBe(expected);
    }
    // every API function is capped, the sweeps are single, and no workflow task reserves anything
    for (const spec of functionSpecs.filter((s) => s.routes?.length)) expect(concurrencyOf(spec), spec.id).toBe('capped');
    expect(cappedReserved.SweepClaims).toBe(1);
    expect(cappedReserved.RemindFollowUps).toBe(1);
    expect(cappedReserved.DispatchWebhooks).toBe(7);
    for (const spec of functionSpecs.filter((s) => s.aslPlaceholder !== undefined))
      expect(cappedReserved[spec.id], spec.id).toBeUndefined();
    expect(() => addMakegoodStacks(bad)).toThrow(/makegood:reservedConcurrency must be a whole number of at least 1, not "0"/);
  });

  it('keeps handler responses and errors out of every function’s traces', () => {
    for (const spec of functionSpecs) {
      // act
      const env = (
        resourceOf(statelessTemplate, logicalId(functionOf(spec))).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;

      // assert
      expect(env, spec.id).toMatchObject({ POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false', POWERTOOLS_TRACER_CAPTURE_ERROR: 'false' });
    }
  });

  it('puts claims by outcome and value granted, by their dimensions, on one dashboard with the alarmed business metrics', () => {
    // act
    const dashboards = Object.values(statelessTemplate.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(stateless.resolve(dashboards[0]?.Properties?.DashboardBody));

    // assert
    expect(dashboards).toHaveLength(1);
    expect(body).toContain(String.raw`SEARCH('{makegood,outcome,service} MetricName=\\\"ClaimsConcluded\\\"'`);
    expect(body).toContain(String.raw`SEARCH('{makegood,currency,kind,service} MetricName=\\\"ValueGranted\\\"'`);
    for (const metric of ['ApprovalsOverdue', 'WebhookDeliveriesFailed']) expect(body).toContain(metric);
  });

  it('outputs the API URL, the workflow, the alarm topic and the failed-executions queue', () => {
    // act
    const outputs = Object.keys(statelessTemplate.toJSON().Outputs ?? {});

    // assert
    expect(outputs).toEqual(expect.arrayContaining(['ApiUrl', 'StateMachineArn', 'AlarmTopicArn', 'FailedExecutionsQueueUrl']));
  });
});

describe('email in production', () => {
  const email = stateless.email;
  const setRef = { Ref: logicalId(email.configurationSet) };
  const feedbackSpec = functionSpecs.find((s) => s.onMailFeedback);
  const withContext = (context: Record<string, unknown>) =>
    new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });

  it('sends through a configuration set that suppresses bounces and complaints and publishes only those, to the default bus', () => {
    // act
    const sets = Object.values(statelessTemplate.findResources('AWS::SES::ConfigurationSet'));
    const destinations = Object.values(statelessTemplate.findResources('AWS::SES::ConfigurationSetEventDestination'));

    // assert
    expect(sets).toMatchObject([
      {
        Properties: {
          Name: `${stateless.stackName}-mail`,
          SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
          ReputationOptions: { ReputationMetricsEnabled: true },
        },
      },
    ]);
    expect(destinations).toMatchObject([
      {
        Properties: {
          ConfigurationSetName: setRef,
          EventDestination: {
            Enabled: true,
            MatchingEventTypes: ['bounce', 'complaint'],
            EventBridgeDestination: { EventBusArn: { 'Fn::Join': ['', expect.arrayContaining([':event-bus/default'])] } },
          },
        },
      },
    ]);
    // Without makegood:sesIdentity the identities are verified outside the stack.
    statelessTemplate.resourceCountIs('AWS::SES::EmailIdentity', 0);
  });

  it('routes only bounces and complaints of its own configuration set and claim emails to MailFeedback, retried for a day, then to a queue that alarms', () => {
    // act
    const rules = Object.values(
      statelessTemplate.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.ses'] } } }),
    ) as {
      Properties: { EventPattern: unknown; Targets: unknown[] };
    }[];
    const queueArn = { 'Fn::GetAtt': [logicalId(email.deadLetters), 'Arn'] };

    // assert
    expect(feedbackSpec?.id).toBe('MailFeedback');
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Bounced', 'Email Complaint Received'],
      detail: { mail: { tags: { 'ses:configuration-set': [setRef], 'makegood-claim': [{ exists: true }] } } },
    });
    expect(rules[0]?.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(functionOf(feedbackSpec as FunctionSpec)), 'Arn'] },
        DeadLetterConfig: { Arn: queueArn },
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 8 },
      }),
    ]);
    // What fails inside the function after Lambda's retries lands on the same queue, with its error.
    statelessTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(functionOf(feedbackSpec as FunctionSpec)) },
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    expect(resourceOf(statelessTemplate, logicalId(email.deadLetters)).Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
    });
  });

  it('gives every sending function the configuration set and SendEmail on it, and the feedback function only the ledger and state', () => {
    // arrange
    const isConfigurationSet = (r: unknown) => JSON.stringify(r).includes(`:configuration-set/${stateless.stackName}-mail`);
    const feedbackRole = roleIdOf(feedbackSpec as FunctionSpec);

    for (const spec of functionSpecs) {
      // act
      const env = (
        resourceOf(statelessTemplate, logicalId(functionOf(spec))).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;

      // assert
      expect(env.MAKEGOOD_SES_CONFIGURATION_SET, spec.id).toEqual(spec.access.mail === 'send' ? setRef : undefined);
      expect(roleCan(roleIdOf(spec), 'ses:SendEmail', isConfigurationSet), spec.id).toBe(spec.access.mail === 'send');
    }
    expect(feedbackSpec?.access).toEqual({ ledger: 'append', state: 'readwrite', mail: 'none', workflow: [], secrets: [] });
    expect(roleCan(feedbackRole, 'dynamodb:PutItem', isLedger)).toBe(true);
    expect(roleCan(feedbackRole, 'dynamodb:PutItem', isStateTable)).toBe(true);
    expect(roleCan(feedbackRole, 'dynamodb:UpdateItem', isLedger)).toBe(false);
    expect(roleCan(feedbackRole, 'ses:SendEmail', () => true)).toBe(false);
    expect(roleCan(feedbackRole, 'secretsmanager:GetSecretValue', () => true)).toBe(false);
    expect(roleCan(feedbackRole, 'states:StartExecution', () => true)).toBe(false);
  });

  it('creates the identity and names the configuration set when the deployment says so, and refuses a bad value by name', () => {
    // arrange
    const named = withContext({ 'makegood:sesIdentity': 'shop.example', 'makegood:sesConfigurationSet': 'shop-mail' });
    const byAddress = withContext({ 'makegood:sesIdentity': 'care@shop.example' });

    // act
    const namedTemplate = Template.fromStack(addMakegoodStacks(named).stateless);
    const byAddressTemplate = Template.fromStack(addMakegoodStacks(byAddress).stateless);

    // assert
    namedTemplate.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'shop-mail' });
    namedTemplate.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'shop.example',
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: Match.stringLikeRegexp('ConfigurationSet') } },
    });
    expect(Object.keys(namedTemplate.toJSON().Outputs ?? {})).toEqual(
      expect.arrayContaining(['SesIdentity', 'SesDkimRecords', 'SesConfigurationSetName']),
    );
    byAddressTemplate.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'care@shop.example' });
    // An address's identity is verified by the link SES mails it, not by DNS records.
    expect(Object.keys(byAddressTemplate.toJSON().Outputs ?? {})).not.toContain('SesDkimRecords');
    expect(() => addMakegoodStacks(withContext({ 'makegood:sesIdentity': 'not a domain' }))).toThrow(
      /makegood:sesIdentity must be a domain \(shop.example\) or an email address, not "not a domain"/,
    );
    expect(() => addMakegoodStacks(withContext({ 'makegood:sesConfigurationSet': 'has spaces' }))).toThrow(
      /makegood:sesConfigurationSet must be an SES configuration set name/,
    );
    expect(() => addMakegoodStacks(withContext({ 'makegood:mailFrom': 'care' }))).toThrow(/makegood:mailFrom must be an email address/);
  });
});

describe('permissions', () => {
  it('lets the workflow role invoke exactly the task functions', () => {
    // arrange
    const taskIds = functionSpecs.filter((s) => s.aslPlaceholder !== undefined).map((s) => logicalId(functionOf(s)));
    const roleId = logicalId(stateless.stateMachine.role);

    // act
    const invokable = new Set(
      allowsOfRole(roleId)
        .filter((s) => s.actions.some((a) => actionCovers(a, 'lambda:InvokeFunction')))
        .flatMap((s) => s.resources.map((r) => JSON.stringify(r).match(/"Fn::GetAtt":\["(\w+)","Arn"\]/)?.[1] ?? JSON.stringify(r))),
    );

    // assert
    expect([...invokable].sort()).toEqual([...taskIds].sort());
  });

  it('grants each function what its registry access says, and nothing of what it does not', () => {
    for (const spec of functionSpecs) {
      // arrange
      const role = roleIdOf(spec);
      const { access } = spec;
      const can = (action: string, on: (r: unknown) => boolean) => roleCan(role, action, on);
      const anything = () => true;

      // assert
      expect(can('dynamodb:Query', isLedger), `${spec.id} reads the ledger`).toBe(access.ledger !== 'none');
      expect(can('dynamodb:PutItem', isLedger), `${spec.id} appends to the ledger`).toBe(access.ledger === 'append');
      expect(can('dynamodb:GetItem', isStateTable), `${spec.id} reads state`).toBe(access.state !== 'none');
      expect(can('dynamodb:UpdateItem', isStateTable), `${spec.id} writes state`).toBe(access.state === 'readwrite');
      expect(can('ses:SendEmail', anything), `${spec.id} sends mail`).toBe(access.mail === 'send');
      expect(can('ses:SendRawEmail', anything), `${spec.id} sends raw mail`).toBe(false);
      expect(can('ses:GetAccount', anything), `${spec.id} reads SES's account`).toBe(access.mail === 'status');
      expect(can('states:StartExecution', isStateMachine), `${spec.id} starts executions`).toBe(access.workflow.includes('start'));
      expect(can('states:SendTaskSuccess', isStateMachine), `${spec.id} answers tokens`).toBe(access.workflow.includes('callback'));
      expect(can('states:SendTaskFailure', anything), `${spec.id} fails tokens`).toBe(false);
      expect(can('secretsmanager:GetSecretValue', isApprovalKeys), `${spec.id} reads the approval keys`).toBe(
        access.secrets.includes('approval'),
      );
      expect(can('secretsmanager:GetSecretValue', isFinanceKey), `${spec.id} reads the finance key`).toBe(
        access.secrets.includes('finance'),
      );
      expect(can('secretsmanager:GetSecretValue', isStorefrontSecrets), `${spec.id} reads storefront secrets`).toBe(
        access.secrets.includes('storefronts'),
      );
      // …and no other secret, nor any way to change one.
      expect(can('secretsmanager:GetSecretValue', anything), `${spec.id} reads secrets`).toBe(access.secrets.length > 0);
      const secretGrants = allowsOfRole(role).filter((st) => st.actions.some((a) => a.startsWith('secretsmanager:')));
      for (const st of secretGrants) {
        expect(
          st.resources.every((r) => isApprovalKeys(r) || isFinanceKey(r) || isStorefrontSecrets(r)),
          `${spec.id}: ${JSON.stringify(st.resources)}`,
        ).toBe(true);
        expect(
          st.actions.every((a) => ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'].includes(a)),
          `${spec.id}: ${st.actions}`,
        ).toBe(true);
      }
    }
  });

  it('lets the intake start executions and the approval page and returns answer task tokens, only with success', () => {
    // arrange
    const byId = (id: string) => roleIdOf(functionSpecs.find((s) => s.id === id) as FunctionSpec);

    // assert — the registry test above covers this generally; these are the flows the design names
    expect(roleCan(byId('Intake'), 'states:StartExecution', isStateMachine)).toBe(true);
    for (const id of ['ApprovalPage', 'Returns']) {
      expect(roleCan(byId(id), 'states:SendTaskSuccess', isStateMachine), id).toBe(true);
      // The Workflow port answers a token only with success: nothing calls the other two.
      expect(
        roleCan(byId(id), 'states:SendTaskFailure', () => true),
        id,
      ).toBe(false);
      expect(
        roleCan(byId(id), 'states:SendTaskHeartbeat', () => true),
        id,
      ).toBe(false);
    }
  });

  it('has no policy statement anywhere that could update or delete a ledger entry', () => {
    // arrange
    const forbidden = [
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:PartiQLUpdate',
      'dynamodb:PartiQLDelete',
    ];
    const touchesLedger = (s: FoundStatement) => s.resources.some((r) => isLedger(r) || isTableWildcard(r));

    // act
    const offending = statements
      .filter((s) => s.effect === 'Allow')
      .filter((s) => s.negated || (touchesLedger(s) && s.actions.some((a) => forbidden.some((f) => actionCovers(a, f)))))
      .map((s) => `${s.source}: ${s.actions.join(', ')}`);

    // assert — and the walk does see the ledger: every appending function's PutItem is found
    expect(offending).toEqual([]);
    const appenders = functionSpecs.filter((s) => s.access.ledger === 'append').map(roleIdOf);
    expect(appenders.every((role) => roleCan(role, 'dynamodb:PutItem', isLedger))).toBe(true);
  });

  it('attaches no AWS managed policy, whose contents these checks could not see, but to the role only AWS Backup assumes', () => {
    // act
    type RoleResource = { Properties?: { ManagedPolicyArns?: unknown[]; AssumeRolePolicyDocument?: unknown } };
    const withManaged = Object.entries(statelessTemplate.findResources('AWS::IAM::Role'))
      .concat(Object.entries(statefulTemplate.findResources('AWS::IAM::Role')))
      .filter(([, role]) => (role as RoleResource).Properties?.ManagedPolicyArns?.length) as [string, RoleResource][];

    // assert
    expect(withManaged.map(([, role]) => JSON.stringify(role.Properties?.ManagedPolicyArns))).toEqual([
      JSON.stringify([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup']] },
      ]),
    ]);
    expect(withManaged[0]?.[1].Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } }],
    });
  });

  it('backs the ledger up daily, weekly and monthly, for up to 7 years, into a retained, locked vault', () => {
    // act
    const plans = Object.values(statefulTemplate.findResources('AWS::Backup::BackupPlan')) as {
      Properties: { BackupPlan: { BackupPlanRule: { RuleName: string; Lifecycle?: { DeleteAfterDays?: number } }[] } };
    }[];
    const selections = Object.values(statefulTemplate.findResources('AWS::Backup::BackupSelection')) as {
      Properties: { BackupSelection: { Resources: unknown[] } };
    }[];

    // assert
    expect(plans).toHaveLength(1);
    expect(plans[0]?.Properties.BackupPlan.BackupPlanRule.map((r) => [r.RuleName, r.Lifecycle?.DeleteAfterDays])).toEqual([
      ['Daily', 35],
      ['Weekly', 90],
      ['Monthly7Year', 2555],
    ]);
    expect(JSON.stringify(selections.map((s) => s.Properties.BackupSelection.Resources))).toBe(
      JSON.stringify([[{ 'Fn::GetAtt': [logicalId(stateful.ledger), 'Arn'] }]]),
    );
    statefulTemplate.hasResource('AWS::Backup::BackupVault', {
      DeletionPolicy: 'Retain',
      Properties: { LockConfiguration: { MinRetentionDays: 35 } },
    });
  });

  it('uses Resource "*" only for actions that have no resource-level permissions', () => {
    // arrange — the reason given to cdk-nag for acknowledging AwsSolutions-IAM5[Resource::*]
    const allowed = [
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'ses:GetAccount',
      'dynamodb:ListStreams',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ];

    // act
    const unexpected = statements
      .filter((s) => s.effect === 'Allow' && s.resources.includes('*'))
      .flatMap((s) => s.actions.filter((a) => !allowed.includes(a)).map((a) => `${s.source}: ${a}`));

    // assert
    expect(unexpected).toEqual([]);
  });
});

/** Every cdk-nag AwsSolutions and Serverless finding left unacknowledged in an app (cdk-nag 3 reports through the validation plugin API, not as annotations). */
function nagFindings(scope: App): string[] {
  return [new AwsSolutionsChecks().validateScope(scope), new ServerlessChecks().validateScope(scope)]
    .flatMap((report) => report.violations)
    .flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`));
}

describe('checks', () => {
  it('leaves no cdk-nag AwsSolutions or Serverless finding unacknowledged', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('the optional WAF (makegood:webAclArn)', () => {
  const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/makegood/0f0e0d0c-0b0a-4908-8706-050403020100';
  const guarded = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'makegood:webAclArn': webAclArn } });
  const guardedStack = addMakegoodStacks(guarded).stateless;
  const guardedTemplate = Template.fromStack(guardedStack);
  const edge = guardedStack.edge;
  const envOf = (spec: FunctionSpec) => {
    const fn = guardedStack.functions.get(spec.id);
    if (fn === undefined) throw new Error(`No function ${spec.id}`);
    return (resourceOf(guardedTemplate, logicalId(fn)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  };

  it('adds nothing without the parameter: no distribution, no origin check, the execute-api URL is the API URL', () => {
    // assert
    expect(stateless.edge).toBeUndefined();
    statelessTemplate.resourceCountIs('AWS::CloudFront::Distribution', 0);
    for (const spec of functionSpecs) {
      const env = (
        resourceOf(statelessTemplate, logicalId(functionOf(spec))).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(ORIGIN_VERIFY_VARIABLE in env, spec.id).toBe(false);
    }
    expect(Object.keys(statelessTemplate.toJSON().Outputs ?? {})).not.toContain('PublicUrl');
  });

  it('fronts the API with a CloudFront distribution that carries the web ACL, caches nothing, and sends the origin-verify header', () => {
    // act
    const distributions = Object.values(guardedTemplate.findResources('AWS::CloudFront::Distribution'));
    const config = distributions[0]?.Properties?.DistributionConfig as Record<string, unknown> & {
      Origins: Array<{ OriginCustomHeaders: Array<{ HeaderName: string; HeaderValue: unknown }>; CustomOriginConfig: unknown }>;
      DefaultCacheBehavior: Record<string, unknown>;
    };

    // assert
    expect(edge).toBeDefined();
    expect(distributions).toHaveLength(1);
    expect(config.WebACLId).toBe(webAclArn);
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]?.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
    expect(config.Origins[0]?.OriginCustomHeaders.map((h) => h.HeaderName)).toEqual([ORIGIN_VERIFY_HEADER]);
    // the header's value is the generated secret's, resolved at deploy
    expect(JSON.stringify(config.Origins[0]?.OriginCustomHeaders[0]?.HeaderValue)).toContain(
      logicalId(edge?.originVerifySecret as IConstruct),
    );
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'POST']),
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // AllViewerExceptHostHeader
    });
  });

  it('gives every function the distribution as its public URL, and every API function (only those) the origin-verify value', () => {
    // arrange
    const distributionId = logicalId(edge?.distribution as IConstruct);
    const wrong: string[] = [];

    // act
    for (const spec of functionSpecs) {
      const env = envOf(spec);
      if (!JSON.stringify(env.MAKEGOOD_PUBLIC_URL).includes(distributionId))
        wrong.push(`${spec.id}: MAKEGOOD_PUBLIC_URL ${JSON.stringify(env.MAKEGOOD_PUBLIC_URL)}`);
      const isApi = (spec.routes?.length ?? 0) > 0;
      if (ORIGIN_VERIFY_VARIABLE in env !== isApi) wrong.push(`${spec.id}: ${ORIGIN_VERIFY_VARIABLE} ${isApi ? 'missing' : 'present'}`);
    }

    // assert
    expect(wrong).toEqual([]);
  });

  it('outputs the distribution as PublicUrl, and refuses a value that is not a CLOUDFRONT web ACL by name', () => {
    // arrange
    const regional = new App({
      context: {
        ...cdkJson.context,
        'aws:cdk:bundling-stacks': [],
        'makegood:webAclArn': 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/makegood/0f0e0d0c-0b0a-4908-8706-050403020100',
      },
    });

    // act
    const outputs = Object.keys(guardedTemplate.toJSON().Outputs ?? {});

    // assert
    expect(outputs).toEqual(expect.arrayContaining(['PublicUrl', 'ApiUrl']));
    expect(() => addMakegoodStacks(regional)).toThrow(/makegood:webAclArn must be the ARN of a WAFv2 web ACL of scope CLOUDFRONT/);
  });

  it('leaves no cdk-nag finding unacknowledged with the distribution in place', () => {
    expect(nagFindings(guarded)).toEqual([]);
  });
});
