import path from 'node:path';
import { exitOf, spawnEntry, stopChild } from '../../../scripts/local/child-process';
import {
  queueDepth,
  sendBodies,
  startLocalSqs,
  waitFor,
  type LocalSqs,
} from '../../helpers/local-sqs';
import { newHeaderSecret, newRegistration } from '../../helpers/registrations';
import { created, startStubApi, type StubApi } from '../../helpers/stub-api';
import type { Worker, WorkerStats } from '../../../consumer/create-worker';
import { startTestWorker, uniqueQueueName } from './worker-harness';

describe('consumer shutdown', () => {
  let localSqs: LocalSqs;
  let api: StubApi;

  beforeAll(async () => {
    localSqs = await startLocalSqs();
  });

  beforeEach(async () => {
    api = await startStubApi();
  });

  afterEach(async () => {
    await api.close();
  });

  afterAll(async () => {
    await localSqs.stop();
  });

  it('when a stop comes with deliveries in flight, then they finish and are deleted, the rest stay queued, and nothing is delivered twice', async () => {
    const queues = await localSqs.createQueuePair(uniqueQueueName('stop'));
    const registrations = Array.from({ length: 8 }, () => newRegistration());
    const held: Array<() => void> = [];
    api.setBehaviour(
      (request) => new Promise((resolve) => held.push(() => resolve(created(request)))),
    );
    await sendBodies(
      localSqs.sqs,
      queues.queueUrl,
      registrations.map((r) => JSON.stringify(r)),
    );
    const first = startTestWorker(localSqs, queues, api, {
      receiveBatchSize: 4,
      deliveryConcurrency: 4,
    });
    await waitFor(() => api.inFlight === 4, 'four deliveries held by the API');

    const stopping = first.worker.stop();
    held.splice(0).forEach((release) => release());
    const final = await stopping;

    // Resolved only after the in-flight four were delivered and deleted.
    expect(final).toMatchObject({
      received: 4,
      delivered: 4,
      retried: 0,
      released: 0,
      inFlight: 0,
    });
    expect(await queueDepth(localSqs.sqs, queues.queueUrl)).toEqual({
      visible: 4,
      inFlight: 0,
      total: 4,
    });

    api.setBehaviour(created);
    const second = startTestWorker(localSqs, queues, api);
    await waitFor(() => second.worker.stats().delivered === 4, 'the rest delivered');
    await second.worker.stop();

    const subs = api.requests.map((request) => request.body['sub']);
    expect(subs).toHaveLength(8);
    expect(new Set(subs)).toEqual(new Set(registrations.map((r) => r.sub)));
    expect(await queueDepth(localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
  });

  it('when messages arrive during the last long poll after a stop, then they are handed back at once, not delivered or hidden', async () => {
    const queues = await localSqs.createQueuePair(uniqueQueueName('late'));
    const bodies = [JSON.stringify(newRegistration()), JSON.stringify(newRegistration())];
    const stop: { requested?: Promise<WorkerStats> } = {};
    let worker: Worker | undefined;
    // The worker's first receive is held until a stop has begun and both messages are on the
    // queue, so that receive is, deterministically, the last long poll after a stop.
    const middlewareName = `stopDuringPoll-${queues.queueUrl}`;
    localSqs.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { QueueUrl?: string };
        if (
          context.commandName === 'ReceiveMessageCommand' &&
          input.QueueUrl === queues.queueUrl &&
          stop.requested === undefined &&
          worker !== undefined
        ) {
          stop.requested = worker.stop();
          await sendBodies(localSqs.sqs, queues.queueUrl, bodies);
        }
        return next(args);
      },
      { step: 'initialize', name: middlewareName },
    );
    try {
      worker = startTestWorker(localSqs, queues, api, { receiveWaitSeconds: 3 }).worker;
      await waitFor(() => stop.requested !== undefined, 'the stop during the first receive');
      const final = await stop.requested;

      expect(final).toMatchObject({ received: 2, released: 2, delivered: 0 });
      expect(api.requests).toHaveLength(0);
      expect(await queueDepth(localSqs.sqs, queues.queueUrl)).toEqual({
        visible: 2,
        inFlight: 0,
        total: 2,
      });
    } finally {
      localSqs.sqs.middlewareStack.remove(middlewareName);
    }
  });

  it('when `npm run consumer` gets SIGTERM, then it stops polling, logs its counters and exits 0', async () => {
    const queues = await localSqs.createQueuePair(uniqueQueueName('sigterm'));
    const headerSecret = newHeaderSecret();
    await sendBodies(localSqs.sqs, queues.queueUrl, [
      JSON.stringify(newRegistration()),
      JSON.stringify(newRegistration()),
    ]);
    let output = '';
    const child = spawnEntry(path.join('consumer', 'main.ts'), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'],
        QUEUE_URL: queues.queueUrl,
        DLQ_URL: queues.dlqUrl,
        API_URL: api.url,
        AUTH_HEADER_SECRET: headerSecret,
        RECEIVE_WAIT_SECONDS: '1',
        AWS_ENDPOINT_URL_SQS: localSqs.endpoint,
        AWS_REGION: localSqs.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      await waitFor(
        () => output.split('"msg":"message delivered"').length === 3,
        'two deliveries',
        {
          timeoutMs: 20_000,
        },
      );

      const exit = await stopChild(child, { signal: 'SIGTERM', timeoutMs: 10_000 });

      expect(exit).toBe(0);
      const stoppedLine = output
        .split('\n')
        .find((line) => line.includes('"msg":"consumer stopped"'));
      expect(JSON.parse(stoppedLine ?? '{}')).toMatchObject({ received: 2, delivered: 2 });
      expect(output).not.toContain(headerSecret);
    } finally {
      child.kill('SIGKILL');
      await exitOf(child);
    }
  });

  it('when the configuration is invalid, then `npm run consumer` exits 1 naming the variable', async () => {
    let output = '';
    const child = spawnEntry(path.join('consumer', 'main.ts'), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], QUEUE_URL: 'nope' },
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

    expect(await exitOf(child)).toBe(1);
    expect(output).toContain('QUEUE_URL:');
    expect(output).toContain('DLQ_URL:');
  });
});
