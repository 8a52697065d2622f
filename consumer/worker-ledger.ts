import { EventEmitter } from 'node:events';
import type { Logger } from '#contract/logger';

/** Counts since start. After a stop: received = delivered + retried + deadLettered + released + deleteFailed. */
export interface WorkerStats {
  received: number;
  /** Accepted by the API and deleted from the queue. */
  delivered: number;
  /** Left on the queue, invisible for a backoff, after a retryable failure. */
  retried: number;
  /** Sent to the DLQ by the worker and deleted from the queue. */
  deadLettered: number;
  /** Handed back untouched, because a stop was under way (visibility 0) or the API was down. */
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
  /** The API answered with a defect (500 and the like): retried, but counted apart. */
  defect?: true;
  /** The API was down: kept briefly invisible while the worker waits for it, not backed off. */
  apiDown?: true;
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

/** Where the worker's outcomes end up: counted, logged once, and emitted to listeners. */
export interface WorkerLedger {
  /** A batch arrived; its messages are in flight until `batchDone`. */
  batchReceived(count: number): void;
  batchDone(count: number): void;
  /** Counts, logs and emits one settled message. */
  settled(report: MessageReport): void;
  /** A handled message whose delete failed: it will be received again. */
  deleteFailed(count: number): void;
  stats(): WorkerStats;
  emit<E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]): void;
  readonly events: EventEmitter;
}

const counterOf = {
  delivered: 'delivered',
  retried: 'retried',
  dead_lettered: 'deadLettered',
  released: 'released',
} as const satisfies Record<MessageOutcome, keyof WorkerStats>;

/** The worker's counters and events, with the one log line per settled message. */
export function createWorkerLedger(logger: Logger): WorkerLedger {
  const events = new EventEmitter();
  // An 'error' event without a listener would throw; the worker has already logged it.
  events.on('error', () => undefined);
  const counters: WorkerStats = {
    received: 0,
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    released: 0,
    deleteFailed: 0,
    inFlight: 0,
  };
  const emit = <E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]): void => {
    events.emit(event, ...args);
  };
  return {
    batchReceived(count) {
      counters.received += count;
      counters.inFlight += count;
    },
    batchDone(count) {
      counters.inFlight -= count;
    },
    settled(report) {
      counters[counterOf[report.outcome]] += 1;
      const level = report.outcome === 'dead_lettered' ? 'warn' : 'info';
      logger[level](report, `message ${report.outcome.replace('_', '-')}`);
      emit(report.outcome, report);
    },
    deleteFailed(count) {
      counters.deleteFailed += count;
    },
    stats: () => ({ ...counters }),
    emit,
    events,
  };
}
