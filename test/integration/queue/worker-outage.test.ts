import { performance } from 'node:perf_hooks';
import { queueDepth, sendBodies } from '../../helpers/local-sqs';
import { waitFor } from '../../../scripts/local/wait-for';
import { newRegistration } from '../../../fixtures/registrations';
import { created } from '../../helpers/stub-api';
import { useQueueTestRig } from '../../helpers/queue-test-rig';
import { uniqueQueueName, type TestWorker } from '../../helpers/worker-harness';

/** The promise: delivery resumes this soon after the API answers, whatever the backoff. */
const RESUME_LIMIT_MS = 10_000;
/** Probes (200 ms apart) that outlast the 5 s outage visibility of the messages tried. */
const PROBES_PAST_OUTAGE_VISIBILITY = 30;
/** A backoff no outage test could wait out: any message parked with it would miss the limit. */
const LONG_BACKOFF = { baseSeconds: 600, maxSeconds: 900 };

describe('consumer worker through an API outage', () => {
  const rig = useQueueTestRig();
  let running: TestWorker | undefined;
  const receiveRequests = (): number =>
    rig.sentCommands.filter((name) => name === 'ReceiveMessageCommand').length;

  it('when the API goes away, then the worker stops receiving, and once it is back everything is delivered within 10 s, nothing dead-lettered', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('outage'), {
      maxReceiveCount: 2,
    });
    await rig.api.goDown();
    const early = Array.from({ length: 5 }, () => newRegistration());
    await sendBodies(
      rig.localSqs.sqs,
      queues.queueUrl,
      early.map((r) => JSON.stringify(r)),
    );
    running = rig.startWorker(queues, { backoff: LONG_BACKOFF });
    const worker = running.worker;
    const metrics = running.metrics;
    const receiveCounts = new Map<string, number>();
    worker.on('delivered', (report) => receiveCounts.set(report.sub ?? '', report.receiveCount));

    await waitFor(() => metrics.some((metric) => metric.name === 'paused'), { what: 'the pause' });
    const receivesAtPause = receiveRequests();
    const late = Array.from({ length: 20 }, () => newRegistration());
    await sendBodies(
      rig.localSqs.sqs,
      queues.queueUrl,
      late.map((r) => JSON.stringify(r)),
    );
    // The five tried during the outage are visible again after their short visibility, yet a
    // paused worker receives nothing, so no receive count grows.
    const probesAtPause = running.probeAttempts;
    await waitFor(
      () => (running?.probeAttempts ?? 0) >= probesAtPause + PROBES_PAST_OUTAGE_VISIBILITY,
      { what: 'the outage to outlast the short visibility' },
    );
    const receivesWhilePaused = receiveRequests() - receivesAtPause;

    await rig.api.comeBack();
    const backAt = performance.now();
    await waitFor(() => worker.stats().delivered === 25, {
      what: 'all 25 delivered',
      timeoutMs: RESUME_LIMIT_MS,
    });
    const resumeMs = performance.now() - backAt;

    expect(receivesWhilePaused).toBe(0);
    expect(resumeMs).toBeLessThan(RESUME_LIMIT_MS);
    expect(await queueDepth(rig.localSqs.sqs, queues.dlqUrl)).toMatchObject({ total: 0 });
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
    // One receive during the outage, one after it: within maxReceiveCount 2.
    expect(early.map((r) => receiveCounts.get(r.sub))).toEqual([2, 2, 2, 2, 2]);
    expect(late.every((r) => receiveCounts.get(r.sub) === 1)).toBe(true);
    expect(metrics.map((metric) => metric.name)).toEqual(['paused', 'resumed']);
    expect(metrics[1]?.outageSeconds).toBeGreaterThan(0);
    expect(worker.stats()).toMatchObject({ delivered: 25, deadLettered: 0 });
  });

  it('when the API answers but its database is down (503, /readyz 503), then the worker pauses until /readyz is 200', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('db-down'), {
      maxReceiveCount: 2,
    });
    let databaseUp = false;
    rig.api.setReadiness(() => (databaseUp ? 200 : 503));
    rig.api.setBehaviour((request) =>
      databaseUp
        ? created(request)
        : { status: 503, body: { error: { code: 'unavailable', message: 'db down' } } },
    );
    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [JSON.stringify(newRegistration())]);
    running = rig.startWorker(queues, { backoff: LONG_BACKOFF });
    const { worker, metrics } = running;

    await waitFor(() => metrics.some((metric) => metric.name === 'paused'), { what: 'the pause' });
    const probesWhilePaused = rig.api.probes;
    await waitFor(() => rig.api.probes >= probesWhilePaused + 2, { what: 'probes while paused' });
    databaseUp = true;
    await waitFor(() => worker.stats().delivered === 1, {
      what: 'the delivery',
      timeoutMs: RESUME_LIMIT_MS,
    });

    expect(rig.api.requests).toHaveLength(2);
    expect(metrics.map((metric) => metric.name)).toEqual(['paused', 'resumed']);
    expect(await queueDepth(rig.localSqs.sqs, queues.dlqUrl)).toMatchObject({ total: 0 });
  });

  it('when one registration fails (500) while others are delivered, then only it is backed off, counted as a defect, and nothing pauses', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('defect'));
    const faulty = newRegistration();
    const healthy = Array.from({ length: 5 }, () => newRegistration());
    rig.api.setBehaviour((request) =>
      request.body['sub'] === faulty.sub
        ? { status: 500, body: { error: { code: 'internal', message: 'bug' } } }
        : created(request),
    );
    const retried: Array<{ sub?: string; seconds?: number; defect?: boolean }> = [];

    await sendBodies(
      rig.localSqs.sqs,
      queues.queueUrl,
      [faulty, ...healthy].map((r) => JSON.stringify(r)),
    );
    running = rig.startWorker(queues, { backoff: LONG_BACKOFF, random: () => 0 });
    running.worker.on('retried', (report) =>
      retried.push({
        sub: report.sub,
        seconds: report.visibilityTimeoutSeconds,
        defect: report.defect,
      }),
    );
    await waitFor(() => running?.worker.stats().delivered === 5 && retried.length === 1, {
      what: 'five deliveries and one retry',
    });

    expect(retried).toEqual([{ sub: faulty.sub, seconds: 300, defect: true }]);
    expect(running.metrics).toEqual([{ name: 'serverDefect' }]);
    expect(rig.api.probes).toBe(0);
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toEqual({
      visible: 0,
      inFlight: 1,
      total: 1,
    });
  });

  it('when a stop comes while paused, then the worker stops promptly without another receive', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('stop-paused'));
    await rig.api.goDown();
    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [JSON.stringify(newRegistration())]);
    running = rig.startWorker(queues, { backoff: LONG_BACKOFF });
    const { worker, metrics } = running;
    await waitFor(() => metrics.some((metric) => metric.name === 'paused'), { what: 'the pause' });
    const probesAtPause = running.probeAttempts;
    await waitFor(() => (running?.probeAttempts ?? 0) >= probesAtPause + 3, {
      what: 'probing while paused',
    });
    const receivesBeforeStop = receiveRequests();

    const stopStartedAt = performance.now();
    const final = await worker.stop();
    const stopMs = performance.now() - stopStartedAt;

    expect(worker.isRunning).toBe(false);
    // Well below the 10 s stop timeout: nothing was left to wait for.
    expect(stopMs).toBeLessThan(5000);
    expect(receiveRequests()).toBe(receivesBeforeStop);
    expect(final).toMatchObject({ received: 1, retried: 1, inFlight: 0 });
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 1 });
  });
});
