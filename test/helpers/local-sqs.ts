import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { waitFor as waitUntil } from './wait-for';

export { startLocalSqs, type LocalSqs, type QueuePair } from '../../scripts/local/local-sqs';

/** Visible and in-flight message counts of a queue (delayed messages are in neither). */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number; total: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const visible = Number(Attributes.ApproximateNumberOfMessages ?? '0');
  const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? '0');
  return { visible, inFlight, total: visible + inFlight };
}

/** Sends bodies in batches of 10; returns the message ids in order. */
export async function sendBodies(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < bodies.length; start += 10) {
    const chunk = bodies.slice(start, start + 10);
    const output = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, index) => ({ Id: `b${index}`, MessageBody: body })),
      }),
    );
    if ((output.Failed ?? []).length > 0) throw new Error('SendMessageBatch failed');
    ids.push(...(output.Successful ?? []).map((entry) => entry.MessageId ?? ''));
  }
  return ids;
}

/** Receives everything currently visible (with attributes), leaving it invisible for a minute. */
export async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
}

/** Polls `condition` until it holds; fails with `description` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  description: string,
  { timeoutMs = 10_000, intervalMs = 25 } = {},
): Promise<void> {
  await waitUntil(condition, { timeoutMs, intervalMs, what: description });
}
