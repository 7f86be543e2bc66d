import { CfnOutput, Duration, Fn, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationSet, EmailIdentity, EmailSendingEvent, EventDestination, Identity, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { emailTagNames } from '#domain/mail-tags.ts';
import type { FunctionSpec } from '#handlers/registry.ts';
import { asyncFailuresTo, operatorQueue } from '#infra/dead-letters.ts';

/** Properties of {@link Email}. */
export interface EmailProps {
  /** Every function, by its registry id. */
  readonly functions: ReadonlyMap<string, LambdaFn>;
  /** The registry: the functions whose access is `mail: 'send'` send through the configuration set. */
  readonly specs: readonly FunctionSpec[];
  /** The function that records bounces and complaints (registry `onMailFeedback`). */
  readonly feedback: LambdaFn;
  /** The alarm topic: feedback events the function could not take alarm here. */
  readonly topic: ITopic;
  /**
   * A domain (`shop.example`) or an address (`care@shop.example`) to create as an SES identity,
   * with Easy DKIM and this configuration set as its default.
   * @default none: identities are verified outside the stack (each sender must be one)
   */
  readonly identity?: string;
  /**
   * The configuration set's name.
   * @default `<stack name>-mail`
   */
  readonly configurationSetName?: string;
}

/**
 * Email in production: the configuration set every email is sent through, what it does with
 * bounces and complaints, and optionally the sending identity.
 *
 * - The configuration set publishes BOUNCE and COMPLAINT events (nothing else: sends, deliveries,
 *   opens are no one's record here) to the default EventBridge bus, and adds such addresses to
 *   SES's account-level suppression list as well (`SuppressedReasons`).
 * - A rule sends the events of this configuration set that carry makegood's claim tag to the
 *   feedback function, which records them on the claim's ledger and suppresses the address in
 *   makegood's own list. An event the function still fails on after a day of retries lands on
 *   a dead-letter queue, which alarms.
 * - Each sending function gets the set's name (`MAKEGOOD_SES_CONFIGURATION_SET`) and may send
 *   through it: SES checks `ses:SendEmail` on the configuration set as well as on the identity.
 */
export class Email extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** The identity the stack created, if it was asked to. */
  readonly identity: EmailIdentity | undefined;
  /** Feedback events the function could not take. */
  readonly deadLetters: Queue;
  readonly feedbackRule: Rule;

  constructor(scope: Construct, id: string, props: EmailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = props.configurationSetName ?? `${stack.stackName}-mail`;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: name,
      reputationMetrics: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSet.addEventDestination('Feedback', {
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });

    if (props.identity !== undefined) {
      this.identity = new EmailIdentity(this, 'Identity', {
        identity: props.identity.includes('@') ? Identity.email(props.identity) : Identity.domain(props.identity),
        configurationSet: this.configurationSet,
      });
      new CfnOutput(stack, 'SesIdentity', {
        description: 'The SES identity this stack created: verify it (see the README)',
        value: props.identity,
      });
      if (!props.identity.includes('@')) {
        const records = [1, 2, 3].map((n) => {
          const identity = this.identity as EmailIdentity;
          const [recordName, recordValue] =
            n === 1
              ? [identity.dkimDnsTokenName1, identity.dkimDnsTokenValue1]
              : n === 2
                ? [identity.dkimDnsTokenName2, identity.dkimDnsTokenValue2]
                : [identity.dkimDnsTokenName3, identity.dkimDnsTokenValue3];
          return Fn.join(' ', [recordName, 'CNAME', recordValue]);
        });
        new CfnOutput(stack, 'SesDkimRecords', {
          description: "The three CNAME records that verify the domain (Easy DKIM): add them to the domain's DNS",
          value: Fn.join(' ; ', records),
        });
      }
    }
    new CfnOutput(stack, 'SesConfigurationSetName', {
      description: 'Every email is sent through this configuration set; it publishes bounces and complaints',
      value: this.configurationSet.configurationSetName,
    });

    const configurationSetArn = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: name });
    for (const spec of props.specs) {
      if (spec.access.mail !== 'send') continue;
      const fn = props.functions.get(spec.id);
      if (fn === undefined) throw new Error(`No function ${spec.id}`);
      fn.addEnvironment('MAKEGOOD_SES_CONFIGURATION_SET', this.configurationSet.configurationSetName);
      fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources: [configurationSetArn] }));
    }

    this.deadLetters = operatorQueue(
      this,
      'FeedbackDeadLetters',
      'of the bounce and complaint events the feedback function could not take',
    );
    // EventBridge invokes the function asynchronously.
    asyncFailuresTo(props.feedback, this.deadLetters, 'FeedbackDeadLetters');
    this.feedbackRule = new Rule(this, 'FeedbackRule', {
      description: "SES bounces and complaints of makegood's claim emails, to the function that records them",
      eventPattern: {
        source: ['aws.ses'],
        detailType: ['Email Bounced', 'Email Complaint Received'],
        detail: {
          mail: { tags: { 'ses:configuration-set': [this.configurationSet.configurationSetName], [emailTagNames.claim]: Match.exists() } },
        },
      },
      targets: [
        new LambdaFunction(props.feedback, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue: this.deadLetters }),
      ],
    });

    const waiting = new Alarm(this, 'FeedbackDeadLettersWaiting', {
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription:
        "makegood: a bounce or complaint was not recorded on its claim (see the FeedbackDeadLetters queue), nor its address put on makegood's suppression list",
    });
    waiting.addAlarmAction(new SnsAction(props.topic));
  }
}
