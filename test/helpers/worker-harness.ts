import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { staticHeaderSecretSource } from '#contract/header-secret-source';
import { createReadinessProbe } from '#contract/readiness-probe';
import { createRegistrationClient } from '#contract/registration-client';
import type { ConsumerMetrics } from '../../consumer/consumer-metrics';
import type { DeadLetterSender } from '../../consumer/dead-letter';
import { createWorker, type Worker, type WorkerConfig } from '../../consumer/create-worker';
import type { LocalSqs, QueuePair } from './local-sqs';
import { newHeaderSecret } from '../../fixtures/registrations';
import type { StubApi } from './stub-api';

export const HEADER_NAME = 'x-custom-auth';

export interface TestWorker {
  worker: Worker;
  headerSecret: string;
  /** Readiness probes the worker made, answered or not. */
  readonly probeAttempts: number;
  /** What the worker published as metrics, in order. */
  metrics: Array<{ name: 'paused' | 'resumed' | 'serverDefect'; outageSeconds?: number }>;
}

/** A real worker on a local queue pair, fast settings for tests; override any of them. */
export function startTestWorker(
  localSqs: LocalSqs,
  queues: QueuePair,
  api: StubApi,
  overrides: Partial<WorkerConfig> & { random?: () => number; deadLetters?: DeadLetterSender } = {},
): TestWorker {
  const headerSecret = newHeaderSecret();
  const { random, deadLetters, ...configOverrides } = overrides;
  const published: TestWorker['metrics'] = [];
  const probe = createReadinessProbe({ apiUrl: api.url, timeoutMs: 1000 });
  let probeAttempts = 0;
  const metrics: ConsumerMetrics = {
    paused: () => published.push({ name: 'paused' }),
    resumed: (outageSeconds) => published.push({ name: 'resumed', outageSeconds }),
    serverDefect: () => published.push({ name: 'serverDefect' }),
  };
  const worker = createWorker({
    sqs: localSqs.sqs,
    client: createRegistrationClient({
      apiUrl: api.url,
      headerName: HEADER_NAME,
      headerSecrets: staticHeaderSecretSource([headerSecret]),
    }),
    config: {
      registrationQueueUrl: queues.queueUrl,
      deadLetterQueueUrl: queues.dlqUrl,
      apiTimeoutMs: 2000,
      deliveryConcurrency: 10,
      receiveBatchSize: 10,
      receiveWaitSeconds: 1,
      backoff: { baseSeconds: 1, maxSeconds: 4 },
      stopTimeoutMs: 10_000,
      apiProbeIntervalMs: 200,
      ...configOverrides,
    },
    logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    probe: () => {
      probeAttempts += 1;
      return probe();
    },
    metrics,
    ...(random ? { random } : {}),
    ...(deadLetters ? { deadLetters } : {}),
  });
  worker.start();
  return {
    worker,
    headerSecret,
    metrics: published,
    get probeAttempts() {
      return probeAttempts;
    },
  };
}

/** A queue name no other test uses. */
export const uniqueQueueName = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;
