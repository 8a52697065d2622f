import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  functionName: string;
  /** The function's timeout: the deadline is this long after the context is created. */
  timeoutMs: number;
  awsRequestId?: string;
  /** The clock the deadline is measured with. @default Date.now */
  now?: () => number;
  region?: string;
}

/**
 * The context Lambda hands a Node.js handler, with a real deadline: `getRemainingTimeInMillis()`
 * counts down from the function's timeout, as the producer's time budget expects.
 */
export function createLambdaContext({
  functionName,
  timeoutMs,
  awsRequestId = randomUUID(),
  now = Date.now,
  region = 'us-east-1',
}: LambdaContextOptions): Context {
  const deadline = now() + timeoutMs;
  const unsupported = (): never => {
    throw new Error('the legacy callback methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
