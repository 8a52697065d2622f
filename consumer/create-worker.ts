import { EventEmitter } from 'node:events';
import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Logger } from '#contract/logger';
import type { RegistrationClient } from '#contract/registration-client';
import { backoffSeconds, receiveCountOf } from './backoff';
import { createConcurrencyLimit } from './concurrency-limit';
import type { ConsumerConfig } from './config';
import { createDeadLetterSender, type DeadLetterSender } from './dead-letter';
import { actionFor, readRegistration, type DeadLetterReason } from './message-classification';

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
>;

export interface WorkerDependencies {
  sqs: SQSClient;
  client: RegistrationClient;
  config: WorkerConfig;
  logger: Logger;
  /** Jitter source, uniform in [0, 1); injected by tests. @default Math.random */
  random?: () => number;
  /** Sends permanent failures to the DLQ; defaults to SendMessage on `deadLetterQueueUrl`. */
  deadLetters?: DeadLetterSender;
}

/** Counts since start. After a stop: received = delivered + retried + deadLettered + released + deleteFailed. */
export interface WorkerStats {
  received: number;
  /** Accepted by the API and deleted from the queue. */
  delivered: number;
  /** Left on the queue, invisible for a backoff, after a retryable failure. */
  retried: number;
  /** Sent to the DLQ by the worker and deleted from the queue. */
  deadLettered: number;
  /** Handed back untouched (visibility 0) because a stop was under way. */
  released: number;
  /** Handled, but the delete failed: the message will be received again. */
  deleteFailed: number;
  /** Messages in a batch that is being handled right now. */
  inFlight: number;
}

export type MessageOutcome = 'delivered' | 'retried' | 'dead_lettered' | 'released';

/** What happened to one message, as logged and emitted. */
export interface MessageReport {
  messageId: string | undefined;
  sub: string | undefined;
  receiveCount: number;
  outcome: MessageOutcome;
  reason?: string;
  status?: number;
  detail?: string;
  /** For `retried`: how long the message stays invisible. */
  visibilityTimeoutSeconds?: number;
}

/** Events a worker emits; each fires once the queue operation behind it has succeeded. */
export interface WorkerEvents {
  delivered: [MessageReport];
  retried: [MessageReport];
  dead_lettered: [MessageReport];
  released: [MessageReport];
  /** Receive/delete/visibility problems; the worker keeps running. */
  error: [Error];
  stopped: [WorkerStats];
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

type Handled =
  | { kind: 'ack'; message: Message; report: MessageReport }
  | { kind: 'visibility'; message: Message; report: MessageReport; seconds: number };

/** Margin on top of the delivery time for the SQS calls around it (DLQ send, delete). */
const VISIBILITY_MARGIN_SECONDS = 25;
const MIN_RECEIVE_VISIBILITY_SECONDS = 30;
const MAX_RECEIVE_ERROR_PAUSE_MS = 30_000;

const errorOf = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value));

const subOf = (body: string | undefined): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    if (typeof parsed === 'object' && parsed !== null && 'sub' in parsed) {
      const sub = (parsed as { sub: unknown }).sub;
      return typeof sub === 'string' ? sub.slice(0, 64) : undefined;
    }
  } catch {
    // Unparseable bodies are reported without a sub.
  }
  return undefined;
};

/**
 * The queue worker: `sqs-consumer` receive loops that deliver each registration to the API
 * (bounded concurrency shared by all loops), delete what was delivered or dead-lettered (by
 * returning it from the batch handler), and give retryable failures an exponential, jittered
 * invisibility by receive count instead of retrying at once.
 */
export function createWorker({
  sqs,
  client,
  config,
  logger,
  random = Math.random,
  deadLetters = createDeadLetterSender({ sqs, deadLetterQueueUrl: config.deadLetterQueueUrl }),
}: WorkerDependencies): Worker {
  const emitter = new EventEmitter();
  const limit = createConcurrencyLimit(config.deliveryConcurrency);
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

  const counters = {
    received: 0,
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    released: 0,
    deleteFailed: 0,
  };
  let inFlight = 0;
  let running = false;
  let stopping = false;
  let stopPromise: Promise<WorkerStats> | undefined;
  /** Acknowledged messages waiting for sqs-consumer's batch delete. */
  const awaitingDelete = new WeakMap<Message, MessageReport>();
  let consecutiveReceiveErrors = 0;
  let wakeFromPause: (() => void) | undefined;

  const stats = (): WorkerStats => ({ ...counters, inFlight });

  const emit = <E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]): void => {
    emitter.emit(event, ...args);
  };

  const logReport = (report: MessageReport): void => {
    const level = report.outcome === 'dead_lettered' ? 'warn' : 'info';
    logger[level](report, `message ${report.outcome.replace('_', '-')}`);
  };

  const retryReport = (
    message: Message,
    base: Omit<MessageReport, 'outcome' | 'visibilityTimeoutSeconds'>,
  ): Handled => {
    const seconds = backoffSeconds(base.receiveCount, { ...config.backoff, random });
    return {
      kind: 'visibility',
      message,
      seconds,
      report: { ...base, outcome: 'retried', visibilityTimeoutSeconds: seconds },
    };
  };

  const deadLetter = async (
    message: Message,
    base: { messageId: string | undefined; sub: string | undefined; receiveCount: number },
    failure: { reason: DeadLetterReason; status?: number; detail: string },
  ): Promise<Handled> => {
    try {
      await deadLetters.send(message, { ...failure, receiveCount: base.receiveCount });
    } catch (error) {
      // Not deleted: it comes back after the backoff and is dead-lettered then.
      logger.error(
        { messageId: base.messageId, sub: base.sub, err: errorOf(error) },
        'sending to the dead-letter queue failed',
      );
      return retryReport(message, {
        ...base,
        reason: 'dead_letter_send_failed',
        detail: failure.detail,
      });
    }
    const { reason, status, detail } = failure;
    return {
      kind: 'ack',
      message,
      report: { ...base, outcome: 'dead_lettered', reason, status, detail },
    };
  };

  /** One message, start to decision. Never throws: anything unexpected becomes a retry. */
  const handleMessage = async (message: Message): Promise<Handled> => {
    const receiveCount = receiveCountOf(message.Attributes);
    const read = readRegistration(message.Body);
    const base = {
      messageId: message.MessageId,
      sub: read.ok ? read.registration.sub : subOf(message.Body),
      receiveCount,
    };
    if (stopping) {
      return { kind: 'visibility', message, seconds: 0, report: { ...base, outcome: 'released' } };
    }
    if (!read.ok) return deadLetter(message, base, { reason: read.reason, detail: read.detail });
    try {
      const result = await client.deliver(read.registration, {
        timeoutMs: config.apiTimeoutMs,
        requestId: message.MessageId,
      });
      const action = actionFor(result);
      switch (action.action) {
        case 'delete':
          return {
            kind: 'ack',
            message,
            report: { ...base, outcome: 'delivered', status: result.status },
          };
        case 'dead-letter':
          return deadLetter(message, base, action);
        case 'retry':
          return retryReport(message, {
            ...base,
            reason: action.reason,
            status: action.status,
            detail: action.detail,
          });
      }
    } catch (error) {
      // Only reading the header secret can throw here; the message is fine, so retry it.
      logger.error({ ...base, err: errorOf(error) }, 'delivery could not be attempted');
      return retryReport(message, { ...base, reason: 'internal', detail: errorOf(error).message });
    }
  };

  /** One ChangeMessageVisibilityBatch for the batch's retries and releases. */
  const applyVisibility = async (
    handled: Array<Extract<Handled, { kind: 'visibility' }>>,
  ): Promise<void> => {
    if (handled.length === 0) return;
    const byId = new Map(handled.map((entry, index) => [`m${index}`, entry]));
    let failedIds = new Set<string>();
    try {
      const output = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: config.registrationQueueUrl,
          Entries: [...byId].map(([id, entry]) => ({
            Id: id,
            ReceiptHandle: entry.message.ReceiptHandle,
            VisibilityTimeout: entry.seconds,
          })),
        }),
      );
      failedIds = new Set((output.Failed ?? []).map((failure) => failure.Id ?? ''));
      for (const failure of output.Failed ?? []) {
        logger.warn(
          { messageId: byId.get(failure.Id ?? '')?.message.MessageId, code: failure.Code },
          'changing visibility failed; the message returns after the receive visibility timeout',
        );
      }
    } catch (error) {
      failedIds = new Set(byId.keys());
      logger.warn(
        { err: errorOf(error), count: handled.length },
        'changing visibility failed; the messages return after the receive visibility timeout',
      );
      emit('error', errorOf(error));
    }
    // Counted either way: the message stays on the queue, which is what a retry means.
    for (const [id, entry] of byId) {
      const report = failedIds.has(id)
        ? { ...entry.report, visibilityTimeoutSeconds: receiveVisibilitySeconds }
        : entry.report;
      if (report.outcome === 'released') counters.released += 1;
      else counters.retried += 1;
      logReport(report);
      emit(report.outcome === 'released' ? 'released' : 'retried', report);
    }
  };

  const handleBatch = async (messages: Message[]): Promise<Message[]> => {
    counters.received += messages.length;
    inFlight += messages.length;
    try {
      const handled = await Promise.all(
        messages.map((message) =>
          // Checked again once a slot is free: a stop may have begun while it waited.
          limit.run(() => handleMessage(message)),
        ),
      );
      await applyVisibility(
        handled.filter(
          (entry): entry is Extract<Handled, { kind: 'visibility' }> => entry.kind === 'visibility',
        ),
      );
      const acknowledged: Message[] = [];
      for (const entry of handled) {
        if (entry.kind !== 'ack') continue;
        awaitingDelete.set(entry.message, entry.report);
        acknowledged.push(entry.message);
      }
      return acknowledged;
    } finally {
      inFlight -= messages.length;
    }
  };

  const onDeleted = (message: Message): void => {
    const report = awaitingDelete.get(message);
    if (!report) return;
    awaitingDelete.delete(message);
    if (report.outcome === 'delivered') counters.delivered += 1;
    else counters.deadLettered += 1;
    logReport(report);
    emit(report.outcome === 'delivered' ? 'delivered' : 'dead_lettered', report);
  };

  const onConsumerError = (error: Error, messages: Message | Message[] | undefined): void => {
    const affected = messages === undefined ? [] : Array.isArray(messages) ? messages : [messages];
    const unacknowledged = affected.filter((message) => awaitingDelete.has(message));
    for (const message of unacknowledged) {
      awaitingDelete.delete(message);
      counters.deleteFailed += 1;
    }
    if (unacknowledged.length > 0) {
      logger.error(
        { err: error, messageIds: unacknowledged.map((message) => message.MessageId) },
        'delete failed; the messages will be received and delivered again (the API is idempotent)',
      );
    } else {
      logger.error({ err: error }, 'queue error');
    }
    emit('error', error);
  };

  /** After a receive error, pause before the next one so a missing queue is not hammered. */
  const pauseAfterReceiveErrors = async (): Promise<void> => {
    if (consecutiveReceiveErrors === 0 || stopping) return;
    const pauseMs = Math.min(MAX_RECEIVE_ERROR_PAUSE_MS, 250 * 2 ** consecutiveReceiveErrors);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pauseMs);
      wakeFromPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wakeFromPause = undefined;
  };

  const loops = Array.from({ length: loopCount }, () => {
    const consumer = Consumer.create({
      queueUrl: config.registrationQueueUrl,
      sqs,
      batchSize: config.receiveBatchSize,
      waitTimeSeconds: config.receiveWaitSeconds,
      visibilityTimeout: receiveVisibilitySeconds,
      // Both spellings: SQS prefers the newer one, local-aws-sqs only reads AttributeNames.
      attributeNames: ['All'],
      messageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      messageAttributeNames: ['All'],
      pollingCompleteWaitTimeMs: config.stopTimeoutMs,
      handleMessageBatch: handleBatch,
      preReceiveMessageCallback: pauseAfterReceiveErrors,
    });
    consumer.on('message_processed', onDeleted);
    consumer.on('error', (error, messages) => {
      if (messages === undefined) consecutiveReceiveErrors += 1;
      onConsumerError(error, messages);
    });
    consumer.on('processing_error', (error, message) => onConsumerError(error, message));
    consumer.on('response_processed', () => {
      consecutiveReceiveErrors = 0;
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
      // whole visibility timeout. The poll ends within receiveWaitSeconds and what it brings is
      // released at once (handleMessage sees `stopping`).
      consumer.stop();
    });

  const waitUntil = async (condition: () => boolean, deadline: number): Promise<boolean> => {
    while (!condition()) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  };

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
      for (const consumer of loops) consumer.start();
    },
    stop() {
      stopPromise ??= (async () => {
        stopping = true;
        wakeFromPause?.();
        const deadline = Date.now() + config.stopTimeoutMs;
        logger.info({ inFlight }, 'consumer stopping: no new receives, finishing in-flight work');
        await Promise.all(loops.map((consumer) => stopLoop(consumer)));
        // 'stopped' can fire on its timeout with a batch still running; wait for it, bounded.
        const drained = await waitUntil(
          () => inFlight === 0 && loops.every((consumer) => !consumer.status.isPolling),
          deadline,
        );
        running = false;
        const final = stats();
        if (!drained) {
          logger.warn(
            final,
            'stop timeout reached with work in flight; those messages will be received again',
          );
        }
        logger.info(final, 'consumer stopped');
        emit('stopped', final);
        return final;
      })();
      return stopPromise;
    },
    stats,
    get isRunning() {
      return running;
    },
    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return worker;
    },
    once(event, listener) {
      emitter.once(event, listener as (...args: unknown[]) => void);
      return worker;
    },
    off(event, listener) {
      emitter.off(event, listener as (...args: unknown[]) => void);
      return worker;
    },
  };
  // An 'error' event without a listener would throw; the worker has already logged it.
  emitter.on('error', () => undefined);
  return worker;
}
