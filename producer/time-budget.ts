/**
 * How the producer splits Cognito's 5 s among its two paths. Cognito gives up on the trigger
 * after 5 s whatever the Lambda timeout is, so the deadline is the earlier of the Lambda's own
 * and 5 s after the invocation started.
 */
export const COGNITO_WAIT_MS = 5000;
/** Kept back from the API attempt so the queue send still fits after an API timeout. */
export const QUEUE_SEND_RESERVE_MS = 1000;
/** Left over at the end for logging, metrics and returning the response. */
export const SAFETY_MARGIN_MS = 250;
/** Below this an API attempt cannot realistically succeed; go straight to the queue. */
export const MIN_API_ATTEMPT_MS = 100;
/**
 * The queue send gets at least this much even when the deadline is (nearly) gone: by then
 * Cognito may have given up, but a queued registration still reaches the database.
 */
export const MIN_QUEUE_SEND_MS = 200;

/** Milliseconds left before the earlier of the Lambda deadline and Cognito's wait. */
export function remainingBudgetMs(
  lambdaRemainingMs: number,
  invocationStartedAt: number,
  now: number,
): number {
  return Math.min(lambdaRemainingMs, invocationStartedAt + COGNITO_WAIT_MS - now);
}

/**
 * The time the API attempt may take: `apiTimeoutMs`, shortened so that the queue reserve and
 * the safety margin still fit. A result below MIN_API_ATTEMPT_MS means "skip the API".
 */
export function apiAttemptBudgetMs(remainingMs: number, apiTimeoutMs: number): number {
  return Math.floor(Math.min(apiTimeoutMs, remainingMs - QUEUE_SEND_RESERVE_MS - SAFETY_MARGIN_MS));
}

/** The time the queue send may take: whatever is left but the margin, never below the floor. */
export function queueSendBudgetMs(remainingMs: number): number {
  return Math.floor(Math.max(MIN_QUEUE_SEND_MS, remainingMs - SAFETY_MARGIN_MS));
}
