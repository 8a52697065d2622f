/**
 * The pipeline's own CloudWatch metrics (written as EMF by Powertools Metrics, in the Lambda and
 * in the containers alike). The emitters, the alarms and the dashboard all take the names from
 * here, so a renamed metric cannot leave an alarm watching nothing.
 */
export const METRICS_NAMESPACE = 'CognitoUserSync';

/** The `service` dimension Powertools Metrics adds to every metric of a runtime. */
export const metricServices = {
  producer: 'producer',
  consumer: 'consumer',
  reconciler: 'reconciler',
  guardWatch: 'guard-watch',
} as const;
export type MetricService = (typeof metricServices)[keyof typeof metricServices];

/** Metric names, grouped by the service that emits them. */
export const metricNames = {
  producer: {
    /** 1 per registration that took the queue path (or failed both), 0 per API success. */
    registrationFallbacks: 'RegistrationFallbacks',
  },
  consumer: {
    /** 1 each time the consumer stops receiving because the API itself is down. */
    paused: 'ConsumerPaused',
    /** 1 each time it resumes; its value is not the outage: see `outageSeconds`. */
    resumed: 'ConsumerResumed',
    /** Length of the outage the consumer rode out, emitted on resume. */
    outageSeconds: 'ConsumerOutageSeconds',
    /** Deliveries the API answered with 500 (a defect, not an outage). */
    serverDefects: 'ConsumerServerDefects',
  },
  reconciler: {
    created: 'ReconcileCreated',
    updated: 'ReconcileUpdated',
    markedDeleted: 'ReconcileMarkedDeleted',
  },
  guardWatch: {
    /** 1 when a run of the guard check found the WAF guard weakened (or could not tell), else 0. */
    guardWeakened: 'GuardWeakened',
  },
} as const;
