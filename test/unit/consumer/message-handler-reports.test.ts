import type { Message } from '@aws-sdk/client-sqs';
import type { DeliveryResult, RegistrationClient } from '#contract/registration-client';
import type { DeadLetterDetails } from '../../../consumer/dead-letter';
import { createMessageHandler } from '../../../consumer/message-handler';
import { newRegistration } from '../../../fixtures/registrations';
import { capturingLogger } from './support/log-lines';
import { answersRetryable, answersPermanent } from '../../helpers/api-answers';

const OUTAGE_VISIBILITY = 5;
const BACKOFF = { baseSeconds: 5, maxSeconds: 900 };

const messageOf = (body: string | undefined, receiveCount = 3): Message => ({
  MessageId: `m-${Math.random().toString(36).slice(2)}`,
  ReceiptHandle: 'rh',
  ...(body === undefined ? {} : { Body: body }),
  Attributes: { ApproximateReceiveCount: String(receiveCount) },
});

function setUp({
  deliver = () =>
    Promise.resolve<DeliveryResult>({
      outcome: 'delivered',
      status: 200,
      created: false,
      change: 'unchanged',
    }),
  stopping = false,
  apiDown = false,
}: {
  deliver?: RegistrationClient['deliver'];
  stopping?: boolean;
  apiDown?: boolean;
} = {}) {
  const { logger, lines } = capturingLogger();
  const deliveries: Array<Parameters<RegistrationClient['deliver']>> = [];
  const deadLettered: DeadLetterDetails[] = [];
  const handle = createMessageHandler({
    client: {
      deliver: (...args) => {
        deliveries.push(args);
        return deliver(...args);
      },
    },
    apiTimeoutMs: 1234,
    backoff: BACKOFF,
    random: () => 0.5,
    deadLetters: {
      send: (_message, details) => {
        deadLettered.push(details);
        return Promise.resolve();
      },
    },
    logger,
    isStopping: () => stopping,
    outage: { confirmDown: () => Promise.resolve(apiDown), isPaused: false },
    outageVisibilitySeconds: OUTAGE_VISIBILITY,
    metrics: { serverDefect: () => undefined },
  });
  return { handle, lines, deliveries, deadLettered };
}

describe('message handler reports', () => {
  it('when the API stores the registration, then it was asked with the timeout and the message id as request id', async () => {
    const { handle, deliveries } = setUp();
    const registration = newRegistration();
    const message = messageOf(JSON.stringify(registration));

    const handled = await handle(message);

    expect(handled).toEqual({
      kind: 'ack',
      message,
      report: {
        messageId: message.MessageId,
        sub: registration.sub,
        receiveCount: 3,
        outcome: 'delivered',
        status: 200,
      },
    });
    expect(deliveries[0]?.[1]).toEqual({ timeoutMs: 1234, requestId: message.MessageId });
    expect(deliveries[0]?.[0]).toEqual({ ...registration, source: 'queue' });
  });

  it('when a stop has begun, then the message is handed back at once, untouched and unsent', async () => {
    const { handle, deliveries, deadLettered } = setUp({ stopping: true });
    const registration = newRegistration();
    const message = messageOf(JSON.stringify(registration), 2);

    const handled = await handle(message);

    expect(handled).toEqual({
      kind: 'visibility',
      message,
      seconds: 0,
      report: {
        messageId: message.MessageId,
        sub: registration.sub,
        receiveCount: 2,
        outcome: 'released',
      },
    });
    expect(deliveries).toEqual([]);
    expect(deadLettered).toEqual([]);
  });

  it('when a stop has begun, then even an unreadable message is handed back rather than dead-lettered', async () => {
    const { handle, deadLettered } = setUp({ stopping: true });

    const handled = await handle(messageOf('not json'));

    expect(handled).toMatchObject({
      kind: 'visibility',
      seconds: 0,
      report: { outcome: 'released' },
    });
    expect(deadLettered).toEqual([]);
  });

  it('when the body breaks the contract but has a sub, then it is dead-lettered with that sub, cut to 64 characters', async () => {
    const { handle, deadLettered } = setUp();
    const longSub = 'x'.repeat(100);
    const message = messageOf(JSON.stringify({ sub: longSub, email: 'nope' }), 4);

    const handled = await handle(message);

    expect(handled).toMatchObject({
      kind: 'ack',
      report: {
        messageId: message.MessageId,
        sub: 'x'.repeat(64),
        receiveCount: 4,
        outcome: 'dead_lettered',
        reason: 'invalid_body',
      },
    });
    expect(deadLettered).toEqual([
      expect.objectContaining({ reason: 'invalid_body', receiveCount: 4 }),
    ]);
  });

  it.each([
    ['not JSON', 'not json'],
    ['JSON without a sub', '{"email":"a@b.c"}'],
    ['a sub that is no string', '{"sub":42}'],
    ['JSON null', 'null'],
    ['no body at all', undefined],
  ])('when the body is %s, then it is dead-lettered without a sub', async (_case, body) => {
    const { handle } = setUp();

    const handled = await handle(messageOf(body));

    expect(handled.kind).toBe('ack');
    expect(handled.report.outcome).toBe('dead_lettered');
    expect(handled.report.sub).toBeUndefined();
  });

  it('when the header secret cannot be read, then the failure is logged with the message and it is retried with its backoff', async () => {
    const { handle, lines } = setUp({
      deliver: () => Promise.reject(new Error('AccessDeniedException')),
    });
    const registration = newRegistration();
    const message = messageOf(JSON.stringify(registration), 3);

    const handled = await handle(message);

    // receive 3: ceiling 20 s, draw 0.5 → 15 s
    expect(handled).toEqual({
      kind: 'visibility',
      message,
      seconds: 15,
      report: {
        messageId: message.MessageId,
        sub: registration.sub,
        receiveCount: 3,
        reason: 'internal',
        detail: 'AccessDeniedException',
        outcome: 'retried',
        visibilityTimeoutSeconds: 15,
      },
    });
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'delivery could not be attempted',
        messageId: message.MessageId,
        sub: registration.sub,
        receiveCount: 3,
        err: expect.objectContaining({ message: 'AccessDeniedException' }) as object,
      }),
    ]);
  });

  it('when something that is not an error is thrown, then its text becomes the detail', async () => {
    const { handle } = setUp({ deliver: () => Promise.reject('secret store offline') });

    const handled = await handle(messageOf(JSON.stringify(newRegistration())));

    expect(handled.report).toMatchObject({ reason: 'internal', detail: 'secret store offline' });
  });

  it('when the API is down and the probe agrees, then the report marks it and the message waits the outage visibility', async () => {
    const { handle } = setUp({
      deliver: () =>
        Promise.resolve({
          outcome: 'retryable',
          reason: 'timeout',
          detail: 'no answer within 1234 ms',
        }),
      apiDown: true,
    });
    const registration = newRegistration();
    const message = messageOf(JSON.stringify(registration), 9);

    const handled = await handle(message);

    expect(handled).toEqual({
      kind: 'visibility',
      message,
      seconds: OUTAGE_VISIBILITY,
      report: {
        messageId: message.MessageId,
        sub: registration.sub,
        receiveCount: 9,
        reason: 'timeout',
        status: undefined,
        detail: 'no answer within 1234 ms',
        outcome: 'retried',
        apiDown: true,
        visibilityTimeoutSeconds: OUTAGE_VISIBILITY,
      },
    });
  });

  it('when the API answers 500, then the retry report is marked as a defect', async () => {
    const { handle } = setUp({
      deliver: answersRetryable('server_error', 500, 'HTTP 500'),
    });

    const handled = await handle(messageOf(JSON.stringify(newRegistration()), 1));

    // receive 1: ceiling 5 s, draw 0.5 → 4 s
    expect(handled).toMatchObject({
      kind: 'visibility',
      seconds: 4,
      report: {
        outcome: 'retried',
        reason: 'server_error',
        status: 500,
        defect: true,
        visibilityTimeoutSeconds: 4,
      },
    });
  });

  it('when the API refuses the registration, then it is dead-lettered with status and detail', async () => {
    const { handle, deadLettered } = setUp({
      deliver: answersPermanent('rejected', 413, 'too large'),
    });

    const handled = await handle(messageOf(JSON.stringify(newRegistration()), 2));

    expect(handled.report).toMatchObject({
      outcome: 'dead_lettered',
      reason: 'rejected',
      status: 413,
      detail: 'too large',
    });
    expect(deadLettered).toEqual([
      expect.objectContaining({
        reason: 'rejected',
        status: 413,
        detail: 'too large',
        receiveCount: 2,
      }),
    ]);
  });
});
