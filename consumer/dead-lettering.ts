import type { Message } from '@aws-sdk/client-sqs';
import type { Logger } from '#contract/logger';
import type { DeadLetterSender } from './dead-letter';
import type { HandledMessage, ReportBase, RetryCause } from './handled-message';
import type { DeadLetterReason } from './message-classification';

export interface DeadLetterFailure {
  reason: DeadLetterReason;
  status?: number;
  detail: string;
}

/** Moves a message that can never succeed to the DLQ; see `createDeadLettering`. */
export type DeadLettering = (
  message: Message,
  base: ReportBase,
  failure: DeadLetterFailure,
) => Promise<HandledMessage>;

export interface DeadLetteringDependencies {
  deadLetters: DeadLetterSender;
  logger: Logger;
  /** The decision when the DLQ does not take the copy: keep the message, retry later. */
  retry: (message: Message, base: ReportBase, cause: RetryCause) => HandledMessage;
}

const errorOf = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value));

/**
 * Sends the copy to the DLQ and only then acknowledges the original (so it is deleted). If the
 * send fails, the original is kept on the queue for a retry: deleting it then would lose the
 * registration for good.
 */
export function createDeadLettering({
  deadLetters,
  logger,
  retry,
}: DeadLetteringDependencies): DeadLettering {
  return async (message, base, failure) => {
    try {
      await deadLetters.send(message, { ...failure, receiveCount: base.receiveCount });
    } catch (error) {
      // Not deleted: it comes back after the backoff and is dead-lettered then.
      logger.error(
        { messageId: base.messageId, sub: base.sub, err: errorOf(error) },
        'sending to the dead-letter queue failed',
      );
      return retry(message, base, { reason: 'dead_letter_send_failed', detail: failure.detail });
    }
    const { reason, status, detail } = failure;
    return {
      kind: 'ack',
      message,
      report: { ...base, outcome: 'dead_lettered', reason, status, detail },
    };
  };
}
