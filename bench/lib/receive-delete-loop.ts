import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface ReceiveDeleteOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Receive loops running at once (the consumer runs ceil(concurrency / batch) of them). */
  loops: number;
  /** Messages per ReceiveMessage (1-10). */
  batchSize: number;
  waitTimeSeconds: number;
  /** Stop once this many messages have been deleted. */
  expected: number;
  /** Give up (and report what was done) after this long. */
  deadlineMs: number;
}

export interface ReceiveDeleteResult {
  deleted: number;
  receives: number;
  emptyReceives: number;
  /** From the first message received to the last delete, in seconds. */
  durationSeconds: number;
  messagesPerSecond: number;
  stoppedAtDeadline: boolean;
}

/**
 * The queue server's own ceiling for draining: receive a batch, delete it with one
 * DeleteMessageBatch, repeat, on `loops` loops at once, doing no work in between. The pipeline
 * bench compares the consumer's drain rate with this.
 */
export async function receiveAndDeleteAll(
  options: ReceiveDeleteOptions,
): Promise<ReceiveDeleteResult> {
  const { sqs, queueUrl } = options;
  const deadline = Date.now() + options.deadlineMs;
  let deleted = 0;
  let receives = 0;
  let emptyReceives = 0;
  let firstReceivedAt: bigint | undefined;
  let lastDeletedAt: bigint | undefined;

  const loop = async (): Promise<void> => {
    while (deleted < options.expected && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: options.batchSize,
          WaitTimeSeconds: options.waitTimeSeconds,
        }),
      );
      receives += 1;
      if (Messages.length === 0) {
        emptyReceives += 1;
        continue;
      }
      firstReceivedAt ??= process.hrtime.bigint();
      const output = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({
            Id: `m${index}`,
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      deleted += output.Successful?.length ?? 0;
      lastDeletedAt = process.hrtime.bigint();
    }
  };
  await Promise.all(Array.from({ length: options.loops }, loop));

  const durationSeconds =
    firstReceivedAt !== undefined && lastDeletedAt !== undefined
      ? Number(lastDeletedAt - firstReceivedAt) / 1e9
      : Number.NaN;
  return {
    deleted,
    receives,
    emptyReceives,
    durationSeconds,
    messagesPerSecond: deleted / durationSeconds,
    stoppedAtDeadline: deleted < options.expected,
  };
}
