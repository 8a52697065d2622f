import type { Message } from '@aws-sdk/client-sqs';
import pino from 'pino';
import type { DeliveryResult, RegistrationClient } from '#contract/registration-client';
import type { StoredUser } from '#contract/user';
import { backoffSeconds } from '../../../consumer/backoff';
import type { DeadLetterSender } from '../../../consumer/dead-letter';
import { createMessageHandler } from '../../../consumer/message-handler';
import { newRegistration } from '../../helpers/registrations';

const OUTAGE_VISIBILITY = 5;
const BACKOFF = { baseSeconds: 5, maxSeconds: 900 };

const messageWith = (receiveCount: number, body = JSON.stringify(newRegistration())): Message => ({
  MessageId: `m-${receiveCount}-${Math.random().toString(36).slice(2)}`,
  ReceiptHandle: 'rh',
  Body: body,
  Attributes: { ApproximateReceiveCount: String(receiveCount) },
});

const answered = (status: number): DeliveryResult => {
  if (status < 300) {
    return {
      outcome: 'delivered',
      status,
      created: true,
      change: 'created',
      user: {} as StoredUser,
    };
  }
  if (status === 400) {
    return { outcome: 'permanent', reason: 'invalid_request', status, detail: 'bad' };
  }
  const reason = status === 500 ? 'server_error' : status === 503 ? 'unavailable' : 'throttled';
  return { outcome: 'retryable', reason, status, detail: `HTTP ${status}` };
};

interface Options {
  result?: DeliveryResult;
  deadLetters?: DeadLetterSender;
  apiDown?: boolean;
  paused?: boolean;
  random?: () => number;
}

function handlerFor({
  result = answered(201),
  deadLetters = { send: () => Promise.resolve() },
  apiDown = false,
  paused = false,
  random = () => 0.5,
}: Options = {}) {
  const calls = { deliver: 0, confirmDown: 0, serverDefects: 0 };
  const client: RegistrationClient = {
    deliver: () => {
      calls.deliver += 1;
      return Promise.resolve(result);
    },
  };
  const handle = createMessageHandler({
    client,
    apiTimeoutMs: 1000,
    backoff: BACKOFF,
    random,
    deadLetters,
    logger: pino({ level: 'silent' }),
    isStopping: () => false,
    outage: {
      confirmDown: () => {
        calls.confirmDown += 1;
        return Promise.resolve(apiDown);
      },
      isPaused: paused,
    },
    outageVisibilitySeconds: OUTAGE_VISIBILITY,
    metrics: { serverDefect: () => (calls.serverDefects += 1) },
  });
  return { handle, calls };
}

describe('message handler', () => {
  it('when the API refuses a registration but the DLQ send fails, then the message is kept for a retry, never acknowledged for deletion', async () => {
    const deadLetters: DeadLetterSender = {
      send: () => Promise.reject(new Error('DLQ unavailable')),
    };
    const { handle } = handlerFor({ result: answered(400), deadLetters });

    const handled = await handle(messageWith(2));

    expect(handled.kind).toBe('visibility');
    expect(handled.report).toMatchObject({
      outcome: 'retried',
      reason: 'dead_letter_send_failed',
      receiveCount: 2,
    });
  });

  it('when the DLQ takes the copy, then the original is acknowledged (deleted) as dead-lettered', async () => {
    const sent: Message[] = [];
    const deadLetters: DeadLetterSender = {
      send: (message) => {
        sent.push(message);
        return Promise.resolve();
      },
    };
    const { handle } = handlerFor({ result: answered(400), deadLetters });
    const message = messageWith(1);

    const handled = await handle(message);

    expect(handled).toMatchObject({ kind: 'ack', report: { outcome: 'dead_lettered' } });
    expect(sent).toEqual([message]);
  });

  it('when a message fails again and again, then each retry waits longer, at any draw of the jitter', async () => {
    for (const draw of [0, 0.25, 0.5, 0.75, 0.999]) {
      const { handle } = handlerFor({ result: answered(429), random: () => draw });
      const waits: number[] = [];
      for (let receiveCount = 1; receiveCount <= 8; receiveCount += 1) {
        const handled = await handle(messageWith(receiveCount));
        waits.push(handled.kind === 'visibility' ? handled.seconds : -1);
      }

      // Ceilings 5, 10, 20 … 640 s: each wait is at least the previous ceiling.
      for (let index = 1; index < waits.length; index += 1) {
        expect(waits[index]).toBeGreaterThan(waits[index - 1] ?? Infinity);
        expect(waits[index]).toBeGreaterThanOrEqual(5 * 2 ** (index - 1));
      }
      expect(waits).toEqual(
        waits.map((_, index) => backoffSeconds(index + 1, { ...BACKOFF, random: () => draw })),
      );
    }
  });

  it('when the API looks down and the probe confirms it, then the message gets the short outage visibility, not its long backoff', async () => {
    const { handle, calls } = handlerFor({ result: answered(503), apiDown: true });

    const handled = await handle(messageWith(12));

    expect(calls.confirmDown).toBe(1);
    expect(handled).toMatchObject({
      kind: 'visibility',
      seconds: OUTAGE_VISIBILITY,
      report: { outcome: 'retried', reason: 'unavailable', apiDown: true },
    });
  });

  it('when the API looks down for one message but answers the probe, then that message keeps its backoff', async () => {
    const { handle, calls } = handlerFor({ result: answered(503), apiDown: false });

    const handled = await handle(messageWith(3));

    expect(calls.confirmDown).toBe(1);
    expect(handled).toMatchObject({ kind: 'visibility', report: { outcome: 'retried' } });
    expect(handled.kind === 'visibility' && handled.seconds).toBe(
      backoffSeconds(3, { ...BACKOFF, random: () => 0.5 }),
    );
    expect(handled.report.apiDown).toBeUndefined();
  });

  it('when the API answers 500, then the message is retried with its backoff and counted as a defect, without probing', async () => {
    const { handle, calls } = handlerFor({ result: answered(500) });

    const handled = await handle(messageWith(1));

    expect(calls.confirmDown).toBe(0);
    expect(calls.serverDefects).toBe(1);
    expect(handled).toMatchObject({
      kind: 'visibility',
      report: { outcome: 'retried', reason: 'server_error', status: 500, defect: true },
    });
  });

  it('when the worker is paused, then a message received just before is handed back briefly, without calling the API', async () => {
    const { handle, calls } = handlerFor({ paused: true });

    const handled = await handle(messageWith(1));

    expect(calls.deliver).toBe(0);
    expect(handled).toMatchObject({
      kind: 'visibility',
      seconds: OUTAGE_VISIBILITY,
      report: { outcome: 'released', reason: 'api_down' },
    });
  });

  it('when the API accepts, then the message is acknowledged as delivered and nothing is counted as a defect', async () => {
    const { handle, calls } = handlerFor({ result: answered(201) });

    const handled = await handle(messageWith(1));

    expect(handled).toMatchObject({ kind: 'ack', report: { outcome: 'delivered', status: 201 } });
    expect(calls.serverDefects).toBe(0);
  });
});
