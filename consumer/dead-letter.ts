import {
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetterReason } from './message-classification';

/** Message attributes the consumer adds when it dead-letters a message itself. */
export const deadLetterAttributeNames = {
  reason: 'deadLetterReason',
  status: 'deadLetterStatus',
  detail: 'deadLetterDetail',
  at: 'deadLetteredAt',
  sourceMessageId: 'sourceMessageId',
  receiveCount: 'receiveCount',
} as const;

/** SQS allows at most 10 message attributes. */
const MAX_MESSAGE_ATTRIBUTES = 10;
/** Keeps the detail readable in the console and well under the 256 KiB message limit. */
const MAX_DETAIL_LENGTH = 1024;

export interface DeadLetterDetails {
  reason: DeadLetterReason;
  status?: number;
  detail: string;
  receiveCount: number;
}

export interface DeadLetterSender {
  /** Sends a copy of `message` to the DLQ; rejects when SQS does not take it. */
  send(message: Message, details: DeadLetterDetails): Promise<void>;
}

const stringAttribute = (value: string): MessageAttributeValue => ({
  DataType: 'String',
  StringValue: value,
});

/**
 * The attributes of the dead-lettered copy: ours first (they explain the failure), then the
 * sender's (why it was queued), as many as fit. Ours replace any from an earlier dead-lettering
 * that came back through a redrive.
 */
export function deadLetterAttributes(
  message: Message,
  details: DeadLetterDetails,
  now: Date = new Date(),
): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [deadLetterAttributeNames.reason]: stringAttribute(details.reason),
    [deadLetterAttributeNames.detail]: stringAttribute(
      details.detail.slice(0, MAX_DETAIL_LENGTH) || '(none)',
    ),
    [deadLetterAttributeNames.at]: stringAttribute(now.toISOString()),
    [deadLetterAttributeNames.receiveCount]: {
      DataType: 'Number',
      StringValue: String(details.receiveCount),
    },
  };
  if (details.status !== undefined) {
    attributes[deadLetterAttributeNames.status] = {
      DataType: 'Number',
      StringValue: String(details.status),
    };
  }
  if (message.MessageId !== undefined) {
    attributes[deadLetterAttributeNames.sourceMessageId] = stringAttribute(message.MessageId);
  }
  const ours = new Set<string>(Object.values(deadLetterAttributeNames));
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (Object.keys(attributes).length >= MAX_MESSAGE_ATTRIBUTES) break;
    if (!ours.has(name)) attributes[name] = value;
  }
  return attributes;
}

/** Sends permanently failed messages to the dead-letter queue, body unchanged. */
export function createDeadLetterSender({
  sqs,
  deadLetterQueueUrl,
}: {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
}): DeadLetterSender {
  return {
    async send(message, details) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          // SQS refuses empty bodies; a message without one can only be kept as a marker.
          MessageBody: message.Body || '(empty)',
          MessageAttributes: deadLetterAttributes(message, details),
        }),
      );
    },
  };
}
