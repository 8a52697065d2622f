import type { Context, PostConfirmationTriggerEvent } from 'aws-lambda';
import type { Registration } from '#contract/registration';
import type { RegistrationClient } from '#contract/registration-client';
import type { CircuitBreaker } from './circuit-breaker';
import type { Clock } from './clock';
import type { ProducerConfig } from './config';
import type { FallbackQueue } from './fallback-queue';
import { registrationFromEvent } from './registration-from-event';
import type { FallbackReason, RegistrationOutcome } from './registration-outcome';
import {
  MIN_API_ATTEMPT_MS,
  apiAttemptBudgetMs,
  queueSendBudgetMs,
  remainingBudgetMs,
} from './time-budget';

export interface RegistrarDependencies {
  client: RegistrationClient;
  queue: FallbackQueue;
  breaker: CircuitBreaker;
  config: Pick<ProducerConfig, 'apiTimeoutMs'>;
  clock: Clock;
}

export interface Registrar {
  /**
   * Registers the user of a confirmed sign-up: through the API when it answers in time,
   * otherwise through the fallback queue. Never throws and never logs: the outcome carries
   * every detail, and the handler logs it once. A `failed` outcome means both paths failed.
   */
  register(
    event: PostConfirmationTriggerEvent,
    context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
  ): Promise<RegistrationOutcome>;
}

type ApiAttempt =
  | { kind: 'delivered'; status: number; created: boolean }
  | {
      kind: 'permanent';
      reason: Extract<RegistrationOutcome, { path: 'rejected' }>['reason'];
      status: number;
      detail: string;
    }
  | { kind: 'fallback'; reason: FallbackReason; status?: number; detail: string };

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * The path choice of the producer. The registration is stamped with the invocation time as its
 * `observedAt`, which travels with it through the queue, so a late retry never overwrites a newer
 * state. A permanent API answer (400, 413, 415) is parked on the queue with the reason, for the
 * consumer to dead-letter where the DLQ alarm and redrive find it. An event that does not make a
 * valid registration (e.g. a pool without email) is rejected before any network call: no body
 * built from it could ever be stored.
 */
export function createRegistrar(deps: RegistrarDependencies): Registrar {
  const { client, queue, breaker, config, clock } = deps;

  /** One bounded API attempt. The race also bounds the header-secret read, which the client's own timeout does not cover. */
  const attemptApi = async (
    registration: Registration,
    budgetMs: number,
    requestId: string,
  ): Promise<ApiAttempt> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ApiAttempt>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            kind: 'fallback',
            reason: 'timeout',
            detail: `no answer within ${budgetMs} ms`,
          }),
        budgetMs,
      );
    });
    const delivery = client
      // The client ends the request itself at `timeoutMs`; no second timer is needed for it.
      .deliver(registration, { timeoutMs: budgetMs, requestId })
      .then((result): ApiAttempt => {
        switch (result.outcome) {
          case 'delivered':
            return { kind: 'delivered', status: result.status, created: result.created };
          case 'permanent':
            return {
              kind: 'permanent',
              reason: result.reason,
              status: result.status,
              detail: result.detail,
            };
          case 'retryable':
            return {
              kind: 'fallback',
              reason: result.reason,
              status: result.status,
              detail: result.detail,
            };
        }
      })
      // deliver() only throws when the header value cannot be read.
      .catch((error: unknown): ApiAttempt => ({
        kind: 'fallback',
        reason: 'secret_unavailable',
        detail: describeError(error),
      }));
    try {
      return await Promise.race([delivery, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async register(event, context) {
      const startedAt = clock.now();
      const remaining = () =>
        remainingBudgetMs(context.getRemainingTimeInMillis(), startedAt, clock.now());
      const attemptedAt = new Date(startedAt).toISOString();
      const parsed = registrationFromEvent(event, attemptedAt);
      const eventSub = event.request.userAttributes?.['sub'];
      if (!parsed.ok) {
        return {
          path: 'rejected',
          sub: eventSub,
          reason: 'invalid_registration',
          field: parsed.field,
          detail: parsed.message,
        };
      }
      const registration = parsed.registration;
      const sub = registration.sub;

      let fallback: Extract<ApiAttempt, { kind: 'fallback' }>;
      const apiBudgetMs = apiAttemptBudgetMs(remaining(), config.apiTimeoutMs);
      if (apiBudgetMs < MIN_API_ATTEMPT_MS) {
        fallback = {
          kind: 'fallback',
          reason: 'no_time',
          detail: `${apiBudgetMs} ms left for the API`,
        };
      } else if (!breaker.tryAcquire()) {
        fallback = { kind: 'fallback', reason: 'breaker_open', detail: 'the API failed recently' };
      } else {
        const attempt = await attemptApi(registration, apiBudgetMs, context.awsRequestId);
        if (attempt.kind === 'delivered') {
          breaker.recordSuccess();
          return { path: 'api', sub, status: attempt.status, created: attempt.created };
        }
        if (attempt.kind === 'permanent') {
          // The API answered, so it is healthy; the registration itself is at fault. Parking it
          // on the queue lets the consumer dead-letter it with the reason, where the DLQ alarm
          // and redrive find it; a log line alone would leave a confirmed user missing unnoticed.
          breaker.recordSuccess();
          const rejected = {
            path: 'rejected',
            sub,
            reason: attempt.reason,
            status: attempt.status,
            detail: attempt.detail,
          } as const;
          try {
            const { messageId } = await queue.enqueue(
              registration,
              { reason: attempt.reason, attemptedAt, status: attempt.status },
              { timeoutMs: queueSendBudgetMs(remaining()) },
            );
            return {
              ...rejected,
              ...(messageId === undefined ? {} : { parkedMessageId: messageId }),
            };
          } catch (error) {
            return { ...rejected, queueError: describeError(error) };
          }
        }
        breaker.recordFailure();
        fallback = { ...attempt, detail: `${attempt.detail} (API budget ${apiBudgetMs} ms)` };
      }

      try {
        const { messageId } = await queue.enqueue(
          registration,
          { reason: fallback.reason, attemptedAt, status: fallback.status },
          { timeoutMs: queueSendBudgetMs(remaining()) },
        );
        return {
          path: 'queue',
          sub,
          reason: fallback.reason,
          status: fallback.status,
          detail: fallback.detail,
          messageId,
        };
      } catch (error) {
        return {
          path: 'failed',
          sub,
          reason: fallback.reason,
          status: fallback.status,
          detail: fallback.detail,
          queueError: describeError(error),
        };
      }
    },
  };
}
