/**
 * The local Lambda Invoke endpoint answers as Lambda does, with a real deadline, and records
 * every invocation's outcome; its process never outlives the one that started it.
 */
import path from 'node:path';
import type { Context, PostConfirmationTriggerEvent } from 'aws-lambda';
import type { RegistrationOutcome } from '../../../producer/registration-outcome';
import { exitOf, spawnLinkedEntry, stopChild } from '../../../scripts/local/child-process';
import {
  fetchInvocations,
  startLocalLambda,
  type LocalLambda,
} from '../../../scripts/local/local-lambda';
import {
  createProducerInvoker,
  type ObserveOutcomes,
  type TriggerHandler,
} from '../../../scripts/local/producer-invocations';
import { postConfirmationEvent } from '../../helpers/cognito-events';
import { waitFor } from '../../helpers/wait-for';

const FUNCTION_NAME = 'test-producer';
const TIMEOUT_MS = 400;

/** A stand-in handler that each event's email steers, reporting outcomes as the producer does. */
function scriptedHandler(): { handler: TriggerHandler; observe: ObserveOutcomes; seen: Context[] } {
  const listeners = new Set<(outcome: RegistrationOutcome, context: Context) => void>();
  const seen: Context[] = [];
  const handler: TriggerHandler = async (event: PostConfirmationTriggerEvent, context) => {
    seen.push(context);
    const sub = event.request.userAttributes['sub'] ?? '';
    const email = event.request.userAttributes['email'] ?? '';
    if (email.startsWith('throw')) throw new TypeError('boom');
    if (email.startsWith('hang')) {
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    }
    for (const listener of listeners) {
      listener({ path: 'api', sub, status: 201, created: true }, context);
    }
    return event;
  };
  const observe: ObserveOutcomes = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return { handler, observe, seen };
}

const invokeUrl = (lambda: LocalLambda, name = FUNCTION_NAME): string =>
  `${lambda.endpoint}/2015-03-31/functions/${name}/invocations`;

async function invoke(
  lambda: LocalLambda,
  event: unknown,
): Promise<{ status: number; functionError: string | null; body: Record<string, unknown> }> {
  const response = await fetch(invokeUrl(lambda), { method: 'POST', body: JSON.stringify(event) });
  return {
    status: response.status,
    functionError: response.headers.get('x-amz-function-error'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('local Lambda endpoint', () => {
  const scripted = scriptedHandler();
  let lambda: LocalLambda;

  beforeAll(async () => {
    lambda = await startLocalLambda({
      invoker: createProducerInvoker({
        handler: scripted.handler,
        observeOutcomes: scripted.observe,
        functionName: FUNCTION_NAME,
        timeoutMs: TIMEOUT_MS,
      }),
      functionName: FUNCTION_NAME,
    });
  });
  afterAll(() => lambda.stop());

  it('when the handler returns, then the payload is its result and the outcome is recorded, from a context with a real deadline', async () => {
    const event = postConfirmationEvent();
    const sub = event.request.userAttributes['sub'];

    const answer = await invoke(lambda, event);

    expect(answer).toEqual({ status: 200, functionError: null, body: event });
    const [record] = await fetchInvocations(lambda.endpoint, { sub });
    expect(record).toMatchObject({ status: 'ok', outcome: { path: 'api', sub }, sub });
    const context = scripted.seen.find((seen) => seen.awsRequestId === record?.requestId);
    expect(context?.functionName).toBe(FUNCTION_NAME);
    const remainingMs = context?.getRemainingTimeInMillis() ?? -1;
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(TIMEOUT_MS);
    await waitFor(() => context?.getRemainingTimeInMillis() === 0, {
      timeoutMs: TIMEOUT_MS * 4,
      intervalMs: 20,
      what: 'the deadline to pass',
    });
  });

  it('when the handler throws, then Lambda reports an Unhandled function error with its type and message', async () => {
    const event = postConfirmationEvent({ email: 'throw@example.com' });

    const answer = await invoke(lambda, event);

    expect(answer.status).toBe(200);
    expect(answer.functionError).toBe('Unhandled');
    expect(answer.body).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    const [record] = await fetchInvocations(lambda.endpoint, {
      sub: event.request.userAttributes['sub'],
    });
    expect(record).toMatchObject({ status: 'error', error: { errorType: 'TypeError' } });
    expect(record?.outcome).toBeUndefined();
  });

  it('when the handler outlives the function timeout, then the answer is a timeout at the deadline, and the late outcome is recorded', async () => {
    const event = postConfirmationEvent({ email: 'hang@example.com' });
    const sub = event.request.userAttributes['sub'];
    const startedAt = Date.now();

    const answer = await invoke(lambda, event);

    const elapsedMs = Date.now() - startedAt;
    expect(answer.functionError).toBe('Unhandled');
    expect(answer.body).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS * 2);
    const [atDeadline] = await fetchInvocations(lambda.endpoint, { sub });
    expect(atDeadline).toMatchObject({ status: 'timeout' });
    expect(atDeadline?.outcome).toBeUndefined();
    await waitFor(async () => (await fetchInvocations(lambda.endpoint, { sub }))[0]?.outcome, {
      timeoutMs: 5000,
      what: 'the late outcome',
    });
  });

  it('when another function or a malformed payload is invoked, then Lambda service errors answer', async () => {
    const unknown = await fetch(invokeUrl(lambda, 'someone-else'), { method: 'POST', body: '{}' });
    const malformed = await fetch(invokeUrl(lambda), { method: 'POST', body: '{not json' });

    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
  });
});

describe('a linked local service', () => {
  it('when the process that started it goes away, then it exits rather than linger holding its port', async () => {
    const { child } = await spawnLinkedEntry(
      path.resolve(__dirname, '../../../scripts/local/local-lambda-main.ts'),
      {
        env: {
          PATH: process.env['PATH'],
          LOCAL_LAMBDA_PORT: '0',
          LOCAL_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
        },
        stdio: 'ignore',
      },
    );
    try {
      // What the child sees when its parent dies, even by SIGKILL: the channel closes.
      child.disconnect();

      expect(await exitOf(child)).toBe(0);
    } finally {
      await stopChild(child, { timeoutMs: 1000 });
    }
  }, 60_000);
});
