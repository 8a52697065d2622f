import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Context, PostConfirmationTriggerEvent } from 'aws-lambda';
import { PRODUCER_TIMEOUT_MS } from '#contract/delivery';
import type { RegistrationOutcome } from '../../producer/registration-outcome';
import { createLambdaContext } from './lambda-context';

/** The producer's handler, or anything shaped like it (a test's failing stand-in). */
export type TriggerHandler = (
  event: PostConfirmationTriggerEvent,
  context: Context,
) => Promise<unknown>;

/** `onRegistrationOutcome` of `producer/handler.ts`: subscribes, returns an unsubscribe. */
export type ObserveOutcomes = (
  listener: (outcome: RegistrationOutcome, context: Context) => void,
) => () => void;

/** An error as Lambda reports it (`X-Amz-Function-Error: Unhandled`). */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** What one invocation did, as far as a caller outside the function can tell. */
export interface ProducerInvocation {
  requestId: string;
  functionName: string;
  triggerSource: string;
  sub: string | undefined;
  /** The event as the function received it. */
  event: PostConfirmationTriggerEvent;
  /** Epoch ms when the invocation started. */
  startedAt: number;
  /** Until the handler settled, or until the deadline when it timed out. */
  durationMs: number;
  /** `ok`: returned; `error`: threw; `timeout`: still running at the deadline. */
  status: 'ok' | 'error' | 'timeout';
  /**
   * What the producer reported for this invocation. Absent when the handler threw before
   * reporting, or when it timed out; a timed-out run that finishes later fills it in then, as a
   * run that Lambda let finish after Cognito gave up would have had its effect.
   */
  outcome?: RegistrationOutcome;
  /** The returned value (status `ok`). */
  result?: unknown;
  /** The error (status `error` or `timeout`). */
  error?: LambdaError;
}

export interface ProducerInvokerOptions {
  handler: TriggerHandler;
  /** Where the handler reports outcomes; without it, invocations carry no `outcome`. */
  observeOutcomes?: ObserveOutcomes;
  functionName?: string;
  /** The function's timeout (the deadline in the context). @default 5000, as deployed */
  timeoutMs?: number;
}

export interface ProducerInvoker {
  /**
   * Runs the handler once as Lambda would: a fresh context with a real deadline, the result or
   * the error (a run still going at the deadline is a timeout), and the outcome it reported.
   */
  invoke(event: PostConfirmationTriggerEvent): Promise<ProducerInvocation>;
  /** Stops observing outcomes. */
  close(): void;
}

/** Lambda's error body for an exception that escaped the handler. */
export function lambdaErrorOf(error: unknown): LambdaError {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n').slice(1, 11),
    };
  }
  return { errorType: 'Error', errorMessage: String(error) };
}

/** Calls a trigger handler the way Lambda does, and collects what each call did. */
export function createProducerInvoker({
  handler,
  observeOutcomes,
  functionName = 'producer',
  timeoutMs = PRODUCER_TIMEOUT_MS,
}: ProducerInvokerOptions): ProducerInvoker {
  const pending = new Map<string, ProducerInvocation>();
  const stopObserving = observeOutcomes?.((outcome, context) => {
    const invocation = pending.get(context.awsRequestId);
    if (invocation) invocation.outcome = outcome;
  });

  const invoke = async (event: PostConfirmationTriggerEvent): Promise<ProducerInvocation> => {
    const requestId = randomUUID();
    const invocation: ProducerInvocation = {
      requestId,
      functionName,
      triggerSource: event.triggerSource,
      sub: event.request?.userAttributes?.['sub'],
      event,
      startedAt: Date.now(),
      durationMs: 0,
      status: 'ok',
    };
    pending.set(requestId, invocation);
    const context = createLambdaContext({ functionName, timeoutMs, awsRequestId: requestId });
    const startedAt = performance.now();
    const settled = (async () => handler(event, context))().then(
      (result) => ({ status: 'ok' as const, result }),
      (error: unknown) => ({ status: 'error' as const, error: lambdaErrorOf(error) }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([settled, deadline]);
    clearTimeout(timer);
    invocation.durationMs = performance.now() - startedAt;
    if (first === 'timeout') {
      invocation.status = 'timeout';
      invocation.error = {
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
      };
      // Keep listening until the run really ends, then forget it.
      void settled.then(() => pending.delete(requestId));
    } else {
      pending.delete(requestId);
      invocation.status = first.status;
      if (first.status === 'ok') invocation.result = first.result;
      else invocation.error = first.error;
    }
    return invocation;
  };

  return { invoke, close: () => stopObserving?.() };
}

/**
 * Runs `task` for every item, at most `concurrency` at a time, and resolves with the results in
 * the items' order. A rejected task rejects the whole run; tasks that must not fail the run
 * catch their own errors (as `ProducerInvoker.invoke` does).
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  return results;
}
