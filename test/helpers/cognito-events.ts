import { randomUUID } from 'node:crypto';
import type { Context, PostConfirmationTriggerEvent } from 'aws-lambda';

export const TEST_USER_POOL_ID = 'eu-west-1_TestPool1';
/** Cognito gives a trigger 5 s; the fake context counts down from this by default. */
export const COGNITO_TRIGGER_BUDGET_MS = 5000;

export interface PostConfirmationEventOptions {
  triggerSource?: PostConfirmationTriggerEvent['triggerSource'];
  sub?: string;
  email?: string | null;
  /** Merged over the defaults; `null` removes a default attribute. */
  attributes?: Record<string, string | null>;
}

/**
 * A PostConfirmation event shaped like Cognito's, for a new user with a random `sub` and an
 * email derived from it, so every call creates distinct data.
 */
export function postConfirmationEvent(
  options: PostConfirmationEventOptions = {},
): PostConfirmationTriggerEvent {
  const sub = options.sub ?? randomUUID();
  const email = options.email === undefined ? `user-${sub}@example.com` : options.email;
  const attributes: Record<string, string | null> = {
    sub,
    email_verified: 'true',
    'cognito:user_status': 'CONFIRMED',
    ...(email === null ? {} : { email }),
    ...options.attributes,
  };
  const userAttributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null) userAttributes[name] = value;
  }
  return {
    version: '1',
    region: 'eu-west-1',
    userPoolId: TEST_USER_POOL_ID,
    triggerSource: options.triggerSource ?? 'PostConfirmation_ConfirmSignUp',
    userName: sub,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'test-client-id' },
    request: { userAttributes },
    response: {},
  };
}

export interface FakeLambdaContextOptions {
  /** Time until the deadline, counted from creation. @default 5000 */
  budgetMs?: number;
  /** The clock the deadline is measured with. @default Date.now */
  now?: () => number;
  awsRequestId?: string;
}

/** A Lambda context whose `getRemainingTimeInMillis()` counts down from `budgetMs`. */
export function fakeLambdaContext(options: FakeLambdaContextOptions = {}): Context {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.budgetMs ?? COGNITO_TRIGGER_BUDGET_MS);
  const unsupported = (): never => {
    throw new Error('legacy callback methods are not supported by this fake context');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'producer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:producer',
    memoryLimitInMB: '256',
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: '/aws/lambda/producer',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
