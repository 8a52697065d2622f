import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export type RedriveMethod = 'auto' | 'move-task' | 'copy';

export interface RedriveOptions {
  sqs: SQSClient;
  /** Where the messages go back to. */
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** `auto` tries SQS' StartMessageMoveTask and copies when the endpoint lacks it. @default 'auto' */
  method?: RedriveMethod;
  /** Copy method: stop after this many; default: what the DLQ held at the start. */
  maxMessages?: number;
  /** Give up waiting for a move task after this long; it keeps running in SQS. @default 600_000 */
  timeoutMs?: number;
  /** @default 500 */
  pollIntervalMs?: number;
}

export interface RedriveSummary {
  method: 'move-task' | 'copy';
  moved: number;
  failed: number;
  /** Move task only: its final status (RUNNING if we stopped waiting). */
  status?: string;
  failureReason?: string;
  /** Approximate messages left in the DLQ afterwards. */
  remaining: number;
  durationMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function queueAttributes(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ arn: string; visible: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
    }),
  );
  if (!Attributes?.QueueArn) throw new Error(`queue ${queueUrl} reported no ARN`);
  return {
    arn: Attributes.QueueArn,
    visible: Number(Attributes.ApproximateNumberOfMessages ?? '0'),
  };
}

/** Errors that mean "this endpoint has no message move tasks", not "this move failed". */
const isUnsupported = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    /unsupported|unknown ?operation|invalidaction|not ?implemented/i.test(
      `${error.name} ${error.message}`,
    ) ||
    status === 404 ||
    status === 501
  );
};

async function moveTask(options: Required<Omit<RedriveOptions, 'maxMessages'>>, startedAt: number) {
  const { sqs, queueUrl, deadLetterQueueUrl, timeoutMs, pollIntervalMs } = options;
  const [queue, dlq] = await Promise.all([
    queueAttributes(sqs, queueUrl),
    queueAttributes(sqs, deadLetterQueueUrl),
  ]);
  // An explicit destination: messages the consumer dead-lettered itself carry no
  // DeadLetterQueueSourceArn, so "back to where it came from" would fail for them.
  await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: queue.arn }),
  );
  const deadline = startedAt + timeoutMs;
  for (;;) {
    await sleep(pollIntervalMs);
    const { Results } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 1 }),
    );
    const task = Results?.[0];
    const status = task?.Status ?? 'UNKNOWN';
    if (status !== 'RUNNING' || Date.now() >= deadline) {
      return {
        method: 'move-task' as const,
        moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
        failed: status === 'FAILED' ? 1 : 0,
        status,
        ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}),
      };
    }
  }
}

async function copy(options: RedriveOptions) {
  const { sqs, queueUrl, deadLetterQueueUrl } = options;
  // Bounded by what was there at the start, so a message that fails again at once and lands
  // back in the DLQ is not moved round in circles.
  const limit = options.maxMessages ?? (await queueAttributes(sqs, deadLetterQueueUrl)).visible;
  let moved = 0;
  let failed = 0;
  let emptyReceives = 0;
  while (moved + failed < limit && emptyReceives < 2) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: Math.min(10, limit - moved - failed),
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      emptyReceives += 1;
      continue;
    }
    emptyReceives = 0;
    const entries = Messages.map((message, index) => ({ id: `m${index}`, message }));
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: entries.map(({ id, message }) => ({
          Id: id,
          MessageBody: message.Body ?? '',
          MessageAttributes: message.MessageAttributes,
        })),
      }),
    );
    const sentIds = new Set((sent.Successful ?? []).map((entry) => entry.Id));
    const toDelete = entries.filter(({ id }) => sentIds.has(id));
    const notSent = entries.filter(({ id }) => !sentIds.has(id));
    if (toDelete.length > 0) {
      // A failed delete leaves a copy in both queues: a duplicate delivery, which the API's
      // idempotent upsert on `sub` absorbs. Losing a message would be worse.
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: deadLetterQueueUrl,
          Entries: toDelete.map(({ id, message }) => ({
            Id: id,
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      moved += deleted.Successful?.length ?? 0;
      failed += deleted.Failed?.length ?? 0;
    }
    if (notSent.length > 0) {
      failed += notSent.length;
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: deadLetterQueueUrl,
          Entries: notSent.map(({ id, message }) => ({
            Id: id,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
  return { method: 'copy' as const, moved, failed };
}

/**
 * Moves dead-lettered registrations back to the registration queue: with SQS' own
 * StartMessageMoveTask where the endpoint has it (waiting for the task to finish), else by
 * receive → send → delete in batches of 10. Message bodies and attributes are kept.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveSummary> {
  const startedAt = Date.now();
  const method = options.method ?? 'auto';
  const full = {
    method,
    timeoutMs: options.timeoutMs ?? 600_000,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    sqs: options.sqs,
    queueUrl: options.queueUrl,
    deadLetterQueueUrl: options.deadLetterQueueUrl,
  };
  let result: Omit<RedriveSummary, 'remaining' | 'durationMs'>;
  if (method === 'copy' || options.maxMessages !== undefined) {
    result = await copy(options);
  } else {
    try {
      result = await moveTask(full, startedAt);
    } catch (error) {
      if (method === 'move-task' || !isUnsupported(error)) throw error;
      result = await copy(options);
    }
  }
  const remaining = (await queueAttributes(options.sqs, options.deadLetterQueueUrl)).visible;
  return { ...result, remaining, durationMs: Date.now() - startedAt };
}
