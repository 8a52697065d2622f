import type { Logger } from '#contract/logger';
import type { ReadinessProbe, ReadinessResult } from '#contract/readiness-probe';
import type { Clock } from './clock';
import type { ConsumerMetrics } from './consumer-metrics';

/**
 * Invisibility given to a message that met the API down: it is back on the queue a few seconds
 * later (and, the worker being paused, stays there untouched), so it is delivered within seconds
 * of the API's return, never after a long backoff.
 */
export const OUTAGE_VISIBILITY_SECONDS = 5;

export interface OutagePauseDependencies {
  probe: ReadinessProbe;
  /** Time between two probes while paused: bounds how late delivery resumes. */
  probeIntervalMs: number;
  clock: Clock;
  logger: Logger;
  metrics: ConsumerMetrics;
}

/**
 * Whether the worker should receive at all. While the API is down, receiving would only spend
 * the messages' receive counts (and dead-letter them after `maxReceiveCount`), so the worker
 * pauses instead, probes the API, and resumes as soon as it answers.
 */
export interface OutagePause {
  /**
   * After a delivery that suggests the API is down: probes it (one probe shared by concurrent
   * callers) and pauses when it does not answer ready. Resolves true when the API is down (also
   * after a close, if it was paused then), false when it answered, so the failure was this
   * message's own.
   */
  confirmDown(): Promise<boolean>;
  readonly isPaused: boolean;
  /** Resolves once not paused (at once if it is not), or when closed. */
  whenResumed(): Promise<void>;
  /** Stops probing and releases every waiter; for a stop. */
  close(): void;
}

/** Probes a paused worker's API until it answers, then resumes it; logs and counts both ends. */
export function createOutagePause({
  probe,
  probeIntervalMs,
  clock,
  logger,
  metrics,
}: OutagePauseDependencies): OutagePause {
  const closed = new AbortController();
  let pausedAt: number | undefined;
  let pendingProbe: Promise<boolean> | undefined;
  let waiters: Array<() => void> = [];

  const releaseWaiters = (): void => {
    const released = waiters;
    waiters = [];
    for (const release of released) release();
  };

  const resume = (): void => {
    if (pausedAt === undefined) return;
    const outageSeconds = Math.max(0, (clock.now() - pausedAt) / 1000);
    pausedAt = undefined;
    logger.info({ outageSeconds }, 'consumer resumed');
    metrics.resumed(outageSeconds);
    releaseWaiters();
  };

  const probeUntilReady = async (): Promise<void> => {
    while (pausedAt !== undefined && !closed.signal.aborted) {
      await clock.sleep(probeIntervalMs, closed.signal);
      if (closed.signal.aborted) return;
      if ((await probe()).ready) resume();
    }
  };

  const pause = (result: ReadinessResult): void => {
    pausedAt = clock.now();
    logger.warn(
      { probeStatus: result.status, probeDetail: result.detail, probeIntervalMs },
      'consumer paused',
    );
    metrics.paused();
    void probeUntilReady();
  };

  return {
    confirmDown() {
      if (pausedAt !== undefined) return Promise.resolve(true);
      if (closed.signal.aborted) return Promise.resolve(false);
      pendingProbe ??= probe()
        .then((result) => {
          if (result.ready) return false;
          // No pause once closed: the stop is under way and nothing will be received again.
          if (pausedAt === undefined && !closed.signal.aborted) pause(result);
          return true;
        })
        .finally(() => {
          pendingProbe = undefined;
        });
      return pendingProbe;
    },
    get isPaused() {
      return pausedAt !== undefined && !closed.signal.aborted;
    },
    whenResumed() {
      if (pausedAt === undefined || closed.signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    close() {
      closed.abort();
      releaseWaiters();
    },
  };
}
