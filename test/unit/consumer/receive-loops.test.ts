import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type ReceiveMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createBatchHandler, type BatchHandler } from '../../../consumer/batch-handler';
import { createConcurrencyLimit } from '../../../consumer/concurrency-limit';
import { createReceiveLoops, type ReceiveLoopsOptions } from '../../../consumer/receive-loops';
import { createWorkerLedger } from '../../../consumer/worker-ledger';
import { advance, runUntil, settle } from './support/fake-time';
import { capturingLogger } from './support/log-lines';

const QUEUE_URL = 'https://sqs.local/000000000000/registrations';

const messageNumbered = (n: number): Message => ({
  MessageId: `m-${n}`,
  ReceiptHandle: `rh-${n}`,
  Body: '{}',
});

/** What one ReceiveMessage call does; the last entry repeats. */
type Receive =
  | { messages: Message[] }
  | { empty: true }
  | { error: string }
  /** Stays pending until the test calls `release()` on the returned handle. */
  | { hang: true };

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** A batch handler that records what sqs-consumer asks of it. */
function recordingBatches({
  acknowledge = (messages: Message[]) => messages,
  unacknowledged = (messages: readonly Message[]) => [...messages],
  failWith,
}: {
  acknowledge?: (messages: Message[]) => Message[];
  unacknowledged?: (messages: readonly Message[]) => Message[];
  failWith?: Error;
} = {}) {
  const calls = {
    handled: [] as Message[][],
    deleted: [] as Message[],
    deleteFailed: [] as Message[][],
  };
  const batches: BatchHandler = {
    handleBatch: (messages) => {
      calls.handled.push(messages);
      return failWith ? Promise.reject(failWith) : Promise.resolve(acknowledge(messages));
    },
    deleted: (message) => {
      calls.deleted.push(message);
    },
    deleteFailed: (messages) => {
      calls.deleteFailed.push([...messages]);
      return unacknowledged(messages);
    },
  };
  return { batches, calls };
}

type LoopsOverrides = Partial<Omit<ReceiveLoopsOptions, 'sqs' | 'logger' | 'onError'>>;

/**
 * Receive loops on `sqs` with the options every test starts from, overridden by `overrides`;
 * the errors they report and the lines they log are kept for the test to read.
 */
function loopsOver(
  sqs: SQSClient,
  overrides: LoopsOverrides & { batches: BatchHandler },
  { logger, lines } = capturingLogger(),
) {
  const errors: Error[] = [];
  const loops = createReceiveLoops({
    sqs,
    queueUrl: QUEUE_URL,
    loopCount: 1,
    batchSize: 10,
    waitSeconds: 20,
    visibilitySeconds: 45,
    stopTimeoutMs: 5_000,
    beforeReceive: () => Promise.resolve(),
    logger,
    onError: (error) => errors.push(error),
    ...overrides,
  });
  return { loops, lines, errors };
}

/** A queue whose first receive returns `batch` and whose later receives never return. */
function queueDeliveringOnce(batch: Message[]) {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  sqsMock
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: batch })
    .callsFake(() => new Promise(() => undefined));
  return { sqs, sqsMock };
}

function receiveLoops(script: Receive[], options: LoopsOverrides = {}) {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  const hanging: Array<() => void> = [];
  /** Fake-clock time of each receive. */
  const receivedAt: number[] = [];
  let call = 0;
  sqsMock.on(ReceiveMessageCommand).callsFake((): Promise<Partial<ReceiveMessageCommandOutput>> => {
    receivedAt.push(Date.now());
    const step = script[Math.min(call, script.length - 1)];
    call += 1;
    if (step === undefined || 'empty' in step) return Promise.resolve({ Messages: [] });
    if ('messages' in step) return Promise.resolve({ Messages: step.messages });
    if ('error' in step) {
      const error = new Error(step.error);
      error.name = 'QueueTrouble';
      return Promise.reject(error);
    }
    const pending = deferred<Partial<ReceiveMessageCommandOutput>>();
    hanging.push(() => pending.resolve({ Messages: [] }));
    return pending.promise;
  });
  sqsMock
    .on(DeleteMessageBatchCommand)
    .callsFake((input: { Entries: Array<{ Id: string }> }) =>
      Promise.resolve({ Successful: input.Entries.map(({ Id }) => ({ Id })), Failed: [] }),
    );
  const { batches, calls } = recordingBatches();
  const { loops, lines, errors } = loopsOver(sqs, { batches, ...options });
  return {
    loops,
    sqsMock,
    lines,
    errors,
    calls,
    receives: () => sqsMock.commandCalls(ReceiveMessageCommand).length,
    /**
     * Time between one receive and the next, to 10 ms: sqs-consumer schedules each poll with a
     * 0 ms timeout, which the fake clock counts as 1 ms when it is set during a tick.
     */
    gaps: () =>
      receivedAt
        .slice(1)
        .map((at, index) => Math.round((at - (receivedAt[index] ?? at)) / 10) * 10),
    release: (index: number) => hanging[index]?.(),
    hangingCount: () => hanging.length,
  };
}

/** Stops the loops, moving the fake clock through sqs-consumer's wait for its last poll. */
async function stopLoops(loops: { stop(): Promise<void> }): Promise<void> {
  let stopped = false;
  const stopping = loops.stop().then(() => {
    stopped = true;
  });
  await runUntil(() => stopped);
  await stopping;
}

describe('receive loops', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('when started, then each loop long-polls the queue with the configured batch, wait, visibility and attributes', async () => {
    const { loops, sqsMock, receives } = receiveLoops([{ hang: true }], {
      loopCount: 3,
      batchSize: 7,
      waitSeconds: 12,
      visibilitySeconds: 45,
    });

    loops.start();
    await settle();

    expect(receives()).toBe(3);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 7,
      WaitTimeSeconds: 12,
      VisibilityTimeout: 45,
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      MessageAttributeNames: ['All'],
    });
  });

  it('when not started, then nothing is received and stop resolves at once', async () => {
    const { loops, receives } = receiveLoops([{ hang: true }], { loopCount: 2 });

    await loops.stop();

    expect(receives()).toBe(0);
    expect(loops.isPolling).toBe(false);
  });

  it('when a batch arrives, then the batch handler gets it, and what it acknowledges is deleted and reported', async () => {
    const batch = [1, 2, 3].map(messageNumbered);
    const { sqs, sqsMock } = queueDeliveringOnce(batch);
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: 'm-1' }, { Id: 'm-3' }],
      Failed: [],
    });
    const { batches, calls } = recordingBatches({
      acknowledge: (messages) => [messages[0], messages[2]].filter((m) => m !== undefined),
    });
    const { loops, lines } = loopsOver(sqs, { batches, stopTimeoutMs: 0 });

    loops.start();
    await settle();

    expect(calls.handled).toEqual([batch]);
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: 'm-1', ReceiptHandle: 'rh-1' },
        { Id: 'm-3', ReceiptHandle: 'rh-3' },
      ],
    });
    expect(calls.deleted).toEqual([batch[0], batch[2]]);
    expect(calls.deleteFailed).toEqual([]);
    expect(lines()).toEqual([]);
    await loops.stop();
  });

  it('when receives fail, then each loop pauses 0.5 s, doubling per failure up to 30 s, before it receives again', async () => {
    const { loops, receives, gaps, errors, lines } = receiveLoops([{ error: 'queue gone' }]);

    loops.start();
    await runUntil(() => receives() === 9);

    expect(gaps()).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(errors).toHaveLength(9);
    expect(errors[0]?.message).toContain('queue gone');
    expect(lines()).toHaveLength(9);
    expect(lines()[0]).toEqual(
      expect.objectContaining({
        level: 50,
        msg: 'queue error',
        err: expect.objectContaining({ message: expect.stringContaining('queue gone') }),
      }),
    );
    expect(lines()[0]).not.toHaveProperty('messageIds');
    await stopLoops(loops);
  });

  it('when an empty receive follows failures, then the next receive does not wait and a new failure pauses 0.5 s again', async () => {
    const { loops, receives, gaps } = receiveLoops([
      { error: 'queue gone' },
      { error: 'queue gone' },
      { empty: true },
      { error: 'queue gone' },
      { hang: true },
    ]);

    loops.start();
    await runUntil(() => receives() === 5);

    expect(gaps()).toEqual([500, 1_000, 0, 500]);
    await stopLoops(loops);
  });

  it('when a batch follows failures, then the next receive does not wait', async () => {
    const { loops, receives, gaps, calls } = receiveLoops([
      { error: 'queue gone' },
      { error: 'queue gone' },
      { messages: [messageNumbered(1)] },
      { hang: true },
    ]);

    loops.start();
    await runUntil(() => receives() === 4);

    expect(calls.handled).toHaveLength(1);
    expect(gaps()).toEqual([500, 1_000, 0]);
    await stopLoops(loops);
  });

  it('when a stop comes during the pause, then the pause ends at once and the receive is skipped silently', async () => {
    const { loops, receives, errors, lines } = receiveLoops([{ error: 'queue gone' }], {
      loopCount: 2,
      stopTimeoutMs: 0,
    });
    loops.start();
    await advance(1);
    expect(receives()).toBe(2);
    expect(loops.isPolling).toBe(true);

    await loops.stop();
    await settle();

    // No timer moved: the pauses ended with the stop, not with their timeouts.
    expect(loops.isPolling).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
    await runUntil(() => jest.getTimerCount() === 0);
    expect(receives()).toBe(2);
    expect(errors).toHaveLength(2);
    expect(lines()).toHaveLength(2);
  });

  it('when a stop comes while a loop waits in beforeReceive, then that receive is skipped silently', async () => {
    const apiBack = deferred<void>();
    let waits = 0;
    const { loops, receives, errors, lines } = receiveLoops([{ hang: true }], {
      beforeReceive: () => {
        waits += 1;
        return apiBack.promise;
      },
    });
    loops.start();
    await settle();
    expect(waits).toBe(1);
    expect(loops.isPolling).toBe(true);

    const stopping = stopLoops(loops);
    apiBack.resolve();
    await stopping;

    expect(receives()).toBe(0);
    expect(errors).toEqual([]);
    expect(lines()).toEqual([]);
    expect(loops.isPolling).toBe(false);
  });

  it('while any loop is in a receive, then isPolling is true and stop waits; once all are done, false', async () => {
    const { loops, release, hangingCount } = receiveLoops([{ hang: true }], { loopCount: 2 });
    expect(loops.isPolling).toBe(false);
    loops.start();
    await settle();
    expect(hangingCount()).toBe(2);
    expect(loops.isPolling).toBe(true);

    let stopDone = false;
    const stopped = loops.stop().then(() => {
      stopDone = true;
    });
    release(0);
    await advance(1_000);
    const oneStillPolling = loops.isPolling;
    const stopDoneWithOneStillPolling = stopDone;
    release(1);
    await runUntil(() => stopDone);
    await stopped;

    expect(oneStillPolling).toBe(true);
    expect(stopDoneWithOneStillPolling).toBe(false);
    expect(loops.isPolling).toBe(false);
  });

  it('when the batch handler fails, then the error is logged as a queue error and reported, and receiving goes on', async () => {
    const batch = [messageNumbered(1)];
    const { sqs, sqsMock } = queueDeliveringOnce(batch);
    const failure = new Error('handler bug');
    const { batches, calls } = recordingBatches({ failWith: failure, unacknowledged: () => [] });
    const { loops, lines, errors } = loopsOver(sqs, { batches, stopTimeoutMs: 0 });

    loops.start();
    await settle();

    expect(calls.deleteFailed).toEqual([batch]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('handler bug');
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'queue error',
        err: expect.objectContaining({ message: expect.stringContaining('handler bug') }),
      }),
    ]);
    expect(lines()[0]).not.toHaveProperty('messageIds');
    await advance(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(2);
    await loops.stop();
  });

  it('when the delete of acknowledged messages fails, then they are named in the log and receiving goes on without a pause', async () => {
    const batch = [1, 2, 3].map(messageNumbered);
    const { sqs, sqsMock } = queueDeliveringOnce(batch);
    sqsMock.on(DeleteMessageBatchCommand).rejects(new Error('delete refused'));
    const { batches, calls } = recordingBatches({
      unacknowledged: (messages) => messages.filter((m) => m.MessageId !== 'm-2'),
    });
    const { loops, lines, errors } = loopsOver(sqs, { batches, stopTimeoutMs: 0 });

    loops.start();
    await settle();

    expect(calls.deleteFailed).toEqual([batch]);
    expect(calls.deleted).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'delete failed; the messages will be received and delivered again (the API is idempotent)',
        messageIds: ['m-1', 'm-3'],
        err: expect.objectContaining({ message: expect.stringContaining('delete refused') }),
      }),
    ]);
    await advance(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(2);
    await loops.stop();
  });

  it('when only part of a batch delete fails, then only the failed messages count as such; the deleted ones settle', async () => {
    const batch = [1, 2, 3].map(messageNumbered);
    const { sqs, sqsMock } = queueDeliveringOnce(batch);
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: 'm-1' }, { Id: 'm-3' }],
      Failed: [{ Id: 'm-2', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    });
    const capture = capturingLogger();
    const ledger = createWorkerLedger(capture.logger);
    const batches = createBatchHandler({
      handleMessage: (message) =>
        Promise.resolve({
          kind: 'ack',
          message,
          report: {
            messageId: message.MessageId,
            sub: undefined,
            receiveCount: 1,
            outcome: 'delivered',
          },
        }),
      limit: createConcurrencyLimit(10),
      applyVisibility: () => Promise.resolve([]),
      ledger,
    });
    const { loops, lines, errors } = loopsOver(sqs, { batches, stopTimeoutMs: 0 }, capture);

    loops.start();
    await advance(1);

    expect(ledger.stats()).toEqual(
      expect.objectContaining({ received: 3, delivered: 2, deleteFailed: 1, inFlight: 0 }),
    );
    expect(errors).toHaveLength(1);
    expect(lines().filter((line) => line.level === 50)).toEqual([
      expect.objectContaining({
        msg: 'delete failed; the messages will be received and delivered again (the API is idempotent)',
        messageIds: ['m-2'],
      }),
    ]);
    await loops.stop();
  });
});
