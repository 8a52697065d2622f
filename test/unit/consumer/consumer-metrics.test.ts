import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';
import { createConsumerMetrics } from '../../../consumer/consumer-metrics';

interface EmfMetric {
  Name: string;
  Unit: string;
}

interface EmfLine {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: EmfMetric[] }> };
  service: string;
  [metric: string]: unknown;
}

/** The metrics each publish would write, in the order published. */
function recordingMetrics(): { metrics: Metrics; published: EmfLine[] } {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  const published: EmfLine[] = [];
  jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    published.push(metrics.serializeMetrics() as unknown as EmfLine);
    metrics.clearMetrics();
    return metrics;
  });
  return { metrics, published };
}

const valuesOf = (line: EmfLine): Record<string, { unit: string; value: unknown }> =>
  Object.fromEntries(
    line._aws.CloudWatchMetrics.flatMap((group) => group.Metrics).map((metric) => [
      metric.Name,
      { unit: metric.Unit, value: line[metric.Name] },
    ]),
  );

describe('consumer metrics', () => {
  const names = metricNames.consumer;

  it('when the consumer pauses, then ConsumerPaused 1 (Count) is published at once', () => {
    const { metrics, published } = recordingMetrics();

    createConsumerMetrics(metrics).paused();

    expect(published.map(valuesOf)).toEqual([{ [names.paused]: { unit: 'Count', value: 1 } }]);
  });

  it('when the consumer resumes, then ConsumerResumed 1 and the outage in seconds go out in one publish', () => {
    const { metrics, published } = recordingMetrics();

    createConsumerMetrics(metrics).resumed(42.5);

    expect(published.map(valuesOf)).toEqual([
      {
        [names.resumed]: { unit: 'Count', value: 1 },
        [names.outageSeconds]: { unit: 'Seconds', value: 42.5 },
      },
    ]);
  });

  it('when the API answers with a defect, then ConsumerServerDefects 1 (Count) is published at once', () => {
    const { metrics, published } = recordingMetrics();

    createConsumerMetrics(metrics).serverDefect();

    expect(published.map(valuesOf)).toEqual([
      { [names.serverDefects]: { unit: 'Count', value: 1 } },
    ]);
  });

  it('when no Metrics is given, then EMF lines go to stdout in the pipeline namespace for the consumer service', () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      createConsumerMetrics().paused();
    } finally {
      write.mockRestore();
    }

    const lines = written
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as EmfLine);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line?._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
    expect(line?.service).toBe(metricServices.consumer);
    expect(line?.[names.paused]).toBe(1);
  });
});
