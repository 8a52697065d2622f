import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';

export {
  queueDepth,
  sendBodies,
  startLocalSqs,
  type LocalSqs,
  type QueuePair,
} from '../../scripts/local/local-sqs';

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
