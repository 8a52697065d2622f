import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { staticHeaderSecretSource } from '#contract/header-secret-source';
import { createRegistrationClient } from '#contract/registration-client';
import { createWorker, type Worker, type WorkerConfig } from '../../../consumer/create-worker';
import type { LocalSqs, QueuePair } from '../../helpers/local-sqs';
import { newHeaderSecret } from '../../../fixtures/registrations';
import type { StubApi } from '../../helpers/stub-api';

export const HEADER_NAME = 'x-custom-auth';

export interface TestWorker {
  worker: Worker;
  headerSecret: string;
}

/** A real worker on a local queue pair, fast settings for tests; override any of them. */
export function startTestWorker(
  localSqs: LocalSqs,
  queues: QueuePair,
  api: StubApi,
  overrides: Partial<WorkerConfig> & { random?: () => number } = {},
): TestWorker {
  const headerSecret = newHeaderSecret();
  const { random, ...configOverrides } = overrides;
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
      ...configOverrides,
    },
    logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    ...(random ? { random } : {}),
  });
  worker.start();
  return { worker, headerSecret };
}

/** A queue name no other test uses. */
export const uniqueQueueName = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;
