import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { GuardFinding } from './guard-assessment';
import { GUARD_WEAKENED_METRIC } from './guard-metric';

/**
 * Writes one run's verdict as EMF (Powertools Metrics on stdout, turned into metrics by
 * CloudWatch Logs): the per-kind datapoints first, each in its own line because its dimension set
 * differs, then the 0/1 the alarm watches. A run that never gets here publishes nothing, which
 * the alarm treats as breaching.
 */
export function publishGuardMetrics(metrics: Metrics, findings: readonly GuardFinding[]): void {
  for (const kind of new Set(findings.map((entry) => entry.kind))) {
    const perKind = metrics.singleMetric();
    perKind.addDimension(GUARD_WEAKENED_METRIC.findingDimension, kind);
    perKind.addMetric(GUARD_WEAKENED_METRIC.metricName, MetricUnit.Count, 1);
  }
  metrics.addMetric(
    GUARD_WEAKENED_METRIC.metricName,
    MetricUnit.Count,
    findings.length > 0 ? 1 : 0,
  );
  metrics.publishStoredMetrics();
}
