/** Delay before the first retry, in seconds. */
export const DEFAULT_BACKOFF_BASE_SECONDS = 5;
/** Longest delay between two attempts, in seconds (15 minutes). */
export const DEFAULT_BACKOFF_MAX_SECONDS = 900;
/** SQS refuses visibility timeouts above 12 hours. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

export interface BackoffOptions {
  /** @default DEFAULT_BACKOFF_BASE_SECONDS */
  baseSeconds?: number;
  /** @default DEFAULT_BACKOFF_MAX_SECONDS */
  maxSeconds?: number;
  /** Uniform in [0, 1); injected by tests. @default Math.random */
  random?: () => number;
}

/**
 * The upper bound of the delay after the `receiveCount`-th failed attempt:
 * `min(maxSeconds, baseSeconds * 2^(receiveCount - 1))`. A missing or nonsensical count (the
 * attribute is "approximate") is treated as the first attempt.
 */
export function backoffCeilingSeconds(
  receiveCount: number,
  { baseSeconds = DEFAULT_BACKOFF_BASE_SECONDS, maxSeconds = DEFAULT_BACKOFF_MAX_SECONDS } = {},
): number {
  const attempt = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  const cap = Math.min(maxSeconds, MAX_VISIBILITY_TIMEOUT_SECONDS);
  // 2^(attempt-1) overflows to Infinity for absurd counts; min() still yields the cap.
  return Math.min(cap, baseSeconds * 2 ** (attempt - 1));
}

/**
 * Exponential backoff with "equal jitter", in whole seconds, for a message received
 * `receiveCount` times: half the ceiling fixed plus a uniform draw over the other half, rounded
 * up. The fixed half guarantees how long an outage the queue rides out before `maxReceiveCount`
 * dead-letters a message (see `retryWindowSeconds`); the random half keeps many consumers from
 * retrying in lock-step. Never 0, which would hand the message straight back to the API that
 * just failed it.
 */
export function backoffSeconds(receiveCount: number, options: BackoffOptions = {}): number {
  const ceiling = backoffCeilingSeconds(receiveCount, options);
  const random = options.random ?? Math.random;
  const draw = Math.min(Math.max(random(), 0), 1);
  const delay = Math.ceil(ceiling / 2 + (draw * ceiling) / 2);
  return Math.max(1, Math.min(Math.ceil(ceiling), delay));
}

/**
 * How long a message keeps being retried before the queue's redrive policy dead-letters it
 * after `maxReceiveCount` receives: the sum of the backoffs between receives, at least (every
 * draw 0) and at most (every draw 1). The time spent delivering is not counted.
 */
export function retryWindowSeconds(
  maxReceiveCount: number,
  options: Omit<BackoffOptions, 'random'> = {},
): { minimum: number; maximum: number } {
  let minimum = 0;
  let maximum = 0;
  for (let count = 1; count < maxReceiveCount; count += 1) {
    minimum += backoffSeconds(count, { ...options, random: () => 0 });
    maximum += backoffSeconds(count, { ...options, random: () => 1 });
  }
  return { minimum, maximum };
}

/** Reads SQS' `ApproximateReceiveCount` attribute; 1 when absent or unreadable. */
export function receiveCountOf(attributes: Partial<Record<string, string>> | undefined): number {
  const parsed = Number.parseInt(attributes?.['ApproximateReceiveCount'] ?? '', 10);
  return Number.isFinite(parsed) && parsed >= 1 ? parsed : 1;
}
