import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';

/** The producer's fallback counter (Powertools Metrics, EMF): one per registration queued. */
export const FALLBACK_METRIC = {
  namespace: METRICS_NAMESPACE,
  metricName: metricNames.producer.registrationFallbacks,
  dimensionsMap: { service: metricServices.producer },
} as const;

/** Oldest queued registration before someone should look: several backoff rounds have failed. */
export const OLDEST_MESSAGE_AGE_THRESHOLD = Duration.minutes(30);
/** Share of sign-ups that may go to the queue in 15 minutes before the API is presumed unwell. */
export const FALLBACK_RATE_THRESHOLD_PERCENT = 20;

export interface AlarmsProps {
  readonly registrationQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly producer: lambda.IFunction;
  /** Requests blocked by the WAF registration guard. */
  readonly guardBlockedRequests: cloudwatch.IMetric;
  /** Subscribed to the alarm topic by e-mail when given. */
  readonly alarmEmail?: string;
}

/**
 * The alarms that say a registration is late or lost, all sent to one SNS topic: dead letters,
 * an old queue head, API 5xx, producer errors and throttles, a high fallback rate and a burst of
 * WAF guard blocks (the usual sign of a sender holding a stale header value).
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);

    // CloudWatch publishes alarms as the service itself, so both the topic policy and the key
    // policy must let cloudwatch.amazonaws.com in: without that allow, alarms fire and reach
    // no one. Both are limited to this account's alarms in this region (confused deputy).
    // The AWS-managed aws/sns key cannot be given that permission, so the topic has its own key.
    const stack = Stack.of(this);
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the alarm topic',
      enableKeyRotation: true,
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { masterKey: topicKey, enforceSSL: true });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const notify = new actions.SnsAction(this.topic);

    const add = (alarmId: string, alarmProps: cloudwatch.AlarmProps): void => {
      const alarm = new cloudwatch.Alarm(this, alarmId, alarmProps);
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms.push(alarm);
    };

    add('DeadLetters', {
      alarmDescription:
        'Registrations reached the DLQ: rejected by the API (400) or out of retries. ' +
        'Inspect them and redrive with `npm run dlq:redrive`.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    add('OldestRegistrationAge', {
      alarmDescription:
        'A queued registration has waited too long: the API has been failing for a while.',
      metric: props.registrationQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: OLDEST_MESSAGE_AGE_THRESHOLD.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    add('Api5xx', {
      alarmDescription:
        'The API or the load balancer answered 5xx (database down, no healthy task).',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(target, 0) + FILL(elb, 0)',
        usingMetrics: {
          target: props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
            period: Duration.minutes(5),
          }),
          elb: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
            period: Duration.minutes(5),
          }),
        },
        label: 'API 5xx',
        period: Duration.minutes(5),
      }),
      threshold: 10,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    add('ProducerErrors', {
      alarmDescription:
        'The PostConfirmation trigger failed: neither the API nor the queue took a registration.',
      metric: props.producer.metricErrors({ period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    add('ProducerThrottles', {
      alarmDescription:
        'Lambda throttled the PostConfirmation trigger: those sign-ups were confirmed but went ' +
        'neither to the API nor to the queue (Cognito does not retry a throttle for long). Raise ' +
        'the reserved concurrency (producerReservedConcurrency) and run `npm run reconcile`.',
      metric: props.producer.metricThrottles({ period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const fallbacks = new cloudwatch.Metric({
      ...FALLBACK_METRIC,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(15),
    });
    add('ProducerFallbackRate', {
      alarmDescription:
        'Too many sign-ups went to the queue instead of the API (percent of invocations).',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(invocations > 0, 100 * FILL(fallbacks, 0) / invocations, 0)',
        usingMetrics: {
          fallbacks,
          invocations: props.producer.metricInvocations({ period: Duration.minutes(15) }),
        },
        label: 'Producer fallback rate (%)',
        period: Duration.minutes(15),
      }),
      threshold: FALLBACK_RATE_THRESHOLD_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    add('GuardBlocks', {
      alarmDescription:
        'The WAF registration guard blocked many requests: scanning, or a sender with a stale ' +
        'header value (check the producer fallback rate and a rotation in progress).',
      metric: props.guardBlockedRequests,
      threshold: 50,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
