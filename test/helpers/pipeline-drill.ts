import path from 'node:path';
import { stopChild } from '../../scripts/local/child-process';
import type { ProducerInvoker } from '../../scripts/local/producer-invocations';
import { waitFor } from '../../scripts/local/wait-for';
import {
  apiChildEnv,
  consumerChildEnv,
  drillOnFreeLoopbackPort,
  loadDrillProducer,
  type OutageDrillParts,
} from '../../fixtures/outage-drill';
import { newHeaderSecret } from '../../fixtures/registrations';
import { startLocalSqs, type LocalSqs, type QueuePair } from './local-sqs';
import { isolateEnv, PRODUCER_ENV_NAMES } from './process-env';
import { type ServiceProcess, startServiceProcess, stillRunning } from './service-process';

const repoRoot = path.resolve(__dirname, '../..');
const STOP_TIMEOUT_MS = 15_000;

export interface PipelineDrillOptions {
  /** Name of the drill's queue (its DLQ is `<name>-dlq`). */
  queueName: string;
  /** Receives before the queue dead-letters a message. @default the local server's */
  maxReceiveCount?: number;
  /** The API's database: `DATABASE_URL` or `PGLITE_DATA_DIR`. */
  apiDatabaseEnv: Record<string, string>;
  /** How long the producer's breaker stays open after a failure. */
  producerBreakerOpenMs: number;
  /** How long the API may take to answer GET /readyz, at the start and at each restart. */
  apiReadyTimeoutMs: number;
}

/**
 * The whole local pipeline of an end-to-end drill, running: the local SQS server (the queue and
 * its DLQ) in this process, the API and the consumer as their own processes, and the real
 * producer handler loaded in this process with the producer's variables of this process's
 * environment set aside until {@link PipelineDrill.stop}.
 */
export interface PipelineDrill {
  readonly localSqs: LocalSqs;
  readonly queues: QueuePair;
  /** The API URL, header name and header value every part of the drill uses. */
  readonly parts: OutageDrillParts;
  /** The API child's environment: its database is what a restarted API finds again. */
  readonly apiEnv: Record<string, string>;
  /** The API process started last (a restart replaces it). */
  readonly api: ServiceProcess;
  readonly consumer: ServiceProcess;
  readonly producer: ProducerInvoker;
  /** Starts the API again, on the same port and database; resolves once it is ready. */
  restartApi(): Promise<ServiceProcess>;
  /**
   * Ends the drill: the producer's observation, the consumer (first, so it does not spend its
   * stop retrying against a stopped API), the API, the queue server; then puts the producer's
   * variables back.
   */
  stop(): Promise<void>;
}

/**
 * Waits for GET /readyz to answer 200. While the process is gone each poll fails with its output,
 * and the timeout's error carries the output too.
 */
async function waitUntilReady(
  api: ServiceProcess,
  apiUrl: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      if (!stillRunning(api)) {
        throw new Error(`the API exited before it was ready:\n${api.outputTail()}`);
      }
      const response = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.status === 200;
    },
    { timeoutMs, intervalMs: 100, what: `${apiUrl}/readyz` },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n--- API output ---\n${api.outputTail()}`, { cause: error });
  });
}

/**
 * Starts the pipeline on the database the caller made, and resolves once the API is ready. If
 * any step fails, what was already started is stopped before the error is passed on.
 */
export async function startPipelineDrill(options: PipelineDrillOptions): Promise<PipelineDrill> {
  let localSqs: LocalSqs | undefined;
  let api: ServiceProcess | undefined;
  let consumer: ServiceProcess | undefined;
  let producer: ProducerInvoker | undefined;
  let restoreEnv: (() => void) | undefined;
  const stop = async (): Promise<void> => {
    producer?.close();
    if (consumer) await stopChild(consumer.child, { timeoutMs: STOP_TIMEOUT_MS });
    if (api) await stopChild(api.child, { timeoutMs: STOP_TIMEOUT_MS });
    await localSqs?.stop();
    restoreEnv?.();
  };

  try {
    localSqs = await startLocalSqs();
    const queues = await localSqs.createQueuePair(options.queueName, {
      maxReceiveCount: options.maxReceiveCount,
    });
    const { port, parts } = await drillOnFreeLoopbackPort(localSqs, {
      headerName: 'x-custom-auth',
      headerSecret: newHeaderSecret(),
    });
    const apiEnv = apiChildEnv(parts, { port, database: options.apiDatabaseEnv });
    api = startServiceProcess('api/main.ts', apiEnv, repoRoot);
    consumer = startServiceProcess(
      'consumer/main.ts',
      {
        ...consumerChildEnv(parts, queues),
        // Info, for the 'consumer paused' / 'consumer resumed' lines.
        LOG_LEVEL: 'info',
        // The default backoff (5 s doubling): the pause, not a short backoff, rides out an
        // outage. Short long polls only so that the final stop is quick.
        RECEIVE_WAIT_SECONDS: '1',
        STOP_TIMEOUT_MS: '10000',
      },
      repoRoot,
    );
    restoreEnv = isolateEnv(PRODUCER_ENV_NAMES);
    producer = await loadDrillProducer(parts, {
      queueUrl: queues.queueUrl,
      breakerOpenMs: options.producerBreakerOpenMs,
    });
    await waitUntilReady(api, parts.apiUrl, options.apiReadyTimeoutMs);

    const running = { localSqs, queues, parts, apiEnv, consumer, producer };
    let currentApi = api;
    return {
      ...running,
      get api() {
        return currentApi;
      },
      restartApi: async () => {
        // `api` too, so that stop() ends the restarted process.
        currentApi = api = startServiceProcess('api/main.ts', apiEnv, repoRoot);
        await waitUntilReady(currentApi, parts.apiUrl, options.apiReadyTimeoutMs);
        return currentApi;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
