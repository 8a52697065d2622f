import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '#contract/logger';
import type { VisibilityChange } from './handled-message';
import type { MessageReport } from './worker-ledger';

export interface VisibilityChangesDependencies {
  sqs: SQSClient;
  queueUrl: string;
  logger: Logger;
  /** What a message falls back to when the change fails: the visibility it was received with. */
  receiveVisibilitySeconds: number;
  onError: (error: Error) => void;
}

/**
 * Applies a batch's retries and hand-backs in one ChangeMessageVisibilityBatch, and returns the
 * reports as they turned out (a failed change leaves the receive visibility in force).
 */
export type ApplyVisibility = (changes: readonly VisibilityChange[]) => Promise<MessageReport[]>;

const errorOf = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value));

export function createVisibilityChanges({
  sqs,
  queueUrl,
  logger,
  receiveVisibilitySeconds,
  onError,
}: VisibilityChangesDependencies): ApplyVisibility {
  return async (changes) => {
    if (changes.length === 0) return [];
    const byId = new Map(changes.map((entry, index) => [`m${index}`, entry]));
    let failedIds = new Set<string>();
    try {
      const output = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: [...byId].map(([id, entry]) => ({
            Id: id,
            ReceiptHandle: entry.message.ReceiptHandle,
            VisibilityTimeout: entry.seconds,
          })),
        }),
      );
      failedIds = new Set((output.Failed ?? []).map((failure) => failure.Id ?? ''));
      for (const failure of output.Failed ?? []) {
        logger.warn(
          { messageId: byId.get(failure.Id ?? '')?.message.MessageId, code: failure.Code },
          'changing visibility failed; the message returns after the receive visibility timeout',
        );
      }
    } catch (error) {
      failedIds = new Set(byId.keys());
      logger.warn(
        { err: errorOf(error), count: changes.length },
        'changing visibility failed; the messages return after the receive visibility timeout',
      );
      onError(errorOf(error));
    }
    // Reported either way: the message stays on the queue, which is what a retry means.
    return [...byId].map(([id, entry]) =>
      failedIds.has(id)
        ? { ...entry.report, visibilityTimeoutSeconds: receiveVisibilitySeconds }
        : entry.report,
    );
  };
}
