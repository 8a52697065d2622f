import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_RECEIVE_COUNT } from '#contract/delivery';

/** Re-exported for the stack tests; defined with the delivery semantics in the contract. */
export { MAX_RECEIVE_COUNT };

/** Longest the DLQ keeps a message (SQS maximum); it must outlive the source queue's retention. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** How long an undelivered registration may wait in the source queue. */
export const REGISTRATION_RETENTION = Duration.days(4);

export interface RegistrationQueueProps {
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The fallback path for registrations: a queue the producer writes to when the API cannot take
 * the user in time, and its dead-letter queue. Both encrypted with SQS-managed keys (no KMS grants
 * to hand out, no key policy for the alarms to worry about) and TLS-only.
 */
export class RegistrationQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /**
   * The redrive path: operators assume this role to move dead letters back
   * (`npm run dlq:redrive`); it is the only principal besides the producer that may send to the
   * queue.
   */
  readonly redriveRole: iam.Role;

  constructor(scope: Construct, id: string, props: RegistrationQueueProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
      removalPolicy,
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: REGISTRATION_RETENTION,
      // The consumer sets each message's backoff itself; this only covers one API attempt.
      visibilityTimeout: Duration.seconds(60),
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
      removalPolicy,
    });

    this.redriveRole = new iam.Role(this, 'RedriveRole', {
      description: 'Assumed by operators to move dead-lettered registrations back to the queue',
      // Any principal of this account whose own policy allows sts:AssumeRole on it.
      assumedBy: new iam.AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(1),
    });
    // StartMessageMoveTask reads and deletes on the DLQ and sends to the source queue; the
    // copy fallback does the same by hand.
    this.deadLetterQueue.grantConsumeMessages(this.redriveRole);
    this.deadLetterQueue.grant(
      this.redriveRole,
      'sqs:StartMessageMoveTask',
      'sqs:ListMessageMoveTasks',
      'sqs:CancelMessageMoveTask',
    );
    this.queue.grantSendMessages(this.redriveRole);
  }

  /**
   * Queue policies that refuse SendMessage to everyone but the given roles, whatever their
   * identity policies say: without them any principal of the account with `sqs:SendMessage`
   * could enqueue a registration, which the consumer would forward with the header, past WAF.
   * SQS's own redrive to the DLQ (maxReceiveCount) is not a principal's call and is unaffected.
   */
  restrictSenders(senders: { registrations: iam.IRole[]; deadLetters: iam.IRole[] }): void {
    const onlyFrom = (queue: sqs.Queue, roles: iam.IRole[], sid: string): void => {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': roles.map((role) => role.roleArn) } },
        }),
      );
    };
    onlyFrom(
      this.queue,
      [...senders.registrations, this.redriveRole],
      'OnlyTheProducerAndTheRedriveRoleSend',
    );
    onlyFrom(this.deadLetterQueue, senders.deadLetters, 'OnlyTheConsumerDeadLetters');
  }
}
