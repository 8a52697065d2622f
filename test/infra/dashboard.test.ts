import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';
import { synthApp, TEST_HOSTED_ZONE, type SynthesizedApp } from './synth-app';

/**
 * Metrics AWS publishes, by namespace, that a widget may name (from the SQS, Application Load
 * Balancer, Lambda and WAF metric references). A name outside this list is a typo that would
 * draw an empty graph.
 */
const AWS_METRICS: Record<string, readonly string[]> = {
  'AWS/SQS': [
    'ApproximateNumberOfMessagesVisible',
    'ApproximateNumberOfMessagesNotVisible',
    'ApproximateAgeOfOldestMessage',
    'NumberOfMessagesSent',
    'NumberOfMessagesDeleted',
  ],
  'AWS/ApplicationELB': [
    'HTTPCode_Target_5XX_Count',
    'HTTPCode_ELB_5XX_Count',
    'TargetResponseTime',
    'RequestCount',
    'HealthyHostCount',
    'UnHealthyHostCount',
  ],
  'AWS/Lambda': ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'],
  'AWS/WAFV2': ['AllowedRequests', 'BlockedRequests', 'CountedRequests'],
};

/** The pipeline's own metrics: name → the `service` dimension its emitter writes. */
const PIPELINE_METRICS = new Map<string, string>(
  Object.entries(metricNames).flatMap(([service, names]) =>
    Object.values(names).map(
      (name) => [name, metricServices[service as keyof typeof metricServices]] as const,
    ),
  ),
);

interface Widget {
  properties: { title: string; metrics?: unknown[][] };
}

/** The dashboard body with every CloudFormation token replaced by a placeholder. */
function dashboardBody(synthesized: SynthesizedApp): { widgets: Widget[] } {
  const [dashboard] = Object.values(synthesized.json.Resources).filter(
    (resource) => resource.Type === 'AWS::CloudWatch::Dashboard',
  );
  const body = dashboard?.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
    .join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

/** `[namespace, name, dimension, value, …, options?]` → its parts; undefined for expressions. */
function metricOf(entry: unknown[]) {
  const [namespace, metricName, ...rest] = entry;
  if (typeof namespace !== 'string' || typeof metricName !== 'string') return undefined;
  const dimensions = new Map<string, unknown>();
  for (let index = 0; index + 1 < rest.length; index += 2) {
    if (typeof rest[index] === 'string') dimensions.set(rest[index] as string, rest[index + 1]);
  }
  return { namespace, metricName, dimensions };
}

describe('pipeline dashboard', () => {
  let widgets: Widget[];

  beforeAll(() => {
    widgets = dashboardBody(synthApp({ stage: 'dashtest', ...TEST_HOSTED_ZONE })).widgets;
  });

  test('every widget names metrics, and each is one the pipeline or AWS emits', () => {
    const unknown: string[] = [];
    for (const widget of widgets) {
      const metrics = (widget.properties.metrics ?? [])
        .map(metricOf)
        .filter((m) => m !== undefined);
      expect({ title: widget.properties.title, count: metrics.length }).toEqual({
        title: widget.properties.title,
        count: expect.any(Number) as number,
      });
      expect(metrics.length).toBeGreaterThan(0);
      for (const { namespace, metricName, dimensions } of metrics) {
        const known =
          namespace === METRICS_NAMESPACE
            ? PIPELINE_METRICS.get(metricName) !== undefined &&
              dimensions.get('service') === PIPELINE_METRICS.get(metricName)
            : (AWS_METRICS[namespace] ?? []).includes(metricName);
        if (!known) unknown.push(`${widget.properties.title}: ${namespace}/${metricName}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  test('it shows every part of the pipeline', () => {
    const named = widgets.flatMap((widget) =>
      (widget.properties.metrics ?? [])
        .map(metricOf)
        .filter((m) => m !== undefined)
        .map(({ namespace, metricName, dimensions }) =>
          [namespace, metricName, dimensions.get('Rule')].filter(Boolean).join('/'),
        ),
    );
    expect(named).toEqual(
      expect.arrayContaining([
        `${METRICS_NAMESPACE}/${metricNames.producer.registrationFallbacks}`,
        'AWS/Lambda/Errors',
        'AWS/Lambda/Throttles',
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/SQS/ApproximateAgeOfOldestMessage',
        'AWS/ApplicationELB/HTTPCode_Target_5XX_Count',
        'AWS/ApplicationELB/TargetResponseTime',
        'AWS/WAFV2/AllowedRequests/AllowSignedRegistration',
        'AWS/WAFV2/BlockedRequests/BlockUnsignedRegistration',
        `${METRICS_NAMESPACE}/${metricNames.consumer.paused}`,
        `${METRICS_NAMESPACE}/${metricNames.consumer.resumed}`,
        `${METRICS_NAMESPACE}/${metricNames.reconciler.created}`,
        `${METRICS_NAMESPACE}/${metricNames.reconciler.updated}`,
        `${METRICS_NAMESPACE}/${metricNames.reconciler.markedDeleted}`,
        `${METRICS_NAMESPACE}/${metricNames.guardWatch.guardWeakened}`,
      ]),
    );
    const expressions = JSON.stringify(widgets);
    expect(expressions).toContain('fallback rate');
    // Both queues: the depth graph and the DLQ graph name different queues.
    const queueWidgets = widgets.filter((widget) =>
      JSON.stringify(widget).includes('ApproximateNumberOfMessagesVisible'),
    );
    expect(queueWidgets.map((widget) => widget.properties.title)).toEqual([
      'Fallback queue',
      'Dead letters',
    ]);
  });
});
