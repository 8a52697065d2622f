import type { Message } from '@aws-sdk/client-sqs';
import type { Logger } from '#contract/logger';
import { apiLooksDown, type RegistrationClient } from '#contract/registration-client';
import { backoffSeconds, receiveCountOf } from './backoff';
import type { ConsumerMetrics } from './consumer-metrics';
import type { DeadLetterSender } from './dead-letter';
import { createDeadLettering } from './dead-lettering';
import type { HandledMessage, ReportBase, RetryCause } from './handled-message';
import { actionFor, readRegistration } from './message-classification';
import type { OutagePause } from './outage-pause';

export interface MessageHandlerDependencies {
  client: RegistrationClient;
  apiTimeoutMs: number;
  backoff: { baseSeconds: number; maxSeconds: number };
  /** Jitter source, uniform in [0, 1). */
  random: () => number;
  deadLetters: DeadLetterSender;
  logger: Logger;
  /** True once a stop has begun: a message not yet started is handed back untouched. */
  isStopping: () => boolean;
  /** Told when a delivery suggests the API is down; says whether the worker is paused. */
  outage: Pick<OutagePause, 'confirmDown' | 'isPaused'>;
  /**
   * Invisibility of a message that met the API down (or was received while paused): short, so
   * that it is back soon after the API is, whatever the backoff settings.
   */
  outageVisibilitySeconds: number;
  metrics: Pick<ConsumerMetrics, 'serverDefect'>;
}

/** One message, start to decision. Never throws: anything unexpected becomes a retry. */
export type MessageHandler = (message: Message) => Promise<HandledMessage>;

const errorOf = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value));

/** The `sub` of a body that is not a valid registration, for the report; cut to a sane length. */
const subOf = (body: string | undefined): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    if (typeof parsed === 'object' && parsed !== null && 'sub' in parsed) {
      const sub = (parsed as { sub: unknown }).sub;
      return typeof sub === 'string' ? sub.slice(0, 64) : undefined;
    }
  } catch {
    // Unparseable bodies are reported without a sub.
  }
  return undefined;
};

/**
 * Delivers one registration to the API and decides what becomes of its message: delete it
 * (delivered), dead-letter it (permanently refused or unreadable), or keep it invisible for an
 * exponential, jittered backoff by receive count (a retryable failure).
 */
export function createMessageHandler({
  client,
  apiTimeoutMs,
  backoff,
  random,
  deadLetters,
  logger,
  isStopping,
  outage,
  outageVisibilitySeconds,
  metrics,
}: MessageHandlerDependencies): MessageHandler {
  const retry = (message: Message, base: ReportBase, cause: RetryCause): HandledMessage => {
    const seconds = backoffSeconds(base.receiveCount, { ...backoff, random });
    return {
      kind: 'visibility',
      message,
      seconds,
      report: { ...base, ...cause, outcome: 'retried', visibilityTimeoutSeconds: seconds },
    };
  };
  const deadLetter = createDeadLettering({ deadLetters, logger, retry });
  /** Kept off the backoff: the message is not at fault, and must not miss the API's return. */
  const waitForApi = (message: Message, base: ReportBase, cause: RetryCause): HandledMessage => ({
    kind: 'visibility',
    message,
    seconds: outageVisibilitySeconds,
    report: {
      ...base,
      ...cause,
      outcome: 'retried',
      apiDown: true,
      visibilityTimeoutSeconds: outageVisibilitySeconds,
    },
  });

  return async (message) => {
    const read = readRegistration(message.Body);
    const base: ReportBase = {
      messageId: message.MessageId,
      sub: read.ok ? read.registration.sub : subOf(message.Body),
      receiveCount: receiveCountOf(message.Attributes),
    };
    if (isStopping()) {
      return { kind: 'visibility', message, seconds: 0, report: { ...base, outcome: 'released' } };
    }
    if (!read.ok) return deadLetter(message, base, { reason: read.reason, detail: read.detail });
    if (outage.isPaused) {
      // Received just before the pause (another loop's long poll): not tried against a dead API.
      return {
        kind: 'visibility',
        message,
        seconds: outageVisibilitySeconds,
        report: {
          ...base,
          outcome: 'released',
          reason: 'api_down',
          visibilityTimeoutSeconds: outageVisibilitySeconds,
        },
      };
    }
    try {
      const result = await client.deliver(read.registration, {
        timeoutMs: apiTimeoutMs,
        requestId: message.MessageId,
      });
      const action = actionFor(result);
      switch (action.action) {
        case 'delete':
          return {
            kind: 'ack',
            message,
            report: { ...base, outcome: 'delivered', status: result.status },
          };
        case 'dead-letter':
          return deadLetter(message, base, action);
        case 'retry': {
          const cause = { reason: action.reason, status: action.status, detail: action.detail };
          if (apiLooksDown(result) && (await outage.confirmDown())) {
            return waitForApi(message, base, cause);
          }
          if (result.outcome === 'retryable' && result.reason === 'server_error') {
            // Retried like any failure, but counted apart: a defect must not pass for an outage.
            metrics.serverDefect();
            return retry(message, base, { ...cause, defect: true });
          }
          return retry(message, base, cause);
        }
      }
    } catch (error) {
      // Only reading the header secret can throw here; the message is fine, so retry it.
      logger.error({ ...base, err: errorOf(error) }, 'delivery could not be attempted');
      return retry(message, base, { reason: 'internal', detail: errorOf(error).message });
    }
  };
}
