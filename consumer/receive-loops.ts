import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Logger } from '#contract/logger';
import type { BatchHandler } from './batch-handler';

const MAX_RECEIVE_ERROR_PAUSE_MS = 30_000;

/** Thrown before a receive that a stop made pointless; not an error worth reporting. */
class ReceiveSkipped extends Error {
  override name = 'ReceiveSkipped';
}

export interface ReceiveLoopsOptions {
  sqs: SQSClient;
  queueUrl: string;
  loopCount: number;
  batchSize: number;
  waitSeconds: number;
  /** How long a received message stays invisible while it waits for a slot and is delivered. */
  visibilitySeconds: number;
  /** Bounds sqs-consumer's wait for its last poll after a stop. */
  stopTimeoutMs: number;
  batches: BatchHandler;
  /** Awaited before every receive: holds the loops while the API is down. */
  beforeReceive: () => Promise<void>;
  logger: Logger;
  onError: (error: Error) => void;
}

export interface ReceiveLoops {
  start(): void;
  /** Stops every loop without aborting its long poll; resolves once all have said so. */
  stop(): Promise<void>;
  /** True while any loop is receiving or handling a batch. */
  readonly isPolling: boolean;
}

/**
 * The sqs-consumer receive loops, all feeding one batch handler. Before each receive a loop waits
 * for `beforeReceive` and, after a receive error, a pause (doubling up to 30 s) so a missing queue
 * is not hammered. A stop during either wait skips the receive: it would only take messages to
 * hand them back.
 */
export function createReceiveLoops({
  sqs,
  queueUrl,
  loopCount,
  batchSize,
  waitSeconds,
  visibilitySeconds,
  stopTimeoutMs,
  batches,
  beforeReceive,
  logger,
  onError,
}: ReceiveLoopsOptions): ReceiveLoops {
  let consecutiveReceiveErrors = 0;
  let stopping = false;
  /** One per loop waiting out a receive error, so a stop can end every wait at once. */
  const pausedLoops = new Set<() => void>();

  const pauseAfterReceiveErrors = async (): Promise<void> => {
    if (consecutiveReceiveErrors === 0 || stopping) return;
    const pauseMs = Math.min(MAX_RECEIVE_ERROR_PAUSE_MS, 250 * 2 ** consecutiveReceiveErrors);
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        pausedLoops.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, pauseMs);
      pausedLoops.add(wake);
    });
  };

  const waitBeforeReceive = async (): Promise<void> => {
    await pauseAfterReceiveErrors();
    await beforeReceive();
    if (stopping) throw new ReceiveSkipped('stopping');
  };

  const reportError = (error: Error, messages: readonly Message[]): void => {
    const unacknowledged = batches.deleteFailed(messages);
    if (unacknowledged.length > 0) {
      logger.error(
        { err: error, messageIds: unacknowledged.map((message) => message.MessageId) },
        'delete failed; the messages will be received and delivered again (the API is idempotent)',
      );
    } else {
      logger.error({ err: error }, 'queue error');
    }
    onError(error);
  };

  const loops = Array.from({ length: loopCount }, () => {
    const consumer = Consumer.create({
      queueUrl,
      sqs,
      batchSize,
      waitTimeSeconds: waitSeconds,
      visibilityTimeout: visibilitySeconds,
      // Both spellings: SQS reads the newer MessageSystemAttributeNames; AttributeNames is the
      // older one, which some SQS-compatible servers still read alone.
      attributeNames: ['All'],
      messageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      messageAttributeNames: ['All'],
      pollingCompleteWaitTimeMs: stopTimeoutMs,
      handleMessageBatch: (messages) => batches.handleBatch(messages),
      preReceiveMessageCallback: waitBeforeReceive,
    });
    /**
     * Errors of the batch being handled, reported once its response is done: a partly failed
     * batch delete names the whole batch, and only afterwards reports the messages that were
     * deleted (`message_processed`), which must not be counted as failed.
     */
    let batchErrors: Array<{ error: Error; messages: readonly Message[] }> = [];
    consumer.on('message_processed', (message) => batches.deleted(message));
    consumer.on('error', (error, messages) => {
      if (error.cause instanceof ReceiveSkipped) return;
      if (messages === undefined) {
        consecutiveReceiveErrors += 1;
        reportError(error, []);
      } else {
        batchErrors.push({ error, messages: Array.isArray(messages) ? messages : [messages] });
      }
    });
    consumer.on('response_processed', () => {
      consecutiveReceiveErrors = 0;
      const errors = batchErrors;
      batchErrors = [];
      for (const { error, messages } of errors) reportError(error, messages);
    });
    consumer.on('empty', () => {
      consecutiveReceiveErrors = 0;
    });
    return consumer;
  });

  const stopLoop = (consumer: Consumer): Promise<void> =>
    new Promise((resolve) => {
      if (!consumer.status.isRunning) {
        resolve();
        return;
      }
      consumer.once('stopped', () => resolve());
      // No abort: SQS may still hand messages to an abandoned long poll, hiding them for the
      // whole visibility timeout. The poll ends within the wait time and what it brings is
      // handed back at once (the message handler sees the stop).
      consumer.stop();
    });

  return {
    start() {
      for (const consumer of loops) consumer.start();
    },
    async stop() {
      stopping = true;
      for (const wake of [...pausedLoops]) wake();
      await Promise.all(loops.map((consumer) => stopLoop(consumer)));
    },
    get isPolling() {
      return loops.some((consumer) => consumer.status.isPolling);
    },
  };
}
