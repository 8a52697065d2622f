import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, PostConfirmationTriggerEvent } from 'aws-lambda';
import { describeError } from '#contract/describe-error';
import { senderHeaderSecretSource } from '#contract/header-secret-source';
import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';
import { createRegistrationClient } from '#contract/registration-client';
import { createCircuitBreaker } from './circuit-breaker';
import { systemClock } from './clock';
import { loadConfig } from './config';
import { createFallbackQueue } from './fallback-queue';
import { createRegistrar, type Registrar } from './register-user';
import type { RegistrationOutcome } from './registration-outcome';
import { RegistrationUnavailableError } from './registration-unavailable-error';

const SIGN_UP_CONFIRMATION = 'PostConfirmation_ConfirmSignUp';

// Created once per container and reused by every invocation (connection reuse, cached secret,
// and the breaker's memory of recent failures).
const logger = new Logger({ serviceName: metricServices.producer });
const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: metricServices.producer,
});
// Few SDK retries: the whole send must fit in the second or so left after the API attempt.
const sqs = new SQSClient({ maxAttempts: 2 });

type OutcomeListener = (outcome: RegistrationOutcome, context: Context) => void;
const outcomeListeners = new Set<OutcomeListener>();

let registrar: Registrar | undefined;

/** Built on first use, so a password-reset event never depends on the registration config. */
function getRegistrar(): Registrar {
  if (registrar === undefined) {
    const config = loadConfig();
    registrar = createRegistrar({
      client: createRegistrationClient({
        apiUrl: config.apiUrl,
        headerName: config.authHeaderName,
        headerSecrets: senderHeaderSecretSource(
          config.headerSecret,
          new SecretsManagerClient({ maxAttempts: 2 }),
        ),
      }),
      queue: createFallbackQueue({ sqs, registrationQueueUrl: config.registrationQueueUrl }),
      breaker: createCircuitBreaker({ openMs: config.breakerOpenMs, clock: systemClock }),
      config,
      clock: systemClock,
    });
  }
  return registrar;
}

/**
 * Lets a local driver (`npm run signup`) see which path each invocation took, without changing
 * what the handler returns to Cognito. Returns a function that removes the listener.
 */
export function onRegistrationOutcome(listener: OutcomeListener): () => void {
  outcomeListeners.add(listener);
  return () => outcomeListeners.delete(listener);
}

/** The one log line per invocation: what happened, with every detail the registrar gathered. */
function logOutcome(outcome: RegistrationOutcome, durationMs: number): void {
  const fields = { ...outcome, durationMs };
  switch (outcome.path) {
    case 'api':
      logger.info('Registration stored by the API', fields);
      return;
    case 'skipped':
      logger.info('Not a sign-up confirmation; nothing to register', fields);
      return;
    case 'queue':
      logger.warn('Registration queued for later delivery', fields);
      return;
    case 'rejected':
      if (outcome.parkedMessageId !== undefined) {
        logger.error('Registration rejected by the API; parked on the queue for the DLQ', fields);
      } else {
        logger.error('Registration rejected; not stored and not queued', fields);
      }
      return;
    case 'failed':
      logger.error('Registration not stored: neither the API nor the queue took it', fields);
  }
}

function report(outcome: RegistrationOutcome, context: Context, durationMs: number): void {
  logOutcome(outcome, durationMs);
  for (const listener of outcomeListeners) {
    try {
      listener(outcome, context);
    } catch {
      // An observer must never change what Cognito sees.
    }
  }
}

/**
 * The Cognito PostConfirmation trigger. Registers confirmed sign-ups (API first, queue as
 * fallback), passes every other trigger source through, always returns the event, and throws a
 * user-safe error only when neither path took the registration.
 */
export async function handler(
  event: PostConfirmationTriggerEvent,
  context: Context,
): Promise<PostConfirmationTriggerEvent> {
  const startedAt = Date.now();
  logger.addContext(context);
  const sub = event.request.userAttributes?.['sub'];

  if (event.triggerSource !== SIGN_UP_CONFIRMATION) {
    report(
      { path: 'skipped', sub, reason: 'not_sign_up', triggerSource: event.triggerSource },
      context,
      Date.now() - startedAt,
    );
    return event;
  }

  let outcome: RegistrationOutcome;
  try {
    outcome = await getRegistrar().register(event, context);
  } catch (error) {
    // A ConfigError (names the variable, never its value) or a defect: nothing was sent.
    outcome = { path: 'failed', sub, reason: 'internal', detail: describeError(error) };
  }

  // Average = fallback rate, Sum = fallback count; the alarms use these names.
  const fellBack =
    outcome.path === 'queue' || (outcome.path === 'failed' && outcome.reason !== 'internal');
  if (outcome.path === 'api' || fellBack) {
    metrics.addMetric(
      metricNames.producer.registrationFallbacks,
      MetricUnit.Count,
      fellBack ? 1 : 0,
    );
    metrics.publishStoredMetrics();
  }
  report(outcome, context, Date.now() - startedAt);

  if (outcome.path === 'failed') throw new RegistrationUnavailableError();
  return event;
}
