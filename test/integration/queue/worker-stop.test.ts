import path from 'node:path';
import { exitOf, spawnEntry, stopChild } from '../../../scripts/local/child-process';
import { queueDepth, sendBodies } from '../../helpers/local-sqs';
import { waitFor } from '../../../scripts/local/wait-for';
import { newHeaderSecret, newRegistration } from '../../../fixtures/registrations';
import { created } from '../../helpers/stub-api';
import { useQueueTestRig } from '../../helpers/queue-test-rig';
import type { Worker, WorkerStats } from '../../../consumer/create-worker';
import { uniqueQueueName } from '../../helpers/worker-harness';

describe('consumer shutdown', () => {
  const rig = useQueueTestRig();

  it('when a stop comes with deliveries in flight, then they finish and are deleted, the rest stay queued, and nothing is delivered twice', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('stop'));
    const registrations = Array.from({ length: 8 }, () => newRegistration());
    const held: Array<() => void> = [];
    rig.api.setBehaviour(
      (request) => new Promise((resolve) => held.push(() => resolve(created(request)))),
    );
    await sendBodies(
      rig.localSqs.sqs,
      queues.queueUrl,
      registrations.map((r) => JSON.stringify(r)),
    );
    const first = rig.startWorker(queues, {
      receiveBatchSize: 4,
      deliveryConcurrency: 4,
    });
    await waitFor(() => rig.api.inFlight === 4, { what: 'four deliveries held by the API' });

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
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toEqual({
      visible: 4,
      inFlight: 0,
      total: 4,
    });

    rig.api.setBehaviour(created);
    const second = rig.startWorker(queues);
    await waitFor(() => second.worker.stats().delivered === 4, { what: 'the rest delivered' });
    await second.worker.stop();

    const subs = rig.api.requests.map((request) => request.body['sub']);
    expect(subs).toHaveLength(8);
    expect(new Set(subs)).toEqual(new Set(registrations.map((r) => r.sub)));
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
  });

  it('when messages arrive during the last long poll after a stop, then they are handed back at once, not delivered or hidden', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('late'));
    const bodies = [JSON.stringify(newRegistration()), JSON.stringify(newRegistration())];
    const stop: { requested?: Promise<WorkerStats> } = {};
    let worker: Worker | undefined;
    // The worker's first receive is held until a stop has begun and both messages are on the
    // queue, so that receive is, deterministically, the last long poll after a stop.
    const middlewareName = `stopDuringPoll-${queues.queueUrl}`;
    rig.localSqs.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { QueueUrl?: string };
        if (
          context.commandName === 'ReceiveMessageCommand' &&
          input.QueueUrl === queues.queueUrl &&
          stop.requested === undefined &&
          worker !== undefined
        ) {
          stop.requested = worker.stop();
          await sendBodies(rig.localSqs.sqs, queues.queueUrl, bodies);
        }
        return next(args);
      },
      { step: 'initialize', name: middlewareName },
    );
    try {
      worker = rig.startWorker(queues, { receiveWaitSeconds: 3 }).worker;
      await waitFor(() => stop.requested !== undefined, {
        what: 'the stop during the first receive',
      });
      const final = await stop.requested;

      expect(final).toMatchObject({ received: 2, released: 2, delivered: 0 });
      expect(rig.api.requests).toHaveLength(0);
      expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toEqual({
        visible: 2,
        inFlight: 0,
        total: 2,
      });
    } finally {
      rig.localSqs.sqs.middlewareStack.remove(middlewareName);
    }
  });

  it('when `npm run consumer` gets SIGTERM, then it stops polling, logs its counters and exits 0', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('sigterm'));
    const headerSecret = newHeaderSecret();
    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [
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
        API_URL: rig.api.url,
        AUTH_HEADER_SECRET: headerSecret,
        RECEIVE_WAIT_SECONDS: '1',
        AWS_ENDPOINT_URL_SQS: rig.localSqs.endpoint,
        AWS_REGION: rig.localSqs.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      await waitFor(() => output.split('"msg":"message delivered"').length === 3, {
        what: 'two deliveries',
        timeoutMs: 20_000,
      });

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
