import type { Message } from '@aws-sdk/client-sqs';
import type { ConcurrencyLimit } from './concurrency-limit';
import type { VisibilityChange } from './handled-message';
import type { MessageHandler } from './message-handler';
import type { ApplyVisibility } from './visibility-changes';
import type { MessageReport, WorkerLedger } from './worker-ledger';

export interface BatchHandlerDependencies {
  handleMessage: MessageHandler;
  /** Shared by every receive loop, so it bounds the deliveries of the whole worker. */
  limit: ConcurrencyLimit;
  applyVisibility: ApplyVisibility;
  ledger: WorkerLedger;
}

export interface BatchHandler {
  /** sqs-consumer's `handleMessageBatch`: returns the messages it should delete. */
  handleBatch(messages: Message[]): Promise<Message[]>;
  /** sqs-consumer's `message_processed`: the delete of an acknowledged message succeeded. */
  deleted(message: Message): void;
  /**
   * Acknowledged messages among `messages` whose delete failed (they will be received again);
   * they are forgotten, so a later event cannot count them twice.
   */
  deleteFailed(messages: readonly Message[]): Message[];
}

/**
 * One received batch: every message through the handler (at most `limit` at a time across all
 * loops), one visibility change for the retries and hand-backs, and the acknowledged rest back to
 * sqs-consumer for its batch delete. A delivered or dead-lettered message is only counted once
 * its delete succeeded.
 */
export function createBatchHandler({
  handleMessage,
  limit,
  applyVisibility,
  ledger,
}: BatchHandlerDependencies): BatchHandler {
  /** Acknowledged messages waiting for sqs-consumer's batch delete. */
  const awaitingDelete = new WeakMap<Message, MessageReport>();

  return {
    async handleBatch(messages) {
      ledger.batchReceived(messages.length);
      try {
        const handled = await Promise.all(
          messages.map((message) => limit.run(() => handleMessage(message))),
        );
        const changes = handled.filter(
          (entry): entry is VisibilityChange => entry.kind === 'visibility',
        );
        for (const report of await applyVisibility(changes)) ledger.settled(report);
        const acknowledged: Message[] = [];
        for (const entry of handled) {
          if (entry.kind !== 'ack') continue;
          awaitingDelete.set(entry.message, entry.report);
          acknowledged.push(entry.message);
        }
        return acknowledged;
      } finally {
        ledger.batchDone(messages.length);
      }
    },
    deleted(message) {
      const report = awaitingDelete.get(message);
      if (!report) return;
      awaitingDelete.delete(message);
      ledger.settled(report);
    },
    deleteFailed(messages) {
      const failed = messages.filter((message) => awaitingDelete.has(message));
      for (const message of failed) awaitingDelete.delete(message);
      ledger.deleteFailed(failed.length);
      return failed;
    },
  };
}
