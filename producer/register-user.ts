import type { Logger } from '@aws-lambda-powertools/logger';
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

export type RegistrarLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface RegistrarDependencies {
  client: RegistrationClient;
  queue: FallbackQueue;
  breaker: CircuitBreaker;
  config: Pick<ProducerConfig, 'apiTimeoutMs'>;
  logger: RegistrarLogger;
  clock: Clock;
}

export interface Registrar {
  /**
   * Registers the user of a confirmed sign-up: through the API when it answers in time,
   * otherwise through the fallback queue. Never throws; a `failed` outcome means both paths
   * failed and the caller should report an error.
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
 * The path choice of the producer. Permanent API answers (400, 409) are not queued: the queue
 * would only carry the message to the dead-letter queue, since the same body can never succeed;
 * an error log with the `sub` is the record instead, and the user stays confirmed in Cognito.
 * An event that does not make a valid registration (e.g. a pool without email) is rejected the
 * same way, before any network call, for the same reason.
 */
export function createRegistrar(deps: RegistrarDependencies): Registrar {
  const { client, queue, breaker, config, logger, clock } = deps;

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
      const parsed = registrationFromEvent(event);
      const eventSub = event.request.userAttributes?.['sub'];
      if (!parsed.ok) {
        logger.error('Sign-up event does not make a valid registration; not registered', {
          sub: eventSub,
          field: parsed.field,
          detail: parsed.message,
        });
        return {
          path: 'rejected',
          sub: eventSub,
          reason: 'invalid_registration',
          detail: parsed.message,
        };
      }
      const registration = parsed.registration;
      const sub = registration.sub;
      const attemptedAt = new Date(clock.now()).toISOString();

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
          // The API answered, so it is healthy; the registration itself is at fault. It is still
          // parked on the queue: the consumer checks it once more (the conflict may be gone) and
          // otherwise dead-letters it with the reason, where the DLQ alarm and redrive find it.
          // Only logging it would leave a confirmed user missing from the database unnoticed.
          breaker.recordSuccess();
          let parkedMessageId: string | undefined;
          try {
            ({ messageId: parkedMessageId } = await queue.enqueue(
              registration,
              { reason: attempt.reason, attemptedAt, status: attempt.status },
              { timeoutMs: queueSendBudgetMs(remaining()) },
            ));
          } catch (error) {
            logger.error('Could not park the rejected registration on the queue', {
              sub,
              queueError: describeError(error),
            });
          }
          logger.error('API rejected the registration permanently', {
            sub,
            reason: attempt.reason,
            status: attempt.status,
            detail: attempt.detail,
            parkedMessageId,
          });
          return {
            path: 'rejected',
            sub,
            reason: attempt.reason,
            status: attempt.status,
            detail: attempt.detail,
            ...(parkedMessageId === undefined ? {} : { parkedMessageId }),
          };
        }
        breaker.recordFailure();
        logger.warn('API attempt failed; falling back to the queue', {
          sub,
          reason: attempt.reason,
          status: attempt.status,
          detail: attempt.detail,
          apiBudgetMs,
        });
        fallback = attempt;
      }

      try {
        const { messageId } = await queue.enqueue(
          registration,
          { reason: fallback.reason, attemptedAt, status: fallback.status },
          { timeoutMs: queueSendBudgetMs(remaining()) },
        );
        return { path: 'queue', sub, reason: fallback.reason, status: fallback.status, messageId };
      } catch (error) {
        logger.error('Fallback queue send failed; registration lost for this attempt', {
          sub,
          reason: fallback.reason,
          queueError: describeError(error),
        });
        return { path: 'failed', sub, reason: fallback.reason, detail: describeError(error) };
      }
    },
  };
}
