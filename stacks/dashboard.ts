import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  METRICS_NAMESPACE,
  metricNames,
  metricServices,
  type MetricService,
} from '#contract/metrics';
import { WAF_RULE_NAMES } from './waf-guard';

export interface DashboardProps {
  readonly registrationQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly producer: lambda.IFunction;
  /** The WAF WebACL's metric name: the `WebACL` dimension of its metrics. */
  readonly webAclMetricName: string;
  /** GuardWatch's verdict: 1 while the WAF guard is weakened (or its check cannot tell), else 0. */
  readonly guardWeakened: cloudwatch.IMetric;
}

const PERIOD = Duration.minutes(5);

/** A metric the pipeline writes itself (Powertools Metrics), named in contract/metrics. */
function pipelineMetric(service: MetricService, metricName: string, label: string) {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
    label,
  });
}

/**
 * One CloudWatch dashboard for the whole pipeline, top to bottom in the order a registration
 * travels: which path sign-ups took, the queue and its dead letters, the API, the WAF guard in
 * front of it, the consumer's pauses and the reconciler's corrections.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const fallbackMetric = (statistic: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: metricNames.producer.registrationFallbacks,
        dimensionsMap: { service: metricServices.producer },
        statistic,
        period: PERIOD,
      });
    const failed = props.producer.metricErrors({ period: PERIOD, label: 'failed (both paths)' });
    // The producer writes RegistrationFallbacks once per registration: 0 when the API took it,
    // 1 when it went to the queue or failed. Its sample count is the number of registrations.
    const registrationsByPath = new cloudwatch.GraphWidget({
      title: 'Registrations by path',
      width: 12,
      left: [
        new cloudwatch.MathExpression({
          expression: 'FILL(registrations, 0) - FILL(fallbacks, 0)',
          usingMetrics: {
            registrations: fallbackMetric(cloudwatch.Stats.SAMPLE_COUNT),
            fallbacks: fallbackMetric(cloudwatch.Stats.SUM),
          },
          label: 'API',
          period: PERIOD,
        }),
        new cloudwatch.MathExpression({
          expression: 'FILL(fallbacks, 0)',
          usingMetrics: { fallbacks: fallbackMetric(cloudwatch.Stats.SUM) },
          label: 'queue (or failed)',
          period: PERIOD,
        }),
        failed,
      ],
      right: [
        new cloudwatch.MathExpression({
          expression: '100 * fallbackShare',
          usingMetrics: { fallbackShare: fallbackMetric(cloudwatch.Stats.AVERAGE) },
          label: 'fallback rate (%)',
          period: PERIOD,
        }),
      ],
      rightYAxis: { min: 0, max: 100, label: '%', showUnits: false },
    });

    const producerHealth = new cloudwatch.GraphWidget({
      title: 'PostConfirmation trigger',
      width: 12,
      left: [
        props.producer.metricInvocations({ period: PERIOD }),
        props.producer.metricThrottles({ period: PERIOD }),
      ],
      right: [props.producer.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.p(99) })],
    });

    const queue = new cloudwatch.GraphWidget({
      title: 'Fallback queue',
      width: 12,
      left: [
        props.registrationQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'depth (visible)',
        }),
      ],
      right: [
        props.registrationQueue.metricApproximateAgeOfOldestMessage({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'age of oldest (s)',
        }),
      ],
    });

    const deadLetters = new cloudwatch.GraphWidget({
      title: 'Dead letters',
      width: 12,
      left: [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'DLQ depth',
        }),
      ],
    });

    const api = new cloudwatch.GraphWidget({
      title: 'API',
      width: 12,
      left: [
        props.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
          period: PERIOD,
          label: 'API 5xx',
        }),
        props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
          period: PERIOD,
          label: 'load balancer 5xx',
        }),
      ],
      right: [
        props.loadBalancer.metrics.targetResponseTime({
          period: PERIOD,
          statistic: cloudwatch.Stats.p(50),
          label: 'latency p50',
        }),
        props.loadBalancer.metrics.targetResponseTime({
          period: PERIOD,
          statistic: cloudwatch.Stats.p(99),
          label: 'latency p99',
        }),
      ],
    });

    const guardMetric = (metricName: string, rule: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName,
        dimensionsMap: { WebACL: props.webAclMetricName, Region: stack.region, Rule: rule },
        statistic: cloudwatch.Stats.SUM,
        period: PERIOD,
        label,
      });
    const guard = new cloudwatch.GraphWidget({
      title: 'WAF registration guard',
      width: 12,
      left: [
        guardMetric('AllowedRequests', WAF_RULE_NAMES.allowSignedRegistration, 'allowed'),
        guardMetric('BlockedRequests', WAF_RULE_NAMES.blockUnsignedRegistration, 'blocked'),
      ],
      right: [props.guardWeakened],
      rightYAxis: { min: 0, max: 1, label: 'weakened (1) or intact (0)', showUnits: false },
    });

    const consumer = new cloudwatch.GraphWidget({
      title: 'Consumer pauses (API down)',
      width: 12,
      left: [
        pipelineMetric(metricServices.consumer, metricNames.consumer.paused, 'paused'),
        pipelineMetric(metricServices.consumer, metricNames.consumer.resumed, 'resumed'),
      ],
      right: [
        pipelineMetric(
          metricServices.consumer,
          metricNames.consumer.outageSeconds,
          'outage ridden out (s)',
        ),
      ],
    });

    const reconciler = new cloudwatch.GraphWidget({
      title: 'Reconciler drift (corrections per run)',
      width: 12,
      left: [
        pipelineMetric(metricServices.reconciler, metricNames.reconciler.created, 'created'),
        pipelineMetric(metricServices.reconciler, metricNames.reconciler.updated, 'updated'),
        pipelineMetric(
          metricServices.reconciler,
          metricNames.reconciler.markedDeleted,
          'marked deleted',
        ),
      ],
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-pipeline`,
      defaultInterval: Duration.hours(6),
      widgets: [
        [registrationsByPath, producerHealth],
        [queue, deadLetters],
        [api, guard],
        [consumer, reconciler],
      ],
    });
  }
}
