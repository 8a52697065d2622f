import {
  createDeadLetterSender,
  deadLetterAttributeNames,
  type DeadLetterSender,
} from '../../../consumer/dead-letter';
import { queueDepth, receiveAll, sendBodies } from '../../helpers/local-sqs';
import { waitFor } from '../../../scripts/local/wait-for';
import { newRegistration } from '../../../fixtures/registrations';
import { created } from '../../helpers/stub-api';
import { useQueueTestRig } from '../../helpers/queue-test-rig';
import { HEADER_NAME, uniqueQueueName, type TestWorker } from '../../helpers/worker-harness';

describe('consumer worker against a local SQS server', () => {
  const rig = useQueueTestRig();
  let running: TestWorker | undefined;

  it('when the API accepts every registration, then each is delivered once with the header and batch-deleted', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('deliver'));
    const registrations = Array.from({ length: 25 }, () => newRegistration());
    rig.api.setBehaviour(async (request) => {
      // Slow enough that deliveries overlap, so the concurrency bound is exercised.
      await new Promise((resolve) => setTimeout(resolve, 30));
      return created(request);
    });
    rig.sentCommands.length = 0;

    await sendBodies(
      rig.localSqs.sqs,
      queues.queueUrl,
      registrations.map((r) => JSON.stringify(r)),
    );
    running = rig.startWorker(queues, {
      deliveryConcurrency: 4,
      receiveBatchSize: 10,
    });
    await waitFor(() => running?.worker.stats().delivered === 25, { what: '25 deliveries' });

    const subs = rig.api.requests.map((request) => request.body['sub']);
    expect(new Set(subs)).toEqual(new Set(registrations.map((r) => r.sub)));
    expect(subs).toHaveLength(25);
    expect(rig.api.requests.every((request) => request.body['source'] === 'queue')).toBe(true);
    expect(rig.api.requests.every((r) => r.headers[HEADER_NAME] === running?.headerSecret)).toBe(
      true,
    );
    expect(rig.api.peakInFlight).toBeLessThanOrEqual(4);
    expect(rig.api.peakInFlight).toBeGreaterThan(1);
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
    expect(rig.sentCommands).toContain('DeleteMessageBatchCommand');
    expect(rig.sentCommands).not.toContain('DeleteMessageCommand');
    expect(running.worker.stats()).toMatchObject({ received: 25, delivered: 25, retried: 0 });
  });

  it('when the API fails with a retryable error, then the message is hidden for the backoff and delivered on a later receive', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('retry'));
    const registration = newRegistration();
    let attempts = 0;
    rig.api.setBehaviour((request) => {
      attempts += 1;
      return attempts === 1
        ? { status: 503, body: { error: { code: 'unavailable', message: 'db down' } } }
        : created(request);
    });
    const retried: number[] = [];

    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [JSON.stringify(registration)]);
    // Base 2 s and the top of the jitter range: the first retry waits exactly 2 s.
    running = rig.startWorker(queues, {
      backoff: { baseSeconds: 2, maxSeconds: 8 },
      random: () => 0.999,
    });
    running.worker.on('retried', (report) => retried.push(report.visibilityTimeoutSeconds ?? -1));
    await waitFor(() => retried.length === 1, { what: 'the retry' });
    const whileHidden = await queueDepth(rig.localSqs.sqs, queues.queueUrl);
    await waitFor(() => running?.worker.stats().delivered === 1, {
      what: 'the delivery',
      timeoutMs: 8000,
    });

    const [first, second] = rig.api.requests;
    expect(retried).toEqual([2]);
    expect(whileHidden).toEqual({ visible: 0, inFlight: 1, total: 1 });
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1900);
    expect(rig.api.requests).toHaveLength(2);
    expect(second?.headers['x-request-id']).toBe(first?.headers['x-request-id']);
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
  });

  it('when a delivery is retried, then the delivered report shows the grown receive count', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('count'));
    let attempts = 0;
    rig.api.setBehaviour((request) => {
      attempts += 1;
      return attempts === 1 ? { status: 429 } : created(request);
    });
    const receiveCounts: number[] = [];

    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [JSON.stringify(newRegistration())]);
    running = rig.startWorker(queues, { random: () => 0 });
    running.worker.on('retried', (report) => receiveCounts.push(report.receiveCount));
    running.worker.on('delivered', (report) => receiveCounts.push(report.receiveCount));
    await waitFor(() => receiveCounts.length === 2, {
      what: 'retry then delivery',
      timeoutMs: 8000,
    });

    expect(receiveCounts).toEqual([1, 2]);
  });

  it('when the API rejects permanently (413, 400) or the body is not a registration, then the message is in the DLQ at once with the reason and gone from the queue', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('permanent'));
    const oversized = newRegistration();
    const invalid = newRegistration();
    rig.api.setBehaviour((request) =>
      request.body['sub'] === oversized.sub
        ? { status: 413, body: { error: { code: 'payload_too_large', message: 'too large' } } }
        : { status: 400, body: { error: { code: 'invalid_request', message: 'username: bad' } } },
    );

    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [
      JSON.stringify(oversized),
      JSON.stringify(invalid),
      '{"sub": not json',
    ]);
    running = rig.startWorker(queues);
    await waitFor(() => running?.worker.stats().deadLettered === 3, { what: 'three dead-letters' });
    const deadLetters = await receiveAll(rig.localSqs.sqs, queues.dlqUrl);

    const byReason = Object.fromEntries(
      deadLetters.map((message) => [
        message.MessageAttributes?.[deadLetterAttributeNames.reason]?.StringValue,
        message,
      ]),
    );
    expect(Object.keys(byReason).sort()).toEqual(['invalid_body', 'invalid_request', 'rejected']);
    const tooLarge = byReason['rejected']?.MessageAttributes ?? {};
    expect(tooLarge[deadLetterAttributeNames.status]?.StringValue).toBe('413');
    expect(tooLarge[deadLetterAttributeNames.detail]?.StringValue).toBe('too large');
    expect(byReason['rejected']?.Body).toBe(JSON.stringify(oversized));
    expect(
      byReason['invalid_request']?.MessageAttributes?.[deadLetterAttributeNames.status]
        ?.StringValue,
    ).toBe('400');
    expect(
      byReason['invalid_body']?.MessageAttributes?.[deadLetterAttributeNames.detail]?.StringValue,
    ).toBe('message body is not JSON');
    // One attempt each for the two registrations; none for the unreadable body.
    expect(rig.api.requests).toHaveLength(2);
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
    expect(running.worker.stats()).toMatchObject({ received: 3, deadLettered: 3, retried: 0 });
  });

  it('when a registration is refused but the DLQ send fails, then the message stays on the queue, is never deleted, and is dead-lettered on a later receive', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('dlq-fails'));
    const registration = newRegistration();
    rig.api.setBehaviour(() => ({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'username: bad' } },
    }));
    let dlqDown = true;
    const realSender = createDeadLetterSender({
      sqs: rig.localSqs.sqs,
      deadLetterQueueUrl: queues.dlqUrl,
    });
    const deadLetters: DeadLetterSender = {
      send: (message, details) =>
        dlqDown ? Promise.reject(new Error('DLQ unavailable')) : realSender.send(message, details),
    };
    const retried: string[] = [];
    rig.sentCommands.length = 0;

    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [JSON.stringify(registration)]);
    running = rig.startWorker(queues, { deadLetters, random: () => 0 });
    running.worker.on('retried', (report) => retried.push(report.reason ?? ''));
    await waitFor(() => retried.length === 1, { what: 'the kept message' });
    const whileDlqDown = await queueDepth(rig.localSqs.sqs, queues.queueUrl);
    const deletesWhileDlqDown = rig.sentCommands.filter((name) => name.startsWith('DeleteMessage'));
    dlqDown = false;
    await waitFor(() => running?.worker.stats().deadLettered === 1, { what: 'the dead-lettering' });
    const [deadLetter] = await receiveAll(rig.localSqs.sqs, queues.dlqUrl);

    expect(retried).toEqual(['dead_letter_send_failed']);
    expect(whileDlqDown).toEqual({ visible: 0, inFlight: 1, total: 1 });
    expect(deletesWhileDlqDown).toEqual([]);
    expect(deadLetter?.Body).toBe(JSON.stringify(registration));
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
  });

  it('when the API keeps failing past maxReceiveCount, then the queue redrive policy moves the message to the DLQ', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('redrive'), {
      maxReceiveCount: 2,
    });
    const registration = newRegistration();
    rig.api.setBehaviour(() => ({ status: 503 }));

    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [JSON.stringify(registration)]);
    running = rig.startWorker(queues, { random: () => 0.999 });
    await waitFor(async () => (await queueDepth(rig.localSqs.sqs, queues.dlqUrl)).visible === 1, {
      what: 'the redrive to the DLQ',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const [deadLetter] = await receiveAll(rig.localSqs.sqs, queues.dlqUrl);

    expect(deadLetter?.Body).toBe(JSON.stringify(registration));
    // SQS, not the worker, dead-lettered it: no reason attributes of ours.
    expect(deadLetter?.MessageAttributes?.[deadLetterAttributeNames.reason]).toBeUndefined();
    expect(rig.api.requests).toHaveLength(2);
    expect(running.worker.stats()).toMatchObject({ retried: 2, deadLettered: 0, delivered: 0 });
    expect(await queueDepth(rig.localSqs.sqs, queues.queueUrl)).toMatchObject({ total: 0 });
  });

  it('when the API is unreachable, then the message is retried (network) instead of dead-lettered', async () => {
    const queues = await rig.localSqs.createQueuePair(uniqueQueueName('network'));
    await rig.api.close();
    const reasons: string[] = [];

    await sendBodies(rig.localSqs.sqs, queues.queueUrl, [JSON.stringify(newRegistration())]);
    running = rig.startWorker(queues);
    running.worker.on('retried', (report) => reasons.push(report.reason ?? ''));
    await waitFor(() => reasons.length === 1, { what: 'the retry' });

    expect(reasons).toEqual(['network']);
    expect(await queueDepth(rig.localSqs.sqs, queues.dlqUrl)).toMatchObject({ total: 0 });
  });
});
