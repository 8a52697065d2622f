/**
 * Deliveries SQS attempts before it moves a registration to the DLQ. After each failed attempt
 * the consumer waits `min(900 s, 5 s * 2^(receiveCount - 1))` with equal jitter (at least half of
 * that), so 16 receives leave 15 waits totalling at least about 63 minutes and at most about
 * 2.1 hours: long enough to ride out an ordinary API or database outage before a person has to
 * redrive the DLQ. The deployed queue and the local pipeline's queue both use it.
 */
export const MAX_RECEIVE_COUNT = 16;

/** How long Cognito waits for a trigger (5 s), the function's cold start included. */
export const TRIGGER_TIMEOUT_MS = 5000;

/** The part of Cognito's wait left for a cold start (init) before the handler runs. */
export const PRODUCER_COLD_START_ALLOWANCE_MS = 1000;

/**
 * The producer function's own timeout: Cognito's wait less the cold-start allowance, so that a
 * cold run still ends (or fails) before Cognito gives up. The stack deploys it and the local
 * Lambda endpoint enforces it.
 */
export const PRODUCER_TIMEOUT_MS = TRIGGER_TIMEOUT_MS - PRODUCER_COLD_START_ALLOWANCE_MS;
