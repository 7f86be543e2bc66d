import { Arn, ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  FilterCriteria,
  FilterRule,
  Function as FunctionResource,
  LayerVersion,
  LoggingFormat,
  Runtime,
  StartingPosition,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type CfnStateMachine, DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { secretNames } from '#adapters/secret-names.ts';
import { ledgerTableSchema, stateTableSchema } from '#adapters/table-schema.ts';
import { ORIGIN_VERIFY_VARIABLE } from '#handlers/origin-verify.ts';
import {
  concurrencyOf,
  FUNCTION_MEMORY_MB,
  type FunctionAccess,
  type FunctionSpec,
  functionSpecs,
  type SecretKind,
} from '#handlers/registry.ts';
import { functionCode, LAYER_MOUNT, layerCode } from '#infra/bundling.ts';
import { Edge } from '#infra/edge.ts';
import { Email } from '#infra/email.ts';
import { Operations } from '#infra/operations.ts';
import { loadDefinition, refundDefinitionPath, substitutionPlaceholders } from '#infra/refund-definition.ts';
import type { MakegoodSecrets } from './stateful-stack.ts';

/** What a table reader may do: the data-plane reads of `grantReadData`, without stream access. */
const ledgerReadActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];

/** What a state writer may do besides reading: the data-plane writes of `grantReadWriteData`. */
const stateWriteActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** Why `Resource::*` is acknowledged on a function or the state machine. */
const noResourceLevelPermissions =
  'X-Ray PutTraceSegments/PutTelemetryRecords, SES GetAccount, DynamoDB ListStreams (for the stream event source) and the CloudWatch Logs delivery APIs used by Step ' +
  'Functions logging do not support resource-level permissions; the infra tests check that * is used for nothing else.';

/** A function's reserved concurrency under the deployment's cap (none without one). */
function reservedConcurrency(spec: FunctionSpec, cap: number | undefined): { reservedConcurrentExecutions?: number } {
  if (cap === undefined) return {};
  const kind = concurrencyOf(spec);
  return kind === 'single' ? { reservedConcurrentExecutions: 1 } : kind === 'capped' ? { reservedConcurrentExecutions: cap } : {};
}

/** Properties of {@link MakegoodStatelessStack}. */
export interface MakegoodStatelessStackProps extends StackProps {
  /** The append-only ledger; functions get read access and, for `append`, PutItem only. */
  readonly ledger: ITable;
  /** The operational state table. */
  readonly state: ITable;
  /** The secrets: the approval keys, the finance key, and the storefronts' under the prefix. */
  readonly secrets: MakegoodSecrets;
  /**
   * Sender address of every email unless a storefront sets its own; must be an SES identity.
   * @default - not set; the functions fall back to their built-in default sender
   */
  readonly mailFrom?: string;
  /**
   * How long function, state machine and API access logs are kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * The API stage's steady request rate, per second, across all clients; above it, 429.
   * @default 50
   */
  readonly apiRateLimit?: number;
  /**
   * The API stage's burst: how many requests may arrive at once above the steady rate.
   * @default 100
   */
  readonly apiBurstLimit?: number;
  /**
   * An address subscribed to the alarm topic (it must confirm SNS's email).
   * @default none
   */
  readonly alarmEmail?: string;
  /**
   * The reserved concurrency of each `capped` function (registry `concurrency`: the API functions,
   * the webhook dispatcher, the execution-end recorder); each `single` function reserves 1. Lambda
   * refuses a reservation that leaves the account fewer than 100 unreserved, so the sum (14 × N + 2
   * today) must fit under the account's limit minus 100.
   * @default none reserved: every function shares the account's pool, which deploys on any account
   */
  readonly reservedConcurrency?: number;
  /**
   * A domain or address to create as an SES identity (Easy DKIM), with the configuration set as its default.
   * @default none: sender identities are verified outside the stack
   */
  readonly sesIdentity?: string;
  /**
   * The name of the SES configuration set every email is sent through (infra/email.ts).
   * @default `<stack name>-mail`
   */
  readonly sesConfigurationSetName?: string;
  /**
   * A WAFv2 web ACL of scope CLOUDFRONT (created in us-east-1), by ARN: the API is then served
   * through a CloudFront distribution with that web ACL, and refuses requests that go around it
   * (infra/edge.ts).
   * @default no WAF: the API is served on its execute-api address
   */
  readonly webAclArn?: string;
}

/**
 * Everything makegood can rebuild from source: one Lambda function per registry entry, the HTTP
 * API that fronts the API functions, and the Standard state machine that runs the claim workflow.
 * All permissions are derived from each function's `access` in the registry.
 */
export class MakegoodStatelessStack extends Stack {
  /** Every function, by its registry id. */
  readonly functions: ReadonlyMap<string, FunctionResource>;
  /** The third-party code every function imports (infra/bundling.ts), at the versions of package-lock.json. */
  readonly layer: LayerVersion;
  /** The public HTTP API (`$default` stage). */
  readonly api: HttpApi;
  /** The claim workflow. */
  readonly stateMachine: StateMachine;
  /** Failure routing and alarms. */
  readonly operations: Operations;
  /** The SES configuration set, its bounce and complaint routing, and the identity if one was asked for. */
  readonly email: Email;
  /** CloudFront and the web ACL in front of the API, when the deployment names a web ACL. */
  readonly edge: Edge | undefined;

  constructor(scope: Construct, id: string, props: MakegoodStatelessStackProps) {
    super(scope, id, props);
    const specs = functionSpecs;
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;

    // The API resource exists before the functions so that workflow tasks can put its endpoint in
    // the links they email. Routes are added last; the API resource itself depends on nothing.
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'makegood HTTP API v1: claims, returns, approval pages, health',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', { retention: logRetention });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // Every route is behind this, the public ones (approval pages, /health) included.
      throttle: { rateLimit: props.apiRateLimit ?? 50, burstLimit: props.apiBurstLimit ?? 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // routeKey, not path: an approval link's token is in its path and works once; it must not
        // be readable by everyone who can read logs.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLatency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    this.edge = props.webAclArn === undefined ? undefined : new Edge(this, 'Edge', { api: this.api, webAclArn: props.webAclArn });

    this.layer = new LayerVersion(this, 'DependenciesLayer', {
      description: `makegood's third-party code (AWS SDK, Powertools, zod, hono, standardwebhooks), as package-lock.json pins it; mounted at ${LAYER_MOUNT}`,
      code: layerCode(),
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      compatibleArchitectures: [Architecture.ARM_64],
      // A function version keeps the layer version it was published with, even once that layer
      // version is deleted (Lambda keeps its content for the functions that use it): a waiting
      // execution's task version still loads the code it was tested with.
    });

    const functions = new Map<string, FunctionResource>();
    for (const spec of specs) {
      functions.set(spec.id, this.createFunction(spec, props, logRetention));
    }
    this.functions = functions;

    this.stateMachine = this.createStateMachine(specs, refundDefinitionPath, logRetention);

    for (const spec of specs) {
      const fn = this.functionOf(spec.id);
      this.acknowledgeServerless(spec, fn);
      this.grantAccess(fn, spec.access, props);
      if (spec.wakes !== undefined) this.addWakes(spec, fn, props.ledger);
      if (spec.routes !== undefined && spec.routes.length > 0) {
        const integration = new HttpLambdaIntegration(`${spec.id}Integration`, fn);
        for (const route of spec.routes) {
          this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
        }
      }
    }

    const executionEnded = specs.find((s) => s.onExecutionEnd);
    if (executionEnded === undefined) throw new Error('The registry has no onExecutionEnd function');
    this.operations = new Operations(this, 'Operations', {
      functions,
      api: this.api,
      stateMachine: this.stateMachine,
      executionEnded: this.functionOf(executionEnded.id),
      ...(props.alarmEmail !== undefined ? { alarmEmail: props.alarmEmail } : {}),
    });

    const mailFeedback = specs.find((s) => s.onMailFeedback);
    if (mailFeedback === undefined) throw new Error('The registry has no onMailFeedback function');
    this.email = new Email(this, 'Email', {
      functions,
      specs,
      feedback: this.functionOf(mailFeedback.id),
      topic: this.operations.topic,
      ...(props.sesIdentity !== undefined ? { identity: props.sesIdentity } : {}),
      ...(props.sesConfigurationSetName !== undefined ? { configurationSetName: props.sesConfigurationSetName } : {}),
    });

    if (this.edge !== undefined) {
      new CfnOutput(this, 'PublicUrl', {
        description: 'The HTTP API behind the web ACL, for storefronts and approval links',
        value: this.edge.publicUrl,
      });
    }
    new CfnOutput(this, 'ApiUrl', {
      description:
        this.edge === undefined
          ? 'The HTTP API, for storefronts and approval links'
          : 'The HTTP API itself: it refuses every request that does not come through PublicUrl',
      value: this.api.apiEndpoint,
    });
    new CfnOutput(this, 'StateMachineArn', { description: 'The claim workflow', value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Every alarm publishes here: subscribe a pager',
      value: this.operations.topic.topicArn,
    });
    new CfnOutput(this, 'FailedExecutionsQueueUrl', {
      description: 'Executions that failed, timed out or were aborted; each claim is also marked failed',
      value: this.operations.failedExecutions.queueUrl,
    });

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every route authenticates in its function, as the API contract requires: storefront HMAC signatures, ' +
        'signed single-use approval tokens, the finance bearer key; /health is public. An API Gateway authorizer ' +
        'cannot verify an HMAC over the raw body.',
    });
  }

  private functionOf(id: string): FunctionResource {
    const fn = this.functions.get(id);
    if (fn === undefined) throw new Error(`No function ${id}`);
    return fn;
  }

  private createFunction(spec: FunctionSpec, props: MakegoodStatelessStackProps, logRetention: RetentionDays) {
    const isTask = spec.aslPlaceholder !== undefined;
    const environment: Record<string, string> = {
      // The config schema requires both table names and a secrets source in every function, even
      // in one that is granted no access to them; names are not secret.
      MAKEGOOD_LEDGER_TABLE: props.ledger.tableName,
      MAKEGOOD_STATE_TABLE: props.state.tableName,
      MAKEGOOD_SECRETS_PREFIX: props.secrets.prefix,
      // No handler response and no error as trace metadata: either may quote a claim's customer
      // (functions/adapters/tracing.ts enforces the same in code).
      POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      POWERTOOLS_TRACER_CAPTURE_ERROR: 'false',
    };
    if (props.mailFrom !== undefined) environment.MAKEGOOD_MAIL_FROM = props.mailFrom;
    if (this.edge !== undefined) {
      // Behind the WAF, every link goes to the distribution: one to the execute-api address
      // would be refused, and would send a person around the web ACL.
      environment.MAKEGOOD_PUBLIC_URL = this.edge.publicUrl;
      if (spec.routes !== undefined && spec.routes.length > 0) environment[ORIGIN_VERIFY_VARIABLE] = this.edge.originVerifyValue;
    } else if (isTask) {
      // Only workflow tasks email links without a request to derive the host from. API functions
      // answer on whatever host was called (a custom domain, say), so they do not get it.
      environment.MAKEGOOD_PUBLIC_URL = this.api.apiEndpoint;
    }

    const logGroup = new LogGroup(this, `${spec.id}Logs`, { retention: logRetention });
    // An own role instead of the default AWSLambdaBasicExecutionRole, which may write to every log
    // group in the account: this one may write to its function's log group only.
    const role = new Role(this, `${spec.id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `makegood ${spec.id} function`,
    });
    logGroup.grantWrite(role);

    const fn = new FunctionResource(this, `${spec.id}Function`, {
      description: `makegood ${spec.id} (${spec.entry})`,
      // Its bundle, makegood's own code (infra/bundling.ts); what it imports of others is in the layer.
      code: functionCode(spec),
      handler: 'index.handler',
      layers: [this.layer],
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: FUNCTION_MEMORY_MB,
      // API Gateway gives up on an integration after 30 s, so an API function must answer first.
      // Under the ASL's 30 s TimeoutSeconds, so a retried task never overlaps a still-running one.
      timeout: Duration.seconds(spec.timeoutSeconds ?? (isTask ? 25 : 29)),
      tracing: Tracing.ACTIVE,
      // A task's versions outlive the deploy that published them: a waiting execution calls its own.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      role,
      environment,
      ...reservedConcurrency(spec, props.reservedConcurrency),
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned because CI runs the whole suite on Node 22 (scripts/with-node22.sh) and on no newer ' +
        'major; moving to a newer runtime is a deliberate, tested change.',
    });
    Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: noResourceLevelPermissions });
    return fn;
  }

  /** The Serverless pack's findings that do not apply to this function, each with its reason. */
  private acknowledgeServerless(spec: FunctionSpec, fn: FunctionResource) {
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaLatestVersion',
      reason:
        'nodejs22.x is pinned because CI runs the whole suite on Node 22 (scripts/with-node22.sh) and on no newer ' +
        'major; moving to a newer runtime is a deliberate, tested change.',
    });
    // Their asynchronous failures have a destination (infra/operations.ts, infra/email.ts).
    if (spec.onExecutionEnd || spec.onMailFeedback) return;
    const invokedBy = spec.routes?.length
      ? 'API Gateway, synchronously: the caller gets the error'
      : spec.aslPlaceholder !== undefined
        ? "Step Functions, synchronously: the workflow's Retry and Catch (RecordFailure) handle its errors"
        : 'its schedule, to sweep: each run redoes whatever an earlier failed run left, so a failed event holds ' +
          'nothing to recover, and its Errors alarm reports the failure';
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: `Invoked by ${invokedBy}. A dead-letter queue holds failed asynchronous invocations, and none is worth keeping here.`,
    });
    if (spec.wakes?.onLedgerEntries) {
      Validations.of(fn).acknowledge({
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'The stream only wakes the function (the work is in the outbox, not in the records), and the schedule ' +
          'sweeps whatever a failed batch would have woken, so a failed batch loses nothing.',
      });
    }
  }

  /**
   * What wakes a function that no route or workflow calls: new ledger entries (the table's stream,
   * inserts only, batched for up to a second) and a schedule that picks up retries that fall due.
   */
  private addWakes(spec: FunctionSpec, fn: FunctionResource, ledger: ITable) {
    const wakes = spec.wakes;
    if (!wakes) return;
    if (wakes.onLedgerEntries) {
      fn.addEventSource(
        new DynamoEventSource(ledger, {
          startingPosition: StartingPosition.LATEST,
          batchSize: 100,
          maxBatchingWindow: Duration.seconds(1),
          // Up to ten batches of a shard at once: a batch waiting on a hanging receiver (one
          // delivery timeout at most, see deliverWebhooks) does not hold up the batches after it.
          parallelizationFactor: 10,
          filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
          // The schedule sweeps whatever a failed batch would have woken: no need to retry it for long.
          retryAttempts: 2,
        }),
      );
    }
    const schedule = new Rule(this, `${spec.id}Schedule`, {
      description: `Wakes ${spec.id} every ${wakes.everyMinutes} minute(s) for retries that fall due`,
      schedule: Schedule.rate(Duration.minutes(wakes.everyMinutes)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
    Validations.of(schedule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason: 'The schedule only wakes the function; the next tick wakes it again, so an undelivered tick loses nothing.',
    });
  }

  private createStateMachine(specs: readonly FunctionSpec[], definitionPath: string, logRetention: RetentionDays) {
    const definition = loadDefinition(definitionPath);
    const tasks = specs.filter((s): s is FunctionSpec & { aslPlaceholder: string } => s.aslPlaceholder !== undefined);
    const provided = new Set(tasks.map((s) => s.aslPlaceholder));
    const used = substitutionPlaceholders(definition);
    const missing = used.filter((p) => !provided.has(p));
    const unused = [...provided].filter((p) => !used.includes(p));
    if (missing.length > 0 || unused.length > 0) {
      throw new Error(
        `${definitionPath} and the function registry disagree: ` +
          `placeholders without a function: [${missing.join(', ')}]; functions not in the workflow: [${unused.join(', ')}]`,
      );
    }

    const stateMachine = new StateMachine(this, 'RefundStateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'makegood claim workflow (statemachines/refund.asl.json)',
      // Loaded and inlined rather than DefinitionBody.fromFile: an uploaded asset hides the tasks
      // from the template, so neither the grants below nor the infra tests could see them.
      definitionBody: DefinitionBody.fromString(JSON.stringify(definition)),
      // Each task calls the version published with this deploy, not $LATEST: an execution waiting
      // for days across a deploy finishes on the code it started with (a definition is fixed
      // for an execution at its start). Old versions are retained, and grantInvoke below covers
      // every version (`<arn>:*`).
      definitionSubstitutions: Object.fromEntries(tasks.map((s) => [s.aslPlaceholder, this.functionOf(s.id).currentVersion.functionArn])),
      logs: {
        destination: new LogGroup(this, 'RefundStateMachineLogs', { retention: logRetention }),
        level: LogLevel.ALL,
        // State carries customer names and email addresses; the ledger is the audit record.
        includeExecutionData: false,
      },
      tracingEnabled: true,
    });
    for (const task of tasks) {
      const fn = this.functionOf(task.id);
      fn.grantInvoke(stateMachine);
      Validations.of(stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
        reason: `The workflow invokes published versions of ${task.id} (<arn>:<version>), and an execution started before a deploy keeps calling its own version; the resource is still this one task function.`,
      });
    }
    Validations.of(stateMachine).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: noResourceLevelPermissions });
    return stateMachine;
  }

  private grantAccess(fn: FunctionResource, access: FunctionAccess, props: MakegoodStatelessStackProps) {
    if (access.ledger !== 'none') {
      // grantReadData's item reads, on the indexes the schema declares rather than `index/*`: tighter,
      // and cdk-nag's finding for the wildcard is keyed on a hashed cross-stack output name.
      Grant.addToPrincipal({
        grantee: fn,
        actions: ledgerReadActions,
        resourceArns: [
          props.ledger.tableArn,
          ...Object.keys(ledgerTableSchema.indexes).map((index) => `${props.ledger.tableArn}/index/${index}`),
        ],
      });
    }
    if (access.ledger === 'append') {
      // Not grantWriteData: that includes UpdateItem, DeleteItem and BatchWriteItem, and no role
      // may ever change or remove a ledger entry.
      fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.ledger.tableArn] }));
    }
    if (access.state !== 'none') {
      // As for the ledger: the indexes by name rather than `index/*`.
      Grant.addToPrincipal({
        grantee: fn,
        actions: ledgerReadActions,
        resourceArns: [
          props.state.tableArn,
          ...Object.keys(stateTableSchema.indexes).map((index) => `${props.state.tableArn}/index/${index}`),
        ],
      });
    }
    if (access.state === 'readwrite') {
      fn.addToRolePolicy(new PolicyStatement({ actions: stateWriteActions, resources: [props.state.tableArn] }));
    }
    if (access.mail === 'status') {
      // The deep health check (`Mailer.ping`) reads the account's sending status; it sends nothing.
      fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    }
    if (access.mail === 'send') {
      // SESv2 SendEmail with Simple content (ses-mailer.ts): no SendRawEmail.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [Arn.format({ service: 'ses', resource: 'identity', resourceName: '*' }, this)],
        }),
      );
      Validations.of(fn.role ?? fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
        reason:
          "The sender is chosen at run time (MAKEGOOD_MAIL_FROM or a storefront's own address) among the identities " +
          'verified in this account and region, which are not known at deploy time.',
      });
    }
    // The workflow adapter is only built when the ARN is set, for starting and for answering tokens.
    if (access.workflow.length > 0) fn.addEnvironment('MAKEGOOD_STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    if (access.workflow.includes('start')) this.stateMachine.grantStartExecution(fn);
    // Not grantTaskResponse: that adds SendTaskFailure and SendTaskHeartbeat, which no function calls
    // (the Workflow port answers a token only with success).
    if (access.workflow.includes('callback')) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachine.stateMachineArn] }));
    }
    if (access.workflow.includes('describe')) {
      this.stateMachine.grantExecution(fn, 'states:DescribeExecution');
      Validations.of(fn.role ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${this.getLogicalId(this.stateMachine.node.defaultChild as CfnStateMachine)}"}]}]}:*]`,
        reason: "Executions of this one state machine, named by their claim at run time: a retry's name is not known at deploy time.",
      });
    }
    for (const kind of access.secrets) this.grantSecrets(fn, kind, props.secrets);
  }

  /** Lets a function read one kind of secret, and no other (adapters/secrets.ts names them). */
  private grantSecrets(fn: FunctionResource, kind: SecretKind, secrets: MakegoodSecrets) {
    if (kind === 'approval') secrets.approvalKeys.grantRead(fn);
    if (kind === 'finance') secrets.financeKey.grantRead(fn);
    if (kind !== 'storefronts') return;
    // The storefronts' secrets are made after deploy, one per storefront, by `npx makegood
    // storefront add`: the grant is by name, under their folder (Secrets Manager adds a random
    // `-XXXXXX` to every ARN, which `*` covers).
    const folder = `${secrets.prefix}/${secretNames.storefrontsFolder}/`;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          this.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${folder}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${folder}*]`,
      reason:
        "The storefronts' signing secrets, one per storefront, made after deploy and named by storefront id under this " +
        'folder: which storefront signs a request is known only when it arrives. GetSecretValue only, and no other secret.',
    });
  }
}
