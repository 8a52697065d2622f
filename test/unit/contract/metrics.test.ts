import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';

describe('metric names', () => {
  it('when alarms and emitters name a metric, then these exact names and dimensions are used', () => {
    expect(METRICS_NAMESPACE).toBe('CognitoUserSync');
    expect(metricServices).toEqual({
      producer: 'producer',
      consumer: 'consumer',
      reconciler: 'reconciler',
      guardWatch: 'guard-watch',
    });
    expect(metricNames).toEqual({
      producer: { registrationFallbacks: 'RegistrationFallbacks' },
      consumer: {
        paused: 'ConsumerPaused',
        resumed: 'ConsumerResumed',
        outageSeconds: 'ConsumerOutageSeconds',
        serverDefects: 'ConsumerServerDefects',
      },
      reconciler: {
        created: 'ReconcileCreated',
        updated: 'ReconcileUpdated',
        markedDeleted: 'ReconcileMarkedDeleted',
      },
      guardWatch: { guardWeakened: 'GuardWeakened' },
    });
  });
});
