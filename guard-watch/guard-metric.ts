import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';

/**
 * The check's CloudWatch metric. Each run publishes `GuardWeakened` with only the `service`
 * dimension (1: something is wrong, 0: intact) — what the alarm watches — and, for each kind of
 * finding, `GuardWeakened` with a `Finding` dimension too (1), to see which. The emitter and the
 * construct's alarm both take the names from here.
 */
export const GUARD_WEAKENED_METRIC = {
  namespace: METRICS_NAMESPACE,
  metricName: metricNames.guardWatch.guardWeakened,
  /** The `service` dimension Powertools Metrics adds (and the Logger's service name). */
  service: metricServices.guardWatch,
  findingDimension: 'Finding',
} as const;
