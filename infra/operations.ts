import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { businessMetrics } from '#handlers/business-metrics.ts';
import { asyncFailuresTo, operatorQueue } from '#infra/dead-letters.ts';

/** Properties of {@link Operations}. */
export interface OperationsProps {
  /** Every function, by its registry id: each gets an errors and a throttles alarm. */
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly api: HttpApi;
  readonly stateMachine: IStateMachine;
  /** The function that records an execution's end on its claim's ledger (registry `onExecutionEnd`). */
  readonly executionEnded: IFunction;
  /**
   * An address subscribed to the alarm topic. It must confirm the subscription from SNS's email.
   * @default no subscription: subscribe a pager or chat integration to the topic output
   */
  readonly alarmEmail?: string;
  /**
   * The API's p99 latency, in milliseconds, above which its latency alarm fires.
   * @default 3000
   */
  readonly apiLatencyP99Ms?: number;
}

/**
 * What tells an operator that something went wrong: failed, timed-out and aborted executions
 * routed to a queue and recorded on their claims, and every alarm on one SNS topic.
 *
 * - An EventBridge rule matches the state machine's executions that end FAILED, TIMED_OUT or
 *   ABORTED. It sends each to the `FailedExecutions` queue (kept 14 days) and to the function
 *   that records the end on the claim's ledger (`ExecutionEnded`). A delivery to that function
 *   that still fails after the rule's retries lands on the same queue.
 * - Alarms, on metrics AWS provides (any function error or throttle, API 5xx and p99 latency, any
 *   message in the queue) and on two the functions emit (an approval past its deadline, a webhook
 *   event given up). Missing data is not breaching: no traffic, no alarm.
 * - A dashboard of the business metrics, claims by outcome and value granted among them.
 */
export class Operations extends Construct {
  /** Every alarm's action. */
  readonly topic: Topic;
  /** Executions that did not succeed, and end events the recorder could not take. */
  readonly failedExecutions: Queue;
  /** Every alarm, by construct id. */
  readonly alarms: ReadonlyMap<string, Alarm>;
  /** The business metrics on one page: claims by outcome, value granted, approvals and webhooks. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'makegood alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and alarm ' +
        'notifications carry only alarm names, metrics and thresholds: no customer data to encrypt.',
    });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.failedExecutions = operatorQueue(
      this,
      'FailedExecutions',
      'of failed executions, and of the end events the recorder function could not take',
    );
    // EventBridge invokes the recorder asynchronously.
    asyncFailuresTo(props.executionEnded, this.failedExecutions, 'FailedExecutions');
    const rule = new Rule(this, 'ExecutionEndedRule', {
      description: 'makegood executions that failed, timed out or were aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [props.stateMachine.stateMachineArn] },
      },
      targets: [
        new SqsQueue(this.failedExecutions),
        new LambdaFunction(props.executionEnded, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.failedExecutions,
        }),
      ],
    });
    Validations.of(rule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'One target is the FailedExecutions queue itself, which has no queue to fall back on; the other target, the ' +
        'recorder function, has that queue as its DLQ.',
    });

    const alarms = new Map<string, Alarm>();
    const alarm = (alarmId: string, metric: IMetric, description: string, threshold = 1) => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      alarms.set(alarmId, created);
    };
    const fiveMinutes = Duration.minutes(5);
    for (const [fnId, fn] of props.functions) {
      alarm(`${fnId}Errors`, fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }), `makegood ${fnId}: invocations failed`);
      alarm(`${fnId}Throttles`, fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }), `makegood ${fnId}: invocations throttled`);
    }
    alarm('Api5xx', props.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }), 'makegood API: answers with a 5xx status');
    const latencyMs = props.apiLatencyP99Ms ?? 3000;
    alarm(
      'ApiLatencyP99',
      props.api.metricLatency({ period: fiveMinutes, statistic: 'p99' }),
      `makegood API: p99 latency at or above ${latencyMs} ms`,
      latencyMs,
    );
    alarm(
      'FailedExecutionsWaiting',
      this.failedExecutions.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
      'makegood: an execution failed, timed out or was aborted (see the FailedExecutions queue and `makegood claims retry`)',
    );
    // Metrics the functions emit (functions/handlers/observability.ts), under Powertools' `service` dimension.
    const business = (metricName: string) =>
      new Metric({
        namespace: businessMetrics.namespace,
        metricName,
        dimensionsMap: { service: businessMetrics.service },
        period: fiveMinutes,
        statistic: 'Sum',
      });
    alarm(
      'ApprovalsOverdue',
      business(businessMetrics.approvalsOverdue),
      "makegood: an approval tier's wait ended unanswered, and the claim went up a tier (or, at the top, to a supervisor's follow-up)",
    );
    alarm(
      'WebhookDeliveriesFailed',
      business(businessMetrics.webhookDeliveriesFailed),
      'makegood: webhook events given up after their last attempt, or an endpoint disabled by 410 Gone (`makegood webhooks list --failed`)',
    );
    this.alarms = alarms;
    this.dashboard = this.businessDashboard(business);
  }

  /**
   * One dashboard of the business metrics (CloudWatch's first three dashboards are free, then
   * $3 a month each). Claims by outcome and value granted get no alarm: what is normal depends on
   * a shop's volume and currency, which no default threshold knows; an operator reads their
   * trend here. Their series are found by SEARCH, since the currencies are the shops' own.
   */
  private businessDashboard(business: (metricName: string) => Metric): Dashboard {
    const hour = Duration.hours(1);
    // Each series is named by its dimension values (an outcome; a currency and a kind).
    const search = (metricName: string, dimensions: readonly string[]) =>
      new MathExpression({
        expression: `SEARCH('{${businessMetrics.namespace},${[...dimensions].sort().join(',')}} MetricName="${metricName}"', 'Sum', ${hour.toSeconds()})`,
        period: hour,
        usingMetrics: {},
      });
    const dashboard = new Dashboard(this, 'BusinessDashboard', { defaultInterval: Duration.days(7) });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Claims concluded by outcome (per hour)',
        left: [search(businessMetrics.claimsConcluded, ['outcome', 'service'])],
        stacked: true,
        width: 12,
      }),
      new GraphWidget({
        title: 'Value granted, minor units, by currency and kind (per hour)',
        left: [search(businessMetrics.valueGranted, ['currency', 'kind', 'service'])],
        width: 12,
      }),
      new GraphWidget({
        title: 'Approvals overdue and webhook events given up (per hour)',
        left: [businessMetrics.approvalsOverdue, businessMetrics.webhookDeliveriesFailed].map((name) =>
          business(name).with({ period: hour }),
        ),
        width: 24,
      }),
    );
    return dashboard;
  }
}
