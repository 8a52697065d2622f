import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
  type ReceiveMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { ReadinessProbe } from '#contract/readiness-probe';
import type { DeliveryResult, RegistrationClient } from '#contract/registration-client';
import type { StoredUser } from '#contract/user';
import { backoffSeconds } from '../../../consumer/backoff';
import {
  createWorker,
  receivePlan,
  type MessageReport,
  type WorkerConfig,
  type WorkerStats,
} from '../../../consumer/create-worker';
import { deadLetterAttributeNames } from '../../../consumer/dead-letter';
import { OUTAGE_VISIBILITY_SECONDS } from '../../../consumer/outage-pause';
import { newRegistration } from '../../../fixtures/registrations';
import { advance, runUntil, settle } from './support/fake-time';
import { capturingLogger } from './support/log-lines';
import { manualClock } from './support/manual-clock';
import { zeroStats } from './support/zero-stats';

const QUEUE_URL = 'https://sqs.local/000000000000/registrations';
const DLQ_URL = 'https://sqs.local/000000000000/registrations-dlq';

const baseConfig: WorkerConfig = {
  registrationQueueUrl: QUEUE_URL,
  deadLetterQueueUrl: DLQ_URL,
  apiTimeoutMs: 2_000,
  deliveryConcurrency: 4,
  receiveBatchSize: 2,
  receiveWaitSeconds: 2,
  backoff: { baseSeconds: 5, maxSeconds: 900 },
  stopTimeoutMs: 10_000,
  apiProbeIntervalMs: 1_000,
};

const delivered: DeliveryResult = {
  outcome: 'delivered',
  status: 201,
  created: true,
  change: 'created',
  user: {} as StoredUser,
};

const throttled: DeliveryResult = {
  outcome: 'retryable',
  reason: 'throttled',
  status: 429,
  detail: 'slow down',
};

/** A delivery that always ends in `result`. */
const answering =
  (result: DeliveryResult): RegistrationClient['deliver'] =>
  () =>
    Promise.resolve(result);

let sequence = 0;
const registrationMessage = (): Message => {
  sequence += 1;
  const registration = newRegistration();
  return {
    MessageId: `m-${sequence}`,
    ReceiptHandle: `rh-${sequence}`,
    Body: JSON.stringify(registration),
    Attributes: { ApproximateReceiveCount: '1' },
  };
};

interface Setup {
  config?: Partial<WorkerConfig>;
  /** Batches handed to the first receives, one each; later receives are empty long polls. */
  batches?: Message[][];
  deliver?: RegistrationClient['deliver'];
  probe?: ReadinessProbe;
}

function workerFor({
  config = {},
  batches = [],
  deliver = () => Promise.resolve(delivered),
  probe = () => Promise.resolve({ ready: true, status: 200, detail: 'ready' }),
}: Setup = {}) {
  const workerConfig = { ...baseConfig, ...config };
  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  const pending = [...batches];
  sqsMock.on(ReceiveMessageCommand).callsFake((): Promise<Partial<ReceiveMessageCommandOutput>> => {
    const batch = pending.shift();
    if (batch) return Promise.resolve({ Messages: batch });
    // An empty long poll: it answers after the wait time.
    return new Promise((resolve) => {
      setTimeout(() => resolve({ Messages: [] }), workerConfig.receiveWaitSeconds * 1000);
    });
  });
  sqsMock
    .on(DeleteMessageBatchCommand)
    .callsFake((input: { Entries: Array<{ Id: string }> }) =>
      Promise.resolve({ Successful: input.Entries.map(({ Id }) => ({ Id })), Failed: [] }),
    );
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-copy' });
  const { logger, lines } = capturingLogger();
  const deliveries: Array<{ sub: string; timeoutMs: number; requestId: string | undefined }> = [];
  const metricCalls: string[] = [];
  const worker = createWorker({
    sqs,
    client: {
      deliver: (registration, options) => {
        deliveries.push({
          sub: registration.sub,
          timeoutMs: options.timeoutMs,
          requestId: options.requestId,
        });
        return deliver(registration, options);
      },
    },
    config: workerConfig,
    logger,
    probe,
    metrics: {
      paused: () => metricCalls.push('paused'),
      resumed: () => metricCalls.push('resumed'),
      serverDefect: () => metricCalls.push('serverDefect'),
    },
    clock: manualClock(),
    random: () => 0.5,
  });
  const settled: MessageReport[] = [];
  for (const outcome of ['delivered', 'retried', 'dead_lettered', 'released'] as const) {
    worker.on(outcome, (report) => settled.push(report));
  }
  return {
    worker,
    sqsMock,
    lines,
    deliveries,
    metricCalls,
    settled,
    receives: () => sqsMock.commandCalls(ReceiveMessageCommand).length,
    messages: (msg: string) => lines().filter((line) => line.msg === msg),
  };
}

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Stops the worker, moving the fake clock as far as the stop needs. */
async function stopWorker(worker: { stop(): Promise<WorkerStats> }): Promise<WorkerStats> {
  let final: WorkerStats | undefined;
  const stopping = worker.stop().then((stats) => {
    final = stats;
  });
  await runUntil(() => final !== undefined);
  await stopping;
  if (!final) throw new Error('stop did not resolve');
  return final;
}

describe('receivePlan', () => {
  /** The plan for batches of 10 at the given concurrency and delivery time. */
  const planFor = (deliveryConcurrency: number, apiTimeoutMs = 10_000) =>
    receivePlan({ ...baseConfig, deliveryConcurrency, receiveBatchSize: 10, apiTimeoutMs });

  it('when the concurrency is a multiple of the batch size, then one loop per batch, each delivered in one round', () => {
    expect(planFor(10)).toEqual({ loopCount: 1, receiveVisibilitySeconds: 35 });
    expect(planFor(20)).toEqual({ loopCount: 2, receiveVisibilitySeconds: 35 });
  });

  it('when the concurrency is one above a multiple of the batch size, then one more loop, and two rounds of deliveries', () => {
    expect(planFor(11)).toEqual({ loopCount: 2, receiveVisibilitySeconds: 45 });
    expect(planFor(21)).toEqual({ loopCount: 3, receiveVisibilitySeconds: 45 });
  });

  it('when the concurrency is below the batch size, then one loop whose batch takes several rounds', () => {
    expect(planFor(3)).toEqual({ loopCount: 1, receiveVisibilitySeconds: 65 });
  });

  it('when the delivery time is short, then the visibility stays at the 30 s minimum until the time crosses it', () => {
    const visibility = (apiTimeoutMs: number) => planFor(10, apiTimeoutMs).receiveVisibilitySeconds;

    expect(visibility(1_000)).toBe(30);
    expect(visibility(5_000)).toBe(30);
    expect(visibility(5_001)).toBe(31);
    expect(visibility(6_000)).toBe(31);
  });

  it('when the delivery time is a fraction of a second, then it is rounded up to whole seconds', () => {
    expect(planFor(2, 1_100).receiveVisibilitySeconds).toBe(Math.ceil(5 * 1.1) + 25);
  });
});

describe('createWorker', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('when started, then it logs its plan and each receive loop long-polls with it', async () => {
    const { worker, sqsMock, lines, receives } = workerFor({
      config: { deliveryConcurrency: 5, receiveBatchSize: 2, apiTimeoutMs: 4_000 },
    });
    const { loopCount, receiveVisibilitySeconds } = receivePlan({
      ...baseConfig,
      deliveryConcurrency: 5,
      receiveBatchSize: 2,
      apiTimeoutMs: 4_000,
    });

    expect(worker.isRunning).toBe(false);
    worker.start();
    await settle();

    expect(worker.isRunning).toBe(true);
    expect(receives()).toBe(loopCount);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toEqual(
      expect.objectContaining({
        QueueUrl: QUEUE_URL,
        MaxNumberOfMessages: 2,
        WaitTimeSeconds: baseConfig.receiveWaitSeconds,
        VisibilityTimeout: receiveVisibilitySeconds,
      }),
    );
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'consumer started',
        queueUrl: QUEUE_URL,
        receiveLoops: 3,
        deliveryConcurrency: 5,
        receiveBatchSize: 2,
        receiveVisibilitySeconds,
      }),
    ]);
    await stopWorker(worker);
  });

  it('when started twice, then it starts once', async () => {
    const { worker, receives, messages } = workerFor();

    worker.start();
    worker.start();
    await settle();

    expect(receives()).toBe(2);
    expect(messages('consumer started')).toHaveLength(1);
    await stopWorker(worker);
  });

  it('when a batch is delivered, then its messages are deleted and reported as delivered', async () => {
    const batch = [registrationMessage(), registrationMessage()];
    const { worker, sqsMock, settled, deliveries } = workerFor({ batches: [batch] });

    worker.start();
    await runUntil(() => settled.length === 2);

    expect(deliveries).toEqual(
      batch.map((message) => ({
        sub: (JSON.parse(message.Body ?? '') as { sub: string }).sub,
        timeoutMs: baseConfig.apiTimeoutMs,
        requestId: message.MessageId,
      })),
    );
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: batch.map((message) => ({
        Id: message.MessageId,
        ReceiptHandle: message.ReceiptHandle,
      })),
    });
    expect(settled.map((report) => [report.messageId, report.outcome, report.status])).toEqual([
      [batch[0]?.MessageId, 'delivered', 201],
      [batch[1]?.MessageId, 'delivered', 201],
    ]);
    expect(worker.stats()).toEqual({ ...zeroStats, received: 2, delivered: 2 });
    await stopWorker(worker);
  });

  it('when a delivery is throttled, then the message is kept invisible for its backoff', async () => {
    const message = registrationMessage();
    const { worker, sqsMock, settled } = workerFor({
      batches: [[message]],
      deliver: answering(throttled),
    });

    worker.start();
    await runUntil(() => settled.length === 1);

    const seconds = backoffSeconds(1, { ...baseConfig.backoff, random: () => 0.5 });
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: [{ Id: 'm0', ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: seconds }],
    });
    expect(settled).toEqual([
      expect.objectContaining({
        messageId: message.MessageId,
        outcome: 'retried',
        reason: 'throttled',
        visibilityTimeoutSeconds: seconds,
      }),
    ]);
    expect(sqsMock).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 0);
    await stopWorker(worker);
  });

  it('when the visibility change fails, then the retry reports the receive visibility and an error event fires', async () => {
    const message = registrationMessage();
    const { worker, sqsMock, settled } = workerFor({
      batches: [[message]],
      deliver: answering(throttled),
    });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('visibility refused'));
    const errors: Error[] = [];
    worker.on('error', (error) => errors.push(error));

    worker.start();
    await runUntil(() => settled.length === 1);

    expect(settled[0]?.visibilityTimeoutSeconds).toBe(
      receivePlan(baseConfig).receiveVisibilitySeconds,
    );
    expect(errors.map((error) => error.message)).toEqual(['visibility refused']);
    await stopWorker(worker);
  });

  it('when a registration is refused for good, then a copy goes to the configured DLQ and the original is deleted', async () => {
    const message = registrationMessage();
    const { worker, sqsMock, settled } = workerFor({
      batches: [[message]],
      deliver: answering({
        outcome: 'permanent',
        reason: 'invalid_request',
        status: 400,
        detail: 'bad',
      }),
    });

    worker.start();
    await runUntil(() => settled.length === 1);

    expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: DLQ_URL,
      MessageBody: message.Body,
      MessageAttributes: expect.objectContaining({
        [deadLetterAttributeNames.reason]: { DataType: 'String', StringValue: 'invalid_request' },
      }) as unknown,
    });
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
      Entries: [{ Id: message.MessageId, ReceiptHandle: message.ReceiptHandle }],
    });
    expect(settled).toEqual([
      expect.objectContaining({
        messageId: message.MessageId,
        outcome: 'dead_lettered',
        status: 400,
      }),
    ]);
    await stopWorker(worker);
  });

  it('when the API answers with a defect, then the defect metric is counted', async () => {
    const { worker, settled, metricCalls } = workerFor({
      batches: [[registrationMessage()]],
      deliver: answering({
        outcome: 'retryable',
        reason: 'server_error',
        status: 500,
        detail: 'boom',
      }),
    });

    worker.start();
    await runUntil(() => settled.length === 1);

    expect(metricCalls).toEqual(['serverDefect']);
    await stopWorker(worker);
  });

  it('when deliveries pile up, then no more than deliveryConcurrency run at once across loops', async () => {
    let running = 0;
    let most = 0;
    const { worker, settled } = workerFor({
      config: { deliveryConcurrency: 3, receiveBatchSize: 2 },
      batches: [
        [registrationMessage(), registrationMessage()],
        [registrationMessage(), registrationMessage()],
      ],
      deliver: async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 100));
        running -= 1;
        return delivered;
      },
    });

    worker.start();
    await runUntil(() => settled.length === 4);

    expect(most).toBe(3);
    await stopWorker(worker);
  });

  it('when the API is down, then the worker pauses, and a stop ends the pause without another receive', async () => {
    const { worker, settled, metricCalls, receives, sqsMock, messages } = workerFor({
      config: { receiveBatchSize: 10, deliveryConcurrency: 10 },
      batches: [[registrationMessage()]],
      deliver: answering({
        outcome: 'retryable',
        reason: 'unavailable',
        status: 503,
        detail: 'down',
      }),
      probe: () => Promise.resolve({ ready: false, status: 503, detail: 'down' }),
    });

    worker.start();
    await runUntil(() => settled.length === 1);
    expect(settled[0]).toEqual(expect.objectContaining({ outcome: 'retried', apiDown: true }));
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      Entries: [expect.objectContaining({ VisibilityTimeout: OUTAGE_VISIBILITY_SECONDS })],
    });
    expect(metricCalls).toEqual(['paused']);
    await advance(10_000);
    const receivesWhilePaused = receives();

    const final = await stopWorker(worker);

    expect(receivesWhilePaused).toBe(1);
    expect(receives()).toBe(1);
    expect(final).toEqual({ ...zeroStats, received: 1, retried: 1 });
    expect(
      messages('stop timeout reached with work in flight; those messages will be received again'),
    ).toEqual([]);
  });

  it('when stopped twice, then both calls get the same stop, which reports the final counts once', async () => {
    const { worker, messages } = workerFor({ batches: [[registrationMessage()]] });
    const stoppedEvents: WorkerStats[] = [];
    worker.on('stopped', (stats) => stoppedEvents.push(stats));
    worker.start();
    await runUntil(() => worker.stats().delivered === 1);

    const first = worker.stop();
    const second = worker.stop();
    expect(second).toBe(first);
    const final = await stopWorker(worker);

    expect(final).toEqual({ ...zeroStats, received: 1, delivered: 1 });
    expect(stoppedEvents).toEqual([final]);
    expect(worker.isRunning).toBe(false);
    expect(messages('consumer stopping: no new receives, finishing in-flight work')).toEqual([
      expect.objectContaining({ level: 30, inFlight: 0 }),
    ]);
    expect(messages('consumer stopped')).toEqual([
      expect.objectContaining({ level: 30, ...final }),
    ]);
    expect(
      messages('stop timeout reached with work in flight; those messages will be received again'),
    ).toEqual([]);
  });

  it('when started after a stop, then it stays stopped', async () => {
    const { worker, receives, messages } = workerFor();
    worker.start();
    await settle();
    await stopWorker(worker);
    const receivesAtStop = receives();

    worker.start();
    await advance(10_000);

    expect(worker.isRunning).toBe(false);
    expect(receives()).toBe(receivesAtStop);
    expect(messages('consumer started')).toHaveLength(1);
  });

  it('when stopped before it was started, then it resolves at once with zero counts', async () => {
    const { worker, receives } = workerFor();

    const final = await worker.stop();

    expect(final).toEqual(zeroStats);
    expect(receives()).toBe(0);
  });

  it('when a delivery is in flight at the stop, then the stop waits for it and the message is deleted', async () => {
    const apiAnswer = deferred<DeliveryResult>();
    const message = registrationMessage();
    const { worker, sqsMock, deliveries, messages } = workerFor({
      batches: [[message]],
      deliver: () => apiAnswer.promise,
    });
    worker.start();
    await runUntil(() => deliveries.length === 1);

    let final: WorkerStats | undefined;
    const stopping = worker.stop().then((stats) => {
      final = stats;
    });
    await advance(3_000);
    const stoppedBeforeAnswer = final !== undefined;
    const inFlightBeforeAnswer = worker.stats().inFlight;
    apiAnswer.resolve(delivered);
    await runUntil(() => final !== undefined);
    await stopping;

    expect(stoppedBeforeAnswer).toBe(false);
    expect(inFlightBeforeAnswer).toBe(1);
    expect(messages('consumer stopping: no new receives, finishing in-flight work')).toEqual([
      expect.objectContaining({ inFlight: 1 }),
    ]);
    expect(final).toEqual({ ...zeroStats, received: 1, delivered: 1 });
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
      Entries: [{ Id: message.MessageId, ReceiptHandle: message.ReceiptHandle }],
    });
    expect(
      messages('stop timeout reached with work in flight; those messages will be received again'),
    ).toEqual([]);
  });

  it('when a delivery outlasts stopTimeoutMs, then the stop gives up on it and says so', async () => {
    const { worker, deliveries, messages } = workerFor({
      config: { stopTimeoutMs: 3_000 },
      batches: [[registrationMessage()]],
      deliver: () => new Promise(() => undefined),
    });
    worker.start();
    await runUntil(() => deliveries.length === 1);

    const final = await stopWorker(worker);

    expect(final).toEqual({ ...zeroStats, received: 1, inFlight: 1 });
    expect(
      messages('stop timeout reached with work in flight; those messages will be received again'),
    ).toEqual([expect.objectContaining({ level: 40, ...final })]);
    expect(worker.isRunning).toBe(false);
  });

  it('when a batch arrives after the stop began, then its messages are handed back at once', async () => {
    const message = registrationMessage();
    const { worker, sqsMock, settled, deliveries, receives } = workerFor({ batches: [] });
    const held = deferred<Partial<ReceiveMessageCommandOutput>>();
    sqsMock
      .on(ReceiveMessageCommand)
      .callsFakeOnce(() => held.promise)
      .callsFake(
        () => new Promise((resolve) => setTimeout(() => resolve({ Messages: [] }), 2_000)),
      );
    worker.start();
    await settle();
    expect(receives()).toBe(2);

    const stopping = stopWorker(worker);
    await settle();
    held.resolve({ Messages: [message] });
    const final = await stopping;

    expect(deliveries).toEqual([]);
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      Entries: [{ Id: 'm0', ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }],
    });
    expect(settled).toEqual([expect.objectContaining({ outcome: 'released' })]);
    expect(final).toEqual({ ...zeroStats, received: 1, released: 1 });
  });

  it('when a receive fails, then the worker emits an error event and keeps running', async () => {
    const { worker, sqsMock } = workerFor();
    sqsMock
      .on(ReceiveMessageCommand)
      .rejectsOnce(new Error('queue gone'))
      .callsFake(() => new Promise(() => undefined));
    const errors: Error[] = [];
    worker.on('error', (error) => errors.push(error));

    worker.start();
    await settle();

    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('queue gone')]);
    expect(worker.isRunning).toBe(true);
    await stopWorker(worker);
  });

  it('when listeners are added and removed, then on/once/off return the worker and once fires once', async () => {
    const { worker, sqsMock } = workerFor();
    sqsMock
      .on(ReceiveMessageCommand)
      .rejectsOnce(new Error('first'))
      .rejectsOnce(new Error('second'))
      .callsFake(() => new Promise(() => undefined));
    const seen: string[] = [];
    const removed = () => seen.push('removed');

    expect(worker.on('error', (error) => seen.push(`on ${error.message}`))).toBe(worker);
    expect(worker.once('error', (error) => seen.push(`once ${error.message}`))).toBe(worker);
    expect(worker.on('error', removed)).toBe(worker);
    expect(worker.off('error', removed)).toBe(worker);
    worker.start();
    await runUntil(() => sqsMock.commandCalls(ReceiveMessageCommand).length === 4);

    expect(seen.map((entry) => entry.replace(/ .*(first|second)$/, ' $1'))).toEqual([
      'on first',
      'once first',
      'on second',
    ]);
    await stopWorker(worker);
  });
});
