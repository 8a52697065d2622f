import type { Context } from 'aws-lambda';
import type { DeliveryResult, RegistrationClient } from '#contract/registration-client';
import type { Registration } from '#contract/registration';
import { createCircuitBreaker } from '../../../producer/circuit-breaker';
import type { FallbackDetails, FallbackQueue } from '../../../producer/fallback-queue';
import { createRegistrar } from '../../../producer/register-user';
import { postConfirmationEvent } from '../../../fixtures/cognito-events';
import { manualClock } from './support/registrar-fixture';
import { answersRetryable, answersPermanent } from '../../helpers/api-answers';

const START = Date.parse('2030-01-01T00:00:00.000Z');
const API_TIMEOUT_MS = 1500;

interface Enqueued {
  registration: Registration;
  details: FallbackDetails;
  timeoutMs: number;
}

/** A context whose remaining time is fixed: the manual clock does not move by itself. */
const contextWith = (
  remainingMs: number,
): Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'> => ({
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => remainingMs,
});

function setUp({
  deliver = () =>
    Promise.resolve<DeliveryResult>({
      outcome: 'delivered',
      status: 201,
      created: true,
      change: 'created',
    }),
  enqueue = () => Promise.resolve({ messageId: 'queued-1' as string | undefined }),
}: {
  deliver?: RegistrationClient['deliver'];
  enqueue?: () => Promise<{ messageId: string | undefined }>;
} = {}) {
  const clock = manualClock(START);
  const breaker = createCircuitBreaker({ openMs: 30_000, clock });
  const deliveries: Array<Parameters<RegistrationClient['deliver']>> = [];
  const enqueued: Enqueued[] = [];
  const queue: FallbackQueue = {
    enqueue: (registration, details, { timeoutMs }) => {
      enqueued.push({ registration, details, timeoutMs });
      return enqueue();
    },
  };
  const registrar = createRegistrar({
    client: {
      deliver: (...args) => {
        deliveries.push(args);
        return deliver(...args);
      },
    },
    queue,
    breaker,
    config: { apiTimeoutMs: API_TIMEOUT_MS },
    clock,
  });
  return { registrar, breaker, clock, deliveries, enqueued };
}

describe('registrar outcomes in detail', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('when the API stores the user, then the attempt got the configured timeout and the request id', async () => {
    const { registrar, deliveries, enqueued } = setUp();
    const event = postConfirmationEvent();

    const outcome = await registrar.register(event, contextWith(5000));

    expect(outcome).toEqual({
      path: 'api',
      sub: event.request.userAttributes['sub'],
      status: 201,
      created: true,
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.[1]).toEqual({ timeoutMs: API_TIMEOUT_MS, requestId: 'request-1' });
    expect(deliveries[0]?.[0]).toMatchObject({ observedAt: '2030-01-01T00:00:00.000Z' });
    expect(enqueued).toEqual([]);
  });

  it('when the API is unavailable, then the queue gets the reason, status, attempt time and what is left of the budget', async () => {
    const { registrar, breaker, enqueued } = setUp({
      deliver: answersRetryable('unavailable', 503, 'HTTP 503'),
    });
    const event = postConfirmationEvent();
    const sub = event.request.userAttributes['sub'];

    const outcome = await registrar.register(event, contextWith(5000));

    expect(outcome).toEqual({
      path: 'queue',
      sub,
      reason: 'unavailable',
      status: 503,
      detail: `HTTP 503 (API budget ${API_TIMEOUT_MS} ms)`,
      messageId: 'queued-1',
    });
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]?.details).toEqual({
      reason: 'unavailable',
      attemptedAt: '2030-01-01T00:00:00.000Z',
      status: 503,
    });
    // 5000 ms left, less the 250 ms safety margin.
    expect(enqueued[0]?.timeoutMs).toBe(4750);
    expect(enqueued[0]?.registration.sub).toBe(sub);
    expect(breaker.state()).toBe('open');
  });

  it('when the API refuses the registration and the queue parks it, then the outcome carries the parked message id', async () => {
    const { registrar, breaker, enqueued } = setUp({
      deliver: answersPermanent('invalid_request', 400, 'bad email'),
    });
    breaker.recordFailure();
    const event = postConfirmationEvent();
    const sub = event.request.userAttributes['sub'];

    const outcome = await registrar.register(event, contextWith(5000));

    // The breaker was open: a refusal needs an attempt, so nothing reached the API.
    expect(outcome).toMatchObject({
      path: 'queue',
      reason: 'breaker_open',
      detail: 'the API failed recently',
    });
    expect(enqueued[0]?.details).toEqual({
      reason: 'breaker_open',
      attemptedAt: '2030-01-01T00:00:00.000Z',
      status: undefined,
    });
    breaker.recordSuccess();

    const parked = await registrar.register(event, contextWith(5000));

    expect(parked).toEqual({
      path: 'rejected',
      sub,
      reason: 'invalid_request',
      status: 400,
      detail: 'bad email',
      parkedMessageId: 'queued-1',
    });
    expect(enqueued[1]?.details).toEqual({
      reason: 'invalid_request',
      attemptedAt: '2030-01-01T00:00:00.000Z',
      status: 400,
    });
    expect(enqueued[1]?.timeoutMs).toBe(4750);
    expect(breaker.state()).toBe('closed');
  });

  it('when the queue parks a refused registration without a message id, then no id is claimed', async () => {
    const { registrar } = setUp({
      deliver: answersPermanent('rejected', 413, 'too large'),
      enqueue: () => Promise.resolve({ messageId: undefined }),
    });
    const event = postConfirmationEvent();

    const outcome = await registrar.register(event, contextWith(5000));

    // Strict: not even a parkedMessageId key holding undefined.
    expect(outcome).toStrictEqual({
      path: 'rejected',
      sub: event.request.userAttributes['sub'],
      reason: 'rejected',
      status: 413,
      detail: 'too large',
    });
  });

  it('when parking a refused registration fails, then the outcome says why, and the breaker stays closed', async () => {
    const { registrar, breaker } = setUp({
      deliver: answersPermanent('invalid_request', 400, 'bad'),
      enqueue: () => Promise.reject(new TypeError('queue unreachable')),
    });
    const event = postConfirmationEvent();

    const outcome = await registrar.register(event, contextWith(5000));

    expect(outcome).toEqual({
      path: 'rejected',
      sub: event.request.userAttributes['sub'],
      reason: 'invalid_request',
      status: 400,
      detail: 'bad',
      queueError: 'TypeError: queue unreachable',
    });
    expect(breaker.state()).toBe('closed');
  });

  it('when neither path takes the registration, then the outcome is failed with both reasons', async () => {
    const { registrar } = setUp({
      deliver: answersRetryable('server_error', 500, 'HTTP 500'),
      enqueue: () => Promise.reject('plain refusal'),
    });
    const event = postConfirmationEvent();

    const outcome = await registrar.register(event, contextWith(5000));

    expect(outcome).toEqual({
      path: 'failed',
      sub: event.request.userAttributes['sub'],
      reason: 'server_error',
      status: 500,
      detail: `HTTP 500 (API budget ${API_TIMEOUT_MS} ms)`,
      queueError: 'plain refusal',
    });
  });

  it('when the header secret cannot be read, then the registration is queued with the error as detail', async () => {
    const { registrar, breaker } = setUp({
      deliver: () => Promise.reject(new Error('AccessDeniedException')),
    });

    const outcome = await registrar.register(postConfirmationEvent(), contextWith(5000));

    expect(outcome).toMatchObject({
      path: 'queue',
      reason: 'secret_unavailable',
      detail: `Error: AccessDeniedException (API budget ${API_TIMEOUT_MS} ms)`,
    });
    expect(outcome).not.toHaveProperty('status', expect.anything());
    expect(breaker.state()).toBe('open');
  });

  it('when exactly 100 ms are left for the API, then it is tried; with 99 ms it is skipped', async () => {
    // 100 ms for the API = remaining - 1000 ms queue reserve - 250 ms margin.
    const tried = setUp();
    await tried.registrar.register(postConfirmationEvent(), contextWith(1350));
    expect(tried.deliveries).toHaveLength(1);
    expect(tried.deliveries[0]?.[1].timeoutMs).toBe(100);

    const skipped = setUp();
    const outcome = await skipped.registrar.register(postConfirmationEvent(), contextWith(1349));
    expect(skipped.deliveries).toHaveLength(0);
    expect(outcome).toMatchObject({
      path: 'queue',
      reason: 'no_time',
      detail: '99 ms left for the API',
    });
    expect(skipped.breaker.state()).toBe('closed');
    // The queue send still gets its floor of 200 ms.
    expect(skipped.enqueued[0]?.timeoutMs).toBe(1099);
  });

  it('when the API does not answer within its budget, then the attempt ends as a timeout and leaves no timer behind', async () => {
    jest.useFakeTimers();
    const { registrar } = setUp({ deliver: () => new Promise<DeliveryResult>(() => undefined) });

    const pending = registrar.register(postConfirmationEvent(), contextWith(5000));
    await jest.advanceTimersByTimeAsync(API_TIMEOUT_MS - 1);
    let settled = false;
    void pending.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const outcome = await pending;

    expect(outcome).toMatchObject({
      path: 'queue',
      reason: 'timeout',
      detail: `no answer within ${API_TIMEOUT_MS} ms (API budget ${API_TIMEOUT_MS} ms)`,
    });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('when the API answers before the budget, then its deadline timer is cleared', async () => {
    jest.useFakeTimers();
    const { registrar } = setUp();

    const outcome = await registrar.register(postConfirmationEvent(), contextWith(5000));

    expect(outcome.path).toBe('api');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('when the event makes no valid registration, then it is rejected with the field and message, and nothing is sent', async () => {
    const { registrar, deliveries, enqueued } = setUp();
    const event = postConfirmationEvent({ email: null });

    const outcome = await registrar.register(event, contextWith(5000));

    expect(outcome).toEqual({
      path: 'rejected',
      sub: event.request.userAttributes['sub'],
      reason: 'invalid_registration',
      field: 'email',
      detail: expect.stringMatching(/^email: /) as string,
    });
    expect(deliveries).toEqual([]);
    expect(enqueued).toEqual([]);
  });

  it('when the event has no user attributes at all, then it is rejected without a sub', async () => {
    const { registrar } = setUp();
    const event = postConfirmationEvent();
    delete (event.request as { userAttributes?: unknown }).userAttributes;

    const outcome = await registrar.register(event, contextWith(5000));

    expect(outcome).toMatchObject({
      path: 'rejected',
      sub: undefined,
      reason: 'invalid_registration',
      field: 'sub',
    });
  });
});
