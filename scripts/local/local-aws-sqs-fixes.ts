/**
 * Two behaviours of local-aws-sqs 2.0.2 that differ from SQS and matter to this project, fixed
 * on each queue object from the outside (the package is pinned; these are its instance fields
 * and methods, not a public API):
 *
 * 1. ChangeMessageVisibility increments ApproximateReceiveCount, as if the message had been
 *    received again. A consumer that backs off by receive count would then back off twice as
 *    fast and be dead-lettered after half of `maxReceiveCount` attempts.
 * 2. A long poll returns only when the batch is full or the wait time is over, so one message
 *    waits up to WaitTimeSeconds. SQS answers as soon as any message is available.
 */

interface QueueEntry {
  record: { MessageId: string; attributes: Record<string, string | undefined> };
}

interface ReceiveParams {
  VisibilityTimeout?: number | string;
  WaitTimeSeconds?: number | string;
  MaxNumberOfMessages?: number | string;
}

interface PatchableQueue {
  ReceiveMessageWaitTimeSeconds: number;
  newRecord: (message: unknown, delay?: number) => QueueEntry;
  changeVisibility: (receiptHandle: string, visibilityTimeout: string) => boolean;
  delete: (receiptHandle: string) => boolean;
  receive: (params: ReceiveParams) => Promise<unknown[]>;
}

const patched = new WeakSet<object>();
const POLL_INTERVAL_MS = 10;

const isPatchable = (queue: object): queue is PatchableQueue =>
  ['newRecord', 'changeVisibility', 'delete', 'receive'].every(
    (name) => typeof (queue as Record<string, unknown>)[name] === 'function',
  );

/** The MessageId inside a local-aws-sqs receipt handle (base64 of "<uuid>{json}"). */
const messageIdOf = (receiptHandle: string): string | undefined => {
  try {
    const decoded = Buffer.from(receiptHandle, 'base64').toString('utf8');
    const parsed = JSON.parse(decoded.slice(decoded.indexOf('{'))) as { MessageId?: unknown };
    return typeof parsed.MessageId === 'string' ? parsed.MessageId : undefined;
  } catch {
    return undefined;
  }
};

/** Applies both fixes to a queue object once; unknown shapes are left alone. */
export function patchLocalQueue(queue: object): void {
  if (patched.has(queue) || !isPatchable(queue)) return;
  patched.add(queue);
  const entries = new Map<string, QueueEntry>();

  const newRecord = queue.newRecord;
  queue.newRecord = (message, delay) => {
    const entry = newRecord(message, delay);
    entries.set(entry.record.MessageId, entry);
    return entry;
  };

  const changeVisibility = queue.changeVisibility.bind(queue);
  queue.changeVisibility = (receiptHandle, visibilityTimeout) => {
    const entry = entries.get(messageIdOf(receiptHandle) ?? '');
    const count = entry?.record.attributes['ApproximateReceiveCount'];
    const changed = changeVisibility(receiptHandle, visibilityTimeout);
    // The redrive check on expiry reads the count then, so restoring it here is enough.
    if (entry && count !== undefined) entry.record.attributes['ApproximateReceiveCount'] = count;
    return changed;
  };

  const deleteMessage = queue.delete.bind(queue);
  queue.delete = (receiptHandle) => {
    const deleted = deleteMessage(receiptHandle);
    if (deleted) entries.delete(messageIdOf(receiptHandle) ?? '');
    return deleted;
  };

  const receive = queue.receive.bind(queue);
  queue.receive = async (params) => {
    const waitSeconds = Number(params.WaitTimeSeconds ?? queue.ReceiveMessageWaitTimeSeconds ?? 0);
    const deadline = Date.now() + (Number.isFinite(waitSeconds) ? waitSeconds : 0) * 1000;
    for (;;) {
      const messages = await receive({ ...params, WaitTimeSeconds: 0 });
      if (messages.length > 0 || Date.now() >= deadline) return messages;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  };
}
