import type { Clock } from './clock';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** How long to skip the API after a failure before one trial request is let through. */
  openMs: number;
  clock: Clock;
}

/**
 * Remembers, per warm container, that the API just failed, so that during an outage each
 * sign-up goes straight to the queue instead of spending its API budget first.
 *
 * closed → (failure) → open for `openMs` → half-open: exactly one caller is let through as a
 * trial; its success closes the breaker, its failure opens it again. Concurrent callers while a
 * trial is in flight take the queue path.
 */
export interface CircuitBreaker {
  /** True when the caller may try the API now; in half-open state only the first caller gets true. */
  tryAcquire(): boolean;
  /** The API answered (even with a permanent 4xx): it is reachable and healthy. */
  recordSuccess(): void;
  /** The API failed in a way worth avoiding for a while (timeout, network, 5xx, 429, 403). */
  recordFailure(): void;
  state(): BreakerState;
}

export function createCircuitBreaker({ openMs, clock }: CircuitBreakerOptions): CircuitBreaker {
  let openedAt: number | undefined;
  let trialStartedAt: number | undefined;

  const state = (): BreakerState => {
    if (openedAt === undefined) return 'closed';
    return clock.now() - openedAt < openMs ? 'open' : 'half-open';
  };

  return {
    tryAcquire() {
      const current = state();
      if (current === 'closed') return true;
      if (current === 'open') return false;
      const now = clock.now();
      // A trial whose result never came back (its invocation died) must not block the API forever.
      if (trialStartedAt !== undefined && now - trialStartedAt < openMs) return false;
      trialStartedAt = now;
      return true;
    },
    recordSuccess() {
      openedAt = undefined;
      trialStartedAt = undefined;
    },
    recordFailure() {
      openedAt = clock.now();
      trialStartedAt = undefined;
    },
    state,
  };
}
