import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { performance } from 'node:perf_hooks';
import type { HeaderSecretSource } from '#contract/header-secret-source';
import { QUEUE_SEND_RESERVE_MS, SAFETY_MARGIN_MS } from '../../../producer/time-budget';
import {
  fakeLambdaContext,
  postConfirmationEvent,
  type PostConfirmationEventOptions,
} from '../../../fixtures/cognito-events';
import { refusedUrl, startApiStub, type ApiStub } from './support/api-stub';
import {
  TEST_HEADER_NAME,
  TEST_HEADER_SECRET,
  TEST_QUEUE_URL,
  manualClock,
  registrarFixture,
} from './support/registrar-fixture';

const storedUser = (sub: string) => ({
  sub,
  email: `user-${sub}@example.com`,
  username: sub,
  userPoolId: 'eu-west-1_TestPool1',
  attributes: {},
  source: 'trigger',
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
});

const sentMessages = (fixture: ReturnType<typeof registrarFixture>) =>
  fixture.sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);

describe('registrar', () => {
  let stub: ApiStub;

  beforeEach(async () => {
    stub = await startApiStub({ status: 201 });
  });

  afterEach(async () => {
    await stub.close();
  });

  /** A fresh confirmation event, its sub, and a registrar that calls the stub API. */
  const freshEventOnStub = (options?: PostConfirmationEventOptions) => {
    const event = postConfirmationEvent(options);
    const fixture = registrarFixture({ apiUrl: stub.url });
    return { event, sub: event.request.userAttributes['sub'], fixture };
  };

  describe('API path', () => {
    test.each([
      [201, true],
      [200, false],
    ])(
      'when the API answers %i, then the path is api and nothing is queued',
      async (status, created) => {
        // Arrange
        const event = postConfirmationEvent();
        const sub = event.request.userAttributes['sub'] ?? '';
        stub.respondWith({ status, body: storedUser(sub) });
        const fixture = registrarFixture({ apiUrl: stub.url });
        const context = fakeLambdaContext();

        // Act
        const outcome = await fixture.registrar.register(event, context);

        // Assert
        expect(outcome).toEqual({ path: 'api', sub, status, created });
        expect(fixture.sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
        expect(stub.requests).toHaveLength(1);
        const [request] = stub.requests;
        expect(request?.method).toBe('POST');
        expect(request?.url).toBe('/user');
        expect(request?.headers[TEST_HEADER_NAME]).toBe(TEST_HEADER_SECRET);
        expect(request?.headers['x-request-id']).toBe(context.awsRequestId);
        expect(request?.body).toEqual(
          expect.objectContaining({ sub, email: `user-${sub}@example.com`, source: 'trigger' }),
        );
      },
    );
  });

  describe('queue path', () => {
    test.each([
      [500, 'server_error'],
      [503, 'unavailable'],
      [429, 'throttled'],
      [403, 'forbidden'],
    ])(
      'when the API answers %i, then the registration is queued with reason %s',
      async (status, reason) => {
        // Arrange
        stub.respondWith({ status, body: { error: { code: 'x', message: 'down' } } });
        const { event, sub, fixture } = freshEventOnStub();

        // Act
        const outcome = await fixture.registrar.register(event, fakeLambdaContext());

        // Assert
        expect(outcome).toEqual(
          expect.objectContaining({ path: 'queue', sub, reason, status, messageId: 'message-1' }),
        );
        expect(fixture.sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
        expect(fixture.sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
          QueueUrl: TEST_QUEUE_URL,
          MessageAttributes: expect.objectContaining({
            reason: { DataType: 'String', StringValue: reason },
            status: { DataType: 'Number', StringValue: String(status) },
            firstSource: { DataType: 'String', StringValue: 'trigger' },
          }),
        });
      },
    );

    test.each([
      {
        failure: 'does not answer in time',
        reason: 'timeout',
        arrange: () => {
          stub.respondWith('hang');
          return Promise.resolve({ apiUrl: stub.url, apiTimeoutMs: 200 });
        },
      },
      {
        failure: 'refuses connections',
        reason: 'network',
        arrange: async () => ({ apiUrl: await refusedUrl() }),
      },
    ])(
      'when the API $failure, then the registration is queued with reason $reason',
      async ({ reason, arrange }) => {
        // Arrange
        const fixture = registrarFixture(await arrange());
        const event = postConfirmationEvent();

        // Act
        const outcome = await fixture.registrar.register(event, fakeLambdaContext());

        // Assert
        expect(outcome).toEqual(expect.objectContaining({ path: 'queue', reason }));
        expect(fixture.sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
          MessageAttributes: expect.objectContaining({
            reason: { DataType: 'String', StringValue: reason },
          }),
        });
      },
    );

    test('when a registration is queued, then the body is the registration stamped with the invocation time, which the API attempt sent too', async () => {
      // Arrange
      stub.respondWith({ status: 503 });
      const clock = manualClock(Date.parse('2030-05-06T07:08:09.000Z'));
      const fixture = registrarFixture({ apiUrl: stub.url, clock });
      const event = postConfirmationEvent({ attributes: { 'custom:plan': 'pro' } });
      const sub = event.request.userAttributes['sub'] ?? '';

      // Act
      await fixture.registrar.register(event, fakeLambdaContext());

      // Assert
      const [message] = sentMessages(fixture);
      expect(JSON.parse(message?.MessageBody ?? '{}')).toEqual({
        sub,
        email: `user-${sub}@example.com`,
        username: sub,
        userPoolId: event.userPoolId,
        attributes: event.request.userAttributes,
        source: 'trigger',
        observedAt: '2030-05-06T07:08:09.000Z',
      });
      expect(stub.requests.at(-1)?.body).toMatchObject({ observedAt: '2030-05-06T07:08:09.000Z' });
      expect(message?.MessageAttributes?.['attemptedAt']).toEqual({
        DataType: 'String',
        StringValue: '2030-05-06T07:08:09.000Z',
      });
    });

    test('when the header secret cannot be read, then the registration is queued with reason secret_unavailable', async () => {
      // Arrange
      const failingSecrets: HeaderSecretSource = {
        acceptedValues: () => Promise.reject(new Error('secrets manager unreachable')),
        currentValue: () => Promise.reject(new Error('secrets manager unreachable')),
        refresh: () => Promise.resolve(false),
      };
      const fixture = registrarFixture({ apiUrl: stub.url, headerSecrets: failingSecrets });

      // Act
      const outcome = await fixture.registrar.register(
        postConfirmationEvent(),
        fakeLambdaContext(),
      );

      // Assert
      expect(outcome).toEqual(
        expect.objectContaining({ path: 'queue', reason: 'secret_unavailable' }),
      );
      expect(stub.requests).toHaveLength(0);
    });
  });

  describe('permanent rejection', () => {
    test.each([
      [400, 'invalid_request'],
      [413, 'rejected'],
    ])(
      'when the API answers %i, then it is rejected with the sub and parked on the queue with the reason',
      async (status, reason) => {
        // Arrange
        stub.respondWith({ status, body: { error: { code: reason, message: 'no' } } });
        const { event, sub, fixture } = freshEventOnStub();

        // Act
        const outcome = await fixture.registrar.register(event, fakeLambdaContext());

        // Assert
        expect(outcome).toEqual(
          expect.objectContaining({
            path: 'rejected',
            sub,
            reason,
            status,
            parkedMessageId: 'message-1',
          }),
        );
        expect(fixture.sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
        expect(fixture.sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
          MessageAttributes: expect.objectContaining({
            reason: { DataType: 'String', StringValue: reason },
          }),
        });
        expect(fixture.breaker.state()).toBe('closed');
      },
    );

    test('when the event has no email, then it is rejected before any call, naming the field', async () => {
      // Arrange
      const { event, sub, fixture } = freshEventOnStub({ email: null });

      // Act
      const outcome = await fixture.registrar.register(event, fakeLambdaContext());

      // Assert
      expect(outcome).toEqual(
        expect.objectContaining({
          path: 'rejected',
          sub,
          reason: 'invalid_registration',
          field: 'email',
        }),
      );
      expect(stub.requests).toHaveLength(0);
      expect(fixture.sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
    });
  });

  describe('both paths failing', () => {
    test('when the API is down and SQS rejects the send, then the outcome is failed', async () => {
      // Arrange
      stub.respondWith({ status: 503 });
      const fixture = registrarFixture({ apiUrl: stub.url });
      fixture.sqsMock.on(SendMessageCommand).rejects(new Error('queue unavailable'));
      const event = postConfirmationEvent();

      // Act
      const outcome = await fixture.registrar.register(event, fakeLambdaContext());

      // Assert
      expect(outcome).toEqual(
        expect.objectContaining({
          path: 'failed',
          sub: event.request.userAttributes['sub'],
          reason: 'unavailable',
          status: 503,
          queueError: 'Error: queue unavailable',
        }),
      );
    });
  });

  describe('deadline', () => {
    test('when the API hangs, then the registrar returns after the API timeout, well within 5 s', async () => {
      // Arrange
      stub.respondWith('hang');
      const apiTimeoutMs = 1500;
      const fixture = registrarFixture({ apiUrl: stub.url, apiTimeoutMs });
      const context = fakeLambdaContext({ budgetMs: 5000 });

      // Act
      const started = performance.now();
      const outcome = await fixture.registrar.register(postConfirmationEvent(), context);
      const durationMs = performance.now() - started;

      // Assert
      expect(outcome).toEqual(expect.objectContaining({ path: 'queue', reason: 'timeout' }));
      expect(durationMs).toBeGreaterThanOrEqual(apiTimeoutMs - 50);
      expect(durationMs).toBeLessThan(5000 - QUEUE_SEND_RESERVE_MS - SAFETY_MARGIN_MS);
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(QUEUE_SEND_RESERVE_MS);
    });

    test('when little time is left, then the API attempt is shortened so the queue send still fits', async () => {
      // Arrange
      stub.respondWith('hang');
      const budgetMs = 1800;
      const expectedApiBudgetMs = budgetMs - QUEUE_SEND_RESERVE_MS - SAFETY_MARGIN_MS; // 550
      const fixture = registrarFixture({ apiUrl: stub.url, apiTimeoutMs: 1500 });
      const context = fakeLambdaContext({ budgetMs });

      // Act
      const started = performance.now();
      const outcome = await fixture.registrar.register(postConfirmationEvent(), context);
      const durationMs = performance.now() - started;

      // Assert
      expect(outcome).toEqual(expect.objectContaining({ path: 'queue', reason: 'timeout' }));
      expect(durationMs).toBeLessThan(budgetMs - QUEUE_SEND_RESERVE_MS);
      const detail = outcome.path === 'queue' ? outcome.detail : '';
      const apiBudgetMs = Number(/API budget (\d+) ms/.exec(detail)?.[1]);
      expect(apiBudgetMs).toBeLessThanOrEqual(expectedApiBudgetMs);
      expect(apiBudgetMs).toBeGreaterThan(expectedApiBudgetMs - 100);
      const [message] = fixture.sqsMock.commandCalls(SendMessageCommand);
      expect(message).toBeDefined();
    });

    test('when less time is left than the queue reserve needs, then the API is skipped', async () => {
      // Arrange
      const fixture = registrarFixture({ apiUrl: stub.url });
      const context = fakeLambdaContext({ budgetMs: QUEUE_SEND_RESERVE_MS + SAFETY_MARGIN_MS });

      // Act
      const outcome = await fixture.registrar.register(postConfirmationEvent(), context);

      // Assert
      expect(outcome).toEqual(expect.objectContaining({ path: 'queue', reason: 'no_time' }));
      expect(stub.requests).toHaveLength(0);
    });

    test('when reading the header secret hangs, then the attempt still ends at its budget', async () => {
      // Arrange
      const hangingSecrets: HeaderSecretSource = {
        acceptedValues: () => new Promise(() => undefined),
        currentValue: () => new Promise(() => undefined),
        refresh: () => Promise.resolve(false),
      };
      const fixture = registrarFixture({
        apiUrl: stub.url,
        apiTimeoutMs: 200,
        headerSecrets: hangingSecrets,
      });

      // Act
      const started = performance.now();
      const outcome = await fixture.registrar.register(
        postConfirmationEvent(),
        fakeLambdaContext(),
      );
      const durationMs = performance.now() - started;

      // Assert
      expect(outcome).toEqual(expect.objectContaining({ path: 'queue', reason: 'timeout' }));
      expect(durationMs).toBeLessThan(1000);
    });
  });

  describe('circuit breaker', () => {
    test('when the API just failed, then the next registration skips the API and is queued', async () => {
      // Arrange
      stub.respondWith({ status: 503 });
      const clock = manualClock();
      const fixture = registrarFixture({ apiUrl: stub.url, clock, breakerOpenMs: 30_000 });
      await fixture.registrar.register(postConfirmationEvent(), fakeLambdaContext());
      stub.respondWith({ status: 201 });

      // Act
      clock.advance(29_999);
      const outcome = await fixture.registrar.register(
        postConfirmationEvent(),
        fakeLambdaContext(),
      );

      // Assert
      expect(outcome).toEqual(expect.objectContaining({ path: 'queue', reason: 'breaker_open' }));
      expect(stub.requests).toHaveLength(1);
      expect(fixture.sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 2);
    });

    test('when the open time has passed, then one trial goes to the API and its success closes the breaker', async () => {
      // Arrange
      stub.respondWith({ status: 503 });
      const clock = manualClock();
      const fixture = registrarFixture({ apiUrl: stub.url, clock, breakerOpenMs: 30_000 });
      await fixture.registrar.register(postConfirmationEvent(), fakeLambdaContext());
      stub.respondWith({ status: 201, body: {} });
      clock.advance(30_000);

      // Act
      const trial = await fixture.registrar.register(postConfirmationEvent(), fakeLambdaContext());
      const next = await fixture.registrar.register(postConfirmationEvent(), fakeLambdaContext());

      // Assert
      expect(trial).toEqual(expect.objectContaining({ path: 'api' }));
      expect(next).toEqual(expect.objectContaining({ path: 'api' }));
      expect(stub.requests).toHaveLength(3);
      expect(fixture.breaker.state()).toBe('closed');
    });

    test('when the trial fails, then the breaker opens again for another full period', async () => {
      // Arrange
      stub.respondWith({ status: 503 });
      const clock = manualClock();
      const fixture = registrarFixture({ apiUrl: stub.url, clock, breakerOpenMs: 30_000 });
      await fixture.registrar.register(postConfirmationEvent(), fakeLambdaContext());
      clock.advance(30_000);

      // Act
      const trial = await fixture.registrar.register(postConfirmationEvent(), fakeLambdaContext());
      clock.advance(10_000);
      const afterTrial = await fixture.registrar.register(
        postConfirmationEvent(),
        fakeLambdaContext(),
      );

      // Assert
      expect(trial).toEqual(expect.objectContaining({ path: 'queue', reason: 'unavailable' }));
      expect(afterTrial).toEqual(
        expect.objectContaining({ path: 'queue', reason: 'breaker_open' }),
      );
      expect(stub.requests).toHaveLength(2);
    });
  });
});
