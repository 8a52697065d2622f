import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '#contract/logger';
import type { ReadinessProbe } from '#contract/readiness-probe';
import type { RegistrationClient } from '#contract/registration-client';
import { createBatchHandler } from './batch-handler';
import { systemClock, type Clock } from './clock';
import { createConcurrencyLimit } from './concurrency-limit';
import type { ConsumerConfig } from './config';
import { createConsumerMetrics, type ConsumerMetrics } from './consumer-metrics';
import { createDeadLetterSender, type DeadLetterSender } from './dead-letter';
import { createMessageHandler } from './message-handler';
import { createOutagePause, OUTAGE_VISIBILITY_SECONDS } from './outage-pause';
import { createReceiveLoops } from './receive-loops';
import { createVisibilityChanges } from './visibility-changes';
import { createWorkerLedger, type WorkerEvents, type WorkerStats } from './worker-ledger';

export type { MessageOutcome, MessageReport, WorkerEvents, WorkerStats } from './worker-ledger';

export type WorkerConfig = Pick<
  ConsumerConfig,
  | 'registrationQueueUrl'
  | 'deadLetterQueueUrl'
  | 'apiTimeoutMs'
  | 'deliveryConcurrency'
  | 'receiveBatchSize'
  | 'receiveWaitSeconds'
  | 'backoff'
  | 'stopTimeoutMs'
  | 'apiProbeIntervalMs'
>;

export interface WorkerDependencies {
  sqs: SQSClient;
  client: RegistrationClient;
  config: WorkerConfig;
  logger: Logger;
  /** Asks the API whether it is ready; probed while the worker is paused for an outage. */
  probe: ReadinessProbe;
  /** @default Powertools Metrics (EMF on stdout) */
  metrics?: ConsumerMetrics;
  /** @default the system clock */
  clock?: Clock;
  /** Jitter source, uniform in [0, 1); injected by tests. @default Math.random */
  random?: () => number;
  /** Sends permanent failures to the DLQ; defaults to SendMessage on `deadLetterQueueUrl`. */
  deadLetters?: DeadLetterSender;
}

export interface Worker {
  /** Starts the receive loops. */
  start(): void;
  /**
   * Stops receiving, lets in-flight deliveries finish (their messages are then deleted or given
   * their backoff), hands back received-but-unstarted messages, and resolves with the final
   * counts. Bounded by `stopTimeoutMs`. Safe to call more than once.
   */
  stop(): Promise<WorkerStats>;
  stats(): WorkerStats;
  readonly isRunning: boolean;
  on<E extends keyof WorkerEvents>(event: E, listener: (...args: WorkerEvents[E]) => void): Worker;
  once<E extends keyof WorkerEvents>(
    event: E,
    listener: (...args: WorkerEvents[E]) => void,
  ): Worker;
  off<E extends keyof WorkerEvents>(event: E, listener: (...args: WorkerEvents[E]) => void): Worker;
}

/** Margin on top of the delivery time for the SQS calls around it (DLQ send, delete). */
const VISIBILITY_MARGIN_SECONDS = 25;
const MIN_RECEIVE_VISIBILITY_SECONDS = 30;

/** How the receive loops are sized for a configuration; see `createWorker`. */
export function receivePlan(config: WorkerConfig): {
  loopCount: number;
  receiveVisibilitySeconds: number;
} {
  // Enough loops that a full set of batches can keep every delivery slot busy.
  const loopCount = Math.max(1, Math.ceil(config.deliveryConcurrency / config.receiveBatchSize));
  const deliveryRounds = Math.ceil(
    (loopCount * config.receiveBatchSize) / config.deliveryConcurrency,
  );
  // A received message must stay invisible while it waits for a slot and is delivered.
  const receiveVisibilitySeconds = Math.max(
    MIN_RECEIVE_VISIBILITY_SECONDS,
    Math.ceil((config.apiTimeoutMs * deliveryRounds) / 1000) + VISIBILITY_MARGIN_SECONDS,
  );
  return { loopCount, receiveVisibilitySeconds };
}

/**
 * The queue worker: `sqs-consumer` receive loops that deliver each registration to the API
 * (bounded concurrency shared by all loops), delete what was delivered or dead-lettered (by
 * returning it from the batch handler), and give retryable failures an exponential, jittered
 * invisibility by receive count instead of retrying at once. While the API itself is down it
 * stops receiving, probes the API, and resumes when it answers, so an outage costs no receive
 * counts. This function only wires the parts together; each behaviour lives in its own module.
 */
export function createWorker({
  sqs,
  client,
  config,
  logger,
  probe,
  metrics = createConsumerMetrics(),
  clock = systemClock,
  random = Math.random,
  deadLetters = createDeadLetterSender({ sqs, deadLetterQueueUrl: config.deadLetterQueueUrl }),
}: WorkerDependencies): Worker {
  const { loopCount, receiveVisibilitySeconds } = receivePlan(config);
  const ledger = createWorkerLedger(logger);
  const reportError = (error: Error): void => ledger.emit('error', error);
  let running = false;
  let stopping = false;
  let stopPromise: Promise<WorkerStats> | undefined;

  const outage = createOutagePause({
    probe,
    probeIntervalMs: config.apiProbeIntervalMs,
    clock,
    logger,
    metrics,
  });
  const batches = createBatchHandler({
    handleMessage: createMessageHandler({
      client,
      apiTimeoutMs: config.apiTimeoutMs,
      backoff: config.backoff,
      random,
      deadLetters,
      logger,
      isStopping: () => stopping,
      outage,
      outageVisibilitySeconds: OUTAGE_VISIBILITY_SECONDS,
      metrics,
    }),
    limit: createConcurrencyLimit(config.deliveryConcurrency),
    applyVisibility: createVisibilityChanges({
      sqs,
      queueUrl: config.registrationQueueUrl,
      logger,
      receiveVisibilitySeconds,
      onError: reportError,
    }),
    ledger,
  });
  const loops = createReceiveLoops({
    sqs,
    queueUrl: config.registrationQueueUrl,
    loopCount,
    batchSize: config.receiveBatchSize,
    waitSeconds: config.receiveWaitSeconds,
    visibilitySeconds: receiveVisibilitySeconds,
    stopTimeoutMs: config.stopTimeoutMs,
    batches,
    beforeReceive: () => outage.whenResumed(),
    logger,
    onError: reportError,
  });

  const worker: Worker = {
    start() {
      if (running || stopping) return;
      running = true;
      logger.info(
        {
          queueUrl: config.registrationQueueUrl,
          receiveLoops: loopCount,
          deliveryConcurrency: config.deliveryConcurrency,
          receiveBatchSize: config.receiveBatchSize,
          receiveVisibilitySeconds,
        },
        'consumer started',
      );
      loops.start();
    },
    stop() {
      stopPromise ??= (async () => {
        stopping = true;
        logger.info(
          { inFlight: ledger.stats().inFlight },
          'consumer stopping: no new receives, finishing in-flight work',
        );
        // Ends the probing and wakes paused loops, which then skip their receive.
        outage.close();
        // Each loop's 'stopped' comes once its batch is done, or once stopTimeoutMs
        // (pollingCompleteWaitTimeMs) has passed: the bound is spent by then, so whatever is
        // still in flight is left to be received again.
        await loops.stop();
        const drained = ledger.stats().inFlight === 0 && !loops.isPolling;
        running = false;
        const final = ledger.stats();
        if (!drained) {
          logger.warn(
            final,
            'stop timeout reached with work in flight; those messages will be received again',
          );
        }
        logger.info(final, 'consumer stopped');
        ledger.emit('stopped', final);
        return final;
      })();
      return stopPromise;
    },
    stats: () => ledger.stats(),
    get isRunning() {
      return running;
    },
    on(event, listener) {
      ledger.events.on(event, listener as (...args: unknown[]) => void);
      return worker;
    },
    once(event, listener) {
      ledger.events.once(event, listener as (...args: unknown[]) => void);
      return worker;
    },
    off(event, listener) {
      ledger.events.off(event, listener as (...args: unknown[]) => void);
      return worker;
    },
  };
  return worker;
}
