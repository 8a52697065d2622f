import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time for the pager's pacing and backoff, injected so tests move time by hand instead of
 * sleeping or faking timers.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : {});
  },
};
