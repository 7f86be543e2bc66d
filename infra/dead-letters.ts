import { Duration, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue that an operator reads (14 days, encrypted, TLS only). Nothing consumes it,
 * so it has no dead-letter queue or redrive of its own; `holds` says what lands on it, for the
 * acknowledgements of those two findings.
 */
export function operatorQueue(scope: Construct, id: string, holds: string): Queue {
  const queue = new Queue(scope, id, { retentionPeriod: Duration.days(14), encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue ${holds}. An operator reads it; nothing consumes it, so it needs no DLQ of its own.`,
  });
  Validations.of(queue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'This queue is a dead-letter queue; nothing consumes it, so no message is ever redriven from it.',
  });
  return queue;
}

/**
 * Sends what an asynchronously invoked function still fails after Lambda's own two retries to
 * `queue`, with the error (an on-failure destination, which a DeadLetterConfig is not).
 */
export function asyncFailuresTo(fn: IFunction, queue: Queue, queueName: string): void {
  fn.configureAsyncInvoke({ onFailure: new SqsDestination(queue), retryAttempts: 2 });
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason:
      `Its failed asynchronous invocations go to the ${queueName} queue through an on-failure destination, ` +
      'which keeps the error with the event; a DeadLetterConfig would keep only the event.',
  });
}
