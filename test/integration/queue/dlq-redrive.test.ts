import path from 'node:path';
import { redriveDeadLetters, type RedriveMethod } from '../../../scripts/redrive-dead-letters';
import { exitOf, spawnEntry } from '../../../scripts/local/child-process';
import { queueDepth, sendBodies } from '../../helpers/local-sqs';
import { waitFor } from '../../../scripts/local/wait-for';
import { newRegistration } from '../../../fixtures/registrations';
import { created } from '../../helpers/stub-api';
import { useQueueTestRig } from '../../helpers/queue-test-rig';
import { uniqueQueueName } from '../../helpers/worker-harness';

describe('dlq:redrive', () => {
  const rig = useQueueTestRig();

  // The local server has no StartMessageMoveTask: `auto` must notice and copy instead. The
  // move task itself is covered against a stubbed SDK in the unit tests.
  it.each<RedriveMethod>(['auto', 'copy'])(
    'when dead-lettered registrations are redriven (%s), then they go back to the queue by copy and are delivered',
    async (method) => {
      const queues = await rig.localSqs.createQueuePair(uniqueQueueName(`redrive-${method}`));
      const registrations = Array.from({ length: 12 }, () => newRegistration());
      rig.api.setBehaviour(() => ({
        status: 400,
        body: { error: { code: 'invalid_request', message: 'x' } },
      }));
      await sendBodies(
        rig.localSqs.sqs,
        queues.queueUrl,
        registrations.map((r) => JSON.stringify(r)),
      );
      const { worker } = rig.startWorker(queues);
      await waitFor(() => worker.stats().deadLettered === 12, { what: 'twelve dead-letters' });
      rig.api.setBehaviour(created);

      const summary = await redriveDeadLetters({
        sqs: rig.localSqs.sqs,
        queueUrl: queues.queueUrl,
        deadLetterQueueUrl: queues.dlqUrl,
        method,
        pollIntervalMs: 100,
      });
      await waitFor(() => worker.stats().delivered === 12, {
        what: 'twelve deliveries after the redrive',
      });
      await worker.stop();

      expect(summary).toMatchObject({ method: 'copy', moved: 12, failed: 0, remaining: 0 });
      const delivered = rig.api.requests
        .filter((request) => request.body['sub'] !== undefined)
        .slice(12);
      expect(new Set(delivered.map((request) => request.body['sub']))).toEqual(
        new Set(registrations.map((r) => r.sub)),
      );
      expect(await queueDepth(rig.localSqs.sqs, queues.dlqUrl)).toMatchObject({ total: 0 });
      expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
    },
  );

  it('when `npm run dlq:redrive` runs with --max, then it copies that many and prints one JSON summary', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('redrive-cli'));
    await sendBodies(rig.localSqs.sqs, queues.dlqUrl, ['{"a":1}', '{"a":2}', '{"a":3}']);
    let stdout = '';
    const child = spawnEntry(path.join('scripts', 'dlq-redrive.ts'), {
      args: ['--max', '2'],
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        PATH: process.env['PATH'],
        QUEUE_URL: queues.queueUrl,
        DLQ_URL: queues.dlqUrl,
        AWS_ENDPOINT_URL_SQS: rig.localSqs.endpoint,
        AWS_REGION: rig.localSqs.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    });
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    expect(await exitOf(child)).toBe(0);

    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      method: 'copy',
      moved: 2,
      failed: 0,
      remaining: 1,
    });
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ visible: 2 });
  });
});
