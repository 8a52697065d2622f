import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as SqsModuleNamespace from '@aws-sdk/client-sqs';
import type { SQSClient as SQSClientClass } from '@aws-sdk/client-sqs';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { fakeLambdaContext, postConfirmationEvent } from '../../../fixtures/cognito-events';
import type * as HandlerModuleNamespace from '../../../producer/handler';
import { startApiStub, type ApiStub } from './support/api-stub';
import { TEST_HEADER_SECRET, TEST_QUEUE_URL } from './support/registrar-fixture';
import { captureOutput, jsonLines, type CapturedOutput } from '../../helpers/captured-output';
import { isolateEnv, PRODUCER_ENV_NAMES, type ProducerEnvName } from '../../helpers/process-env';

type HandlerModule = typeof HandlerModuleNamespace;
type SqsModule = typeof SqsModuleNamespace;

/**
 * Loads a fresh copy of the handler module (and of the SQS client it stubs), so each test gets
 * a cold container: unread config, closed breaker.
 */
async function coldStart(): Promise<{ module: HandlerModule; sqs: SqsModule }> {
  let loaded: { module: HandlerModule; sqs: SqsModule } | undefined;
  await jest.isolateModulesAsync(async () => {
    const sqs = await import('@aws-sdk/client-sqs');
    const module = await import('../../../producer/handler');
    loaded = { module, sqs };
  });
  if (loaded === undefined) throw new Error('handler module did not load');
  return loaded;
}

describe('handler', () => {
  let restoreEnv: () => void;
  let stub: ApiStub;
  let output: CapturedOutput;

  const configure = (overrides: Partial<Record<ProducerEnvName, string>> = {}) => {
    Object.assign(process.env, {
      API_URL: stub.url,
      QUEUE_URL: TEST_QUEUE_URL,
      AUTH_HEADER_SECRET: TEST_HEADER_SECRET,
      AWS_REGION: 'eu-west-1',
      ...overrides,
    });
  };

  const stubbedSqs = (sqs: SqsModule) => {
    const sqsMock = mockClient(sqs.SQSClient as typeof SQSClientClass);
    sqsMock.on(sqs.SendMessageCommand).resolves({ MessageId: 'message-1' });
    return sqsMock;
  };

  beforeEach(async () => {
    restoreEnv = isolateEnv(PRODUCER_ENV_NAMES);
    stub = await startApiStub({ status: 201, body: {} });
    output = captureOutput();
  });

  afterEach(async () => {
    output.restore();
    await stub.close();
    restoreEnv();
  });

  test('when a password is reset, then the event passes through without API or queue calls, even unconfigured', async () => {
    // Arrange: no producer configuration at all
    const { module, sqs } = await coldStart();
    const sqsMock = stubbedSqs(sqs);
    const event = postConfirmationEvent({
      triggerSource: 'PostConfirmation_ConfirmForgotPassword',
    });
    const before = structuredClone(event);

    // Act
    const returned = await module.handler(event, fakeLambdaContext());

    // Assert
    expect(returned).toBe(event);
    expect(returned).toEqual(before);
    expect(stub.requests).toHaveLength(0);
    expect(sqsMock).not.toHaveReceivedAnyCommand();
    expect(jsonLines(output.text())).toContainEqual(
      expect.objectContaining({
        path: 'skipped',
        triggerSource: 'PostConfirmation_ConfirmForgotPassword',
      }),
    );
  });

  test('when the API stores the user, then the event is returned and the log says path api with the sub and request id', async () => {
    // Arrange
    configure();
    const { module, sqs } = await coldStart();
    const sqsMock = stubbedSqs(sqs);
    const event = postConfirmationEvent();
    const context = fakeLambdaContext();

    // Act
    const returned = await module.handler(event, context);

    // Assert
    expect(returned).toBe(event);
    expect(sqsMock).not.toHaveReceivedAnyCommand();
    const lines = jsonLines(output.text());
    expect(lines).toContainEqual(
      expect.objectContaining({
        path: 'api',
        sub: event.request.userAttributes['sub'],
        function_request_id: context.awsRequestId,
        service: 'producer',
      }),
    );
    const metric = lines.find((line) => '_aws' in line);
    expect(metric).toEqual(
      expect.objectContaining({ RegistrationFallbacks: 0, service: 'producer' }),
    );
  });

  test('when the API is unavailable, then the registration is queued and a fallback metric is published', async () => {
    // Arrange
    configure();
    stub.respondWith({ status: 503 });
    const { module, sqs } = await coldStart();
    const sqsMock = stubbedSqs(sqs);
    const event = postConfirmationEvent();

    // Act
    const returned = await module.handler(event, fakeLambdaContext());

    // Assert
    expect(returned).toBe(event);
    expect(sqsMock).toHaveReceivedCommandWith(sqs.SendMessageCommand, { QueueUrl: TEST_QUEUE_URL });
    const lines = jsonLines(output.text());
    expect(lines).toContainEqual(expect.objectContaining({ path: 'queue', reason: 'unavailable' }));
    const metric = lines.find((line) => '_aws' in line);
    expect(metric).toEqual(
      expect.objectContaining({ RegistrationFallbacks: 1, service: 'producer' }),
    );
    expect(JSON.stringify(metric)).toContain('"Namespace":"CognitoUserSync"');
  });

  test('when both the API and the queue fail, then a user-safe error is thrown', async () => {
    // Arrange
    configure();
    stub.respondWith({ status: 503, body: { error: { code: 'unavailable', message: 'db down' } } });
    const { module, sqs } = await coldStart();
    stubbedSqs(sqs)
      .on(sqs.SendMessageCommand)
      .rejects(new Error(`cannot reach ${TEST_QUEUE_URL}`));
    const event = postConfirmationEvent();

    // Act
    const thrown = await module.handler(event, fakeLambdaContext()).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assert
    expect(thrown).toBeInstanceOf(Error);
    const message = (thrown as Error).message;
    expect(message).toMatch(/confirmed/);
    for (const internal of [
      TEST_HEADER_SECRET,
      stub.url,
      '127.0.0.1',
      TEST_QUEUE_URL,
      '503',
      'db down',
    ]) {
      expect(message).not.toContain(internal);
    }
    expect(jsonLines(output.text())).toContainEqual(expect.objectContaining({ path: 'failed' }));
  });

  test('when the API rejects a registration and it is parked on the queue, then one log line reports it, saying so', async () => {
    // Arrange
    configure();
    stub.respondWith({ status: 400, body: { error: { code: 'invalid_request', message: 'no' } } });
    const { module, sqs } = await coldStart();
    stubbedSqs(sqs);
    const event = postConfirmationEvent();

    // Act
    await module.handler(event, fakeLambdaContext());

    // Assert
    const outcomeLines = jsonLines(output.text()).filter((line) => 'path' in line);
    expect(outcomeLines).toHaveLength(1);
    expect(outcomeLines[0]).toEqual(
      expect.objectContaining({
        level: 'ERROR',
        path: 'rejected',
        status: 400,
        parkedMessageId: 'message-1',
        sub: event.request.userAttributes['sub'],
      }),
    );
    expect(String(outcomeLines[0]?.message)).toMatch(/parked/);
    expect(String(outcomeLines[0]?.message)).not.toMatch(/not stored/);
  });

  test('when the configuration is invalid, then a sign-up throws a user-safe error and the log names the variable', async () => {
    // Arrange: API_URL missing
    configure({ API_URL: '' });
    const { module, sqs } = await coldStart();
    const sqsMock = stubbedSqs(sqs);

    // Act
    const thrown = await module.handler(postConfirmationEvent(), fakeLambdaContext()).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assert
    expect((thrown as Error).name).toBe('RegistrationUnavailableError');
    expect((thrown as Error).message).not.toContain('API_URL');
    expect(output.text()).toContain('API_URL');
    expect(sqsMock).not.toHaveReceivedAnyCommand();
  });

  test('when registrations take every path, then the header secret never appears in the output', async () => {
    // Arrange
    configure();
    const { module, sqs } = await coldStart();
    const sqsMock = stubbedSqs(sqs);
    const runs: PostConfirmationTriggerEvent[] = [];

    // Act: api, forbidden → queue, breaker → queue, then both failing
    stub.respondWith({ status: 201, body: {} });
    runs.push(await module.handler(postConfirmationEvent(), fakeLambdaContext()));
    stub.respondWith({ status: 403, body: { error: { code: 'forbidden', message: 'forbidden' } } });
    runs.push(await module.handler(postConfirmationEvent(), fakeLambdaContext()));
    runs.push(await module.handler(postConfirmationEvent(), fakeLambdaContext()));
    sqsMock.on(sqs.SendMessageCommand).rejects(new Error('queue down'));
    await module.handler(postConfirmationEvent(), fakeLambdaContext()).catch(() => undefined);

    // Assert
    expect(runs).toHaveLength(3);
    const text = output.text();
    expect(text).toContain('"path":"queue"');
    expect(text).not.toContain(TEST_HEADER_SECRET);
  });

  test('when an outcome listener is registered, then it sees the path each invocation took', async () => {
    // Arrange
    configure();
    const { module, sqs } = await coldStart();
    stubbedSqs(sqs);
    const seen: string[] = [];
    const stop = module.onRegistrationOutcome((outcome) => seen.push(outcome.path));

    // Act
    await module.handler(postConfirmationEvent(), fakeLambdaContext());
    stub.respondWith({ status: 500 });
    await module.handler(postConfirmationEvent(), fakeLambdaContext());
    stop();
    await module.handler(postConfirmationEvent(), fakeLambdaContext());

    // Assert
    expect(seen).toEqual(['api', 'queue']);
  });

  test('when one container handles several sign-ups, then it reads its configuration once and its breaker remembers the failure', async () => {
    // Arrange
    configure();
    stub.respondWith({ status: 503 });
    const { module, sqs } = await coldStart();
    stubbedSqs(sqs);
    await module.handler(postConfirmationEvent(), fakeLambdaContext());
    // A second read of the configuration would now fail, and the API would now answer.
    process.env['API_URL'] = '';
    stub.respondWith({ status: 201, body: {} });

    // Act
    const returned = await module.handler(postConfirmationEvent(), fakeLambdaContext());

    // Assert
    expect(returned).toBeDefined();
    expect(stub.requests).toHaveLength(1);
    const outcomes = jsonLines(output.text()).filter((line) => 'path' in line);
    expect(outcomes.map((line) => [line['path'], line['reason']])).toEqual([
      ['queue', 'unavailable'],
      ['queue', 'breaker_open'],
    ]);
  });

  test('when each path is taken, then its one line has its own level and message, with the duration', async () => {
    // Arrange
    configure();
    const { module, sqs } = await coldStart();
    const sqsMock = stubbedSqs(sqs);

    // Act: api, queue, skipped, rejected before any call, then failed
    await module.handler(postConfirmationEvent(), fakeLambdaContext());
    stub.respondWith({ status: 503 });
    await module.handler(postConfirmationEvent(), fakeLambdaContext());
    await module.handler(
      postConfirmationEvent({ triggerSource: 'PostConfirmation_ConfirmForgotPassword' }),
      fakeLambdaContext(),
    );
    await module.handler(postConfirmationEvent({ email: null }), fakeLambdaContext());
    sqsMock.on(sqs.SendMessageCommand).rejects(new Error('queue down'));
    await module.handler(postConfirmationEvent(), fakeLambdaContext()).catch(() => undefined);

    // Assert
    const outcomes = jsonLines(output.text()).filter((line) => 'path' in line);
    expect(outcomes.map((line) => [line['path'], line['level'], line['message']])).toEqual([
      ['api', 'INFO', 'Registration stored by the API'],
      ['queue', 'WARN', 'Registration queued for later delivery'],
      ['skipped', 'INFO', 'Not a sign-up confirmation; nothing to register'],
      ['rejected', 'ERROR', 'Registration rejected; not stored and not queued'],
      ['failed', 'ERROR', 'Registration not stored: neither the API nor the queue took it'],
    ]);
    for (const line of outcomes) expect(typeof line['durationMs']).toBe('number');
    expect(outcomes[3]).toEqual(
      expect.objectContaining({ reason: 'invalid_registration', field: 'email' }),
    );
  });

  test('when the fallback metric is published, then it counts the API path as 0, the queue and a double failure as 1, and nothing else', async () => {
    // Arrange
    configure();
    const { module, sqs } = await coldStart();
    const sqsMock = stubbedSqs(sqs);
    const metricValues = () =>
      jsonLines(output.text())
        .filter((line) => '_aws' in line)
        .map((line) => line['RegistrationFallbacks']);

    // Act
    await module.handler(postConfirmationEvent(), fakeLambdaContext());
    await module.handler(postConfirmationEvent({ email: null }), fakeLambdaContext());
    await module.handler(
      postConfirmationEvent({ triggerSource: 'PostConfirmation_ConfirmForgotPassword' }),
      fakeLambdaContext(),
    );
    stub.respondWith({ status: 503 });
    await module.handler(postConfirmationEvent(), fakeLambdaContext());
    sqsMock.on(sqs.SendMessageCommand).rejects(new Error('queue down'));
    await module.handler(postConfirmationEvent(), fakeLambdaContext()).catch(() => undefined);

    // Assert
    expect(metricValues()).toEqual([0, 1, 1]);
  });

  test('when the configuration is invalid, then no fallback is counted: nothing was sent anywhere', async () => {
    // Arrange
    configure({ QUEUE_URL: 'not a url' });
    const { module, sqs } = await coldStart();
    stubbedSqs(sqs);

    // Act
    await module.handler(postConfirmationEvent(), fakeLambdaContext()).catch(() => undefined);

    // Assert
    const lines = jsonLines(output.text());
    expect(lines.filter((line) => '_aws' in line)).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({ path: 'failed', reason: 'internal', level: 'ERROR' }),
    );
  });

  test('when an outcome listener throws, then the invocation still returns the event, and the listener saw the context', async () => {
    // Arrange
    configure();
    const { module, sqs } = await coldStart();
    stubbedSqs(sqs);
    const contexts: unknown[] = [];
    const stop = module.onRegistrationOutcome((_outcome, context) => {
      contexts.push(context);
      throw new Error('observer failed');
    });
    const event = postConfirmationEvent();
    const context = fakeLambdaContext();

    // Act
    const returned = await module.handler(event, context);
    stop();

    // Assert
    expect(returned).toBe(event);
    expect(contexts).toEqual([context]);
  });

  test.each([
    {
      kind: 'a password reset (skipped)',
      event: () =>
        postConfirmationEvent({ triggerSource: 'PostConfirmation_ConfirmForgotPassword' }),
      path: 'skipped',
    },
    {
      kind: 'a sign-up refused before any call',
      event: () => postConfirmationEvent({ email: null }),
      path: 'rejected',
    },
  ])(
    'when $kind is handled, then its one line names the sub and the time the invocation took',
    async ({ event: makeEvent, path }) => {
      // Arrange: the clock reads 1,000 when the invocation starts and 1,250 from then on
      configure();
      const { module } = await coldStart();
      const event = makeEvent();
      const context = fakeLambdaContext();
      let reads = 0;
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => (reads++ === 0 ? 1000 : 1250));

      // Act
      try {
        await module.handler(event, context);
      } finally {
        clock.mockRestore();
      }

      // Assert
      const [line] = jsonLines(output.text()).filter((entry) => 'path' in entry);
      expect(line).toEqual(
        expect.objectContaining({
          path,
          sub: event.request.userAttributes['sub'],
          durationMs: 250,
        }),
      );
    },
  );

  test('when an event that is not a sign-up carries no user attributes, then it still passes through', async () => {
    // Arrange
    const { module } = await coldStart();
    const event = postConfirmationEvent({
      triggerSource: 'PostConfirmation_ConfirmForgotPassword',
    });
    const bare = {
      ...event,
      request: {},
    } as unknown as PostConfirmationTriggerEvent;

    // Act
    const returned = await module.handler(bare, fakeLambdaContext());

    // Assert
    expect(returned).toBe(bare);
    expect(jsonLines(output.text())).toContainEqual(
      expect.objectContaining({ path: 'skipped', reason: 'not_sign_up' }),
    );
  });

  describe('with real SDK clients whose AWS endpoints fail every request', () => {
    let failing: http.Server;
    let endpoint: string;
    let requestsByTarget: Map<string, number>;

    beforeEach(async () => {
      requestsByTarget = new Map();
      // Answers every AWS JSON request with a retryable server error and counts it by operation.
      failing = http.createServer((request, response) => {
        const target = String(request.headers['x-amz-target']);
        requestsByTarget.set(target, (requestsByTarget.get(target) ?? 0) + 1);
        request.resume();
        request.on('end', () => {
          response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify({ __type: 'InternalFailure', message: 'try again' }));
        });
      });
      await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    });

    afterEach(async () => {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    });

    test('when the queue keeps failing, then the send is tried twice in all, leaving time for the answer to Cognito', async () => {
      // Arrange
      configure({
        QUEUE_URL: `${endpoint}/000000000000/registrations`,
        AWS_ENDPOINT_URL_SQS: endpoint,
      });
      stub.respondWith({ status: 503 });
      const { module } = await coldStart();

      // Act
      await module.handler(postConfirmationEvent(), fakeLambdaContext()).catch(() => undefined);

      // Assert
      expect(requestsByTarget.get('AmazonSQS.SendMessage')).toBe(2);
      expect(jsonLines(output.text())).toContainEqual(
        expect.objectContaining({ path: 'failed', reason: 'unavailable' }),
      );
    });

    test('when Secrets Manager keeps failing, then the header secret is requested twice in all', async () => {
      // Arrange
      configure({
        AUTH_HEADER_SECRET: '',
        AUTH_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      });
      const { module, sqs } = await coldStart();
      stubbedSqs(sqs);

      // Act
      await module.handler(postConfirmationEvent(), fakeLambdaContext());

      // Assert
      expect(requestsByTarget.get('secretsmanager.GetSecretValue')).toBe(2);
      expect(stub.requests).toHaveLength(0);
    });
  });

  describe('with a real SQS client whose SendMessage never answers', () => {
    let hangingSqs: http.Server;
    let queueUrl: string;

    beforeEach(async () => {
      // Accepts the connection and the request, then never says a word.
      hangingSqs = http.createServer(() => undefined);
      await new Promise<void>((resolve) => hangingSqs.listen(0, '127.0.0.1', resolve));
      const { port } = hangingSqs.address() as AddressInfo;
      queueUrl = `http://127.0.0.1:${port}/000000000000/registrations`;
    });

    afterEach(async () => {
      hangingSqs.closeAllConnections();
      await new Promise((resolve) => hangingSqs.close(resolve));
    });

    test('when the API is down and the queue hangs, then the handler gives up within the remaining time and reports failed', async () => {
      // Arrange: the real SDK client from the handler module, talking to the hanging server
      configure({ QUEUE_URL: queueUrl, AWS_ENDPOINT_URL_SQS: queueUrl.replace(/\/0000.*$/, '') });
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
      stub.respondWith({ status: 503 });
      const { module } = await coldStart();
      const budgetMs = 2500;
      const context = fakeLambdaContext({ budgetMs });

      // Act
      const started = performance.now();
      const thrown = await module.handler(postConfirmationEvent(), context).then(
        () => undefined,
        (error: unknown) => error,
      );
      const durationMs = performance.now() - started;

      // Assert
      expect((thrown as Error).name).toBe('RegistrationUnavailableError');
      expect(durationMs).toBeLessThan(budgetMs);
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      expect(jsonLines(output.text())).toContainEqual(
        expect.objectContaining({ path: 'failed', reason: 'unavailable' }),
      );
    });
  });
});
