import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';

/** The consumer's CloudWatch metrics; each call is published at once (a long-running task). */
export interface ConsumerMetrics {
  paused(): void;
  resumed(outageSeconds: number): void;
  /** A delivery the API answered with a defect (500 and the like), not an outage. */
  serverDefect(): void;
}

const names = metricNames.consumer;
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * Powertools Metrics, which writes CloudWatch embedded-metric-format lines to stdout: in a
 * container as in a Lambda, the log driver ships them and CloudWatch turns them into metrics.
 */
export function createConsumerMetrics(
  metrics: Metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: metricServices.consumer,
  }),
): ConsumerMetrics {
  const publish = (name: string, unit: Unit, value: number): void => {
    metrics.addMetric(name, unit, value);
    metrics.publishStoredMetrics();
  };
  return {
    paused: () => publish(names.paused, MetricUnit.Count, 1),
    resumed: (outageSeconds) => {
      metrics.addMetric(names.resumed, MetricUnit.Count, 1);
      publish(names.outageSeconds, MetricUnit.Seconds, outageSeconds);
    },
    serverDefect: () => publish(names.serverDefects, MetricUnit.Count, 1),
  };
}
