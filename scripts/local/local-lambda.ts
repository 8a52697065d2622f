import type { ChildProcess, StdioOptions } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { spawnLinkedEntry, stopChild } from './child-process';
import type { ProducerInvocation, ProducerInvoker } from './producer-invocations';

/** The path of `GET` that lists recorded invocations (`?sub=…&triggerSource=…` filter them). */
export const INVOCATIONS_PATH = '/local/invocations';
/** Enough for any local run; the oldest records go first beyond it. */
const MAX_RECORDS = 100_000;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface LocalLambdaOptions {
  /** Runs each invocation (the producer handler with a real deadline). */
  invoker: ProducerInvoker;
  /** The name this endpoint answers to (also accepted as a function ARN's last part). */
  functionName: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
}

export interface LocalLambda {
  /** `http://127.0.0.1:<port>`: a Lambda client's `endpoint`. */
  endpoint: string;
  port: number;
  functionName: string;
  /** Every invocation so far, oldest first (a timed-out one gains its outcome when it ends). */
  invocations(): readonly ProducerInvocation[];
  stop(): Promise<void>;
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const sendJson = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
};

/** A Lambda service error (not a function error): `x-amzn-ErrorType` names it. */
const sendServiceError = (
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
): void => sendJson(response, status, { Type: 'User', message }, { 'x-amzn-ErrorType': type });

/** `name`, `name:qualifier`, or a function ARN: the function's name. */
const functionNameOf = (raw: string): string => {
  const decoded = decodeURIComponent(raw);
  const afterArn = decoded.includes(':function:') ? decoded.split(':function:')[1] : decoded;
  return (afterArn ?? '').split(':')[0] ?? '';
};

/**
 * The AWS Lambda Invoke API for one function, on 127.0.0.1: what cognito-local calls for the
 * PostConfirmation trigger. It answers as Lambda does (the handler's result as the payload, or
 * `X-Amz-Function-Error: Unhandled` with `errorType`/`errorMessage`, a timeout included) and
 * records every invocation, so a driver such as `npm run signup` learns each trigger's outcome
 * from here rather than from a log or from Cognito, which swallows trigger failures locally.
 */
export async function startLocalLambda({
  invoker,
  functionName,
  port = 0,
}: LocalLambdaOptions): Promise<LocalLambda> {
  const records: ProducerInvocation[] = [];

  const invoke = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    if (invocationType !== 'RequestResponse') {
      sendServiceError(
        response,
        400,
        'InvalidParameterValueException',
        `Only RequestResponse invocations are served locally, not ${String(invocationType)}`,
      );
      return;
    }
    let event: PostConfirmationTriggerEvent;
    try {
      event = JSON.parse(await readBody(request)) as PostConfirmationTriggerEvent;
    } catch {
      sendServiceError(
        response,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json',
      );
      return;
    }
    const invocation = await invoker.invoke(event);
    records.push(invocation);
    if (records.length > MAX_RECORDS) records.shift();
    const headers = {
      'x-amz-executed-version': '$LATEST',
      'x-amzn-requestid': invocation.requestId,
    };
    if (invocation.status === 'ok') {
      sendJson(response, 200, invocation.result ?? null, headers);
    } else {
      sendJson(response, 200, invocation.error, {
        ...headers,
        'x-amz-function-error': 'Unhandled',
      });
    }
  };

  const list = (url: URL, response: ServerResponse): void => {
    const sub = url.searchParams.get('sub');
    const triggerSource = url.searchParams.get('triggerSource');
    const matching = records.filter(
      (record) =>
        (sub === null || record.sub === sub) &&
        (triggerSource === null || record.triggerSource === triggerSource),
    );
    sendJson(response, 200, { invocations: matching });
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const match = INVOKE_PATH.exec(url.pathname);
    if (request.method === 'POST' && match) {
      if (functionNameOf(match[1] ?? '') !== functionName) {
        sendServiceError(
          response,
          404,
          'ResourceNotFoundException',
          `Function not found: ${match[1] ?? ''}`,
        );
        return;
      }
      invoke(request, response).catch((error: unknown) => {
        sendServiceError(response, 500, 'ServiceException', String(error));
      });
    } else if (request.method === 'GET' && url.pathname === INVOCATIONS_PATH) {
      list(url, response);
    } else {
      sendServiceError(response, 404, 'UnknownOperationException', 'Unknown operation');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    functionName,
    invocations: () => records,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        invoker.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The invocations a running local Lambda endpoint recorded for a user (any trigger source). */
export async function fetchInvocations(
  endpoint: string,
  filter: { sub?: string; triggerSource?: string } = {},
): Promise<ProducerInvocation[]> {
  const url = new URL(INVOCATIONS_PATH, endpoint);
  for (const [name, value] of Object.entries(filter)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${url.pathname} answered ${response.status}`);
  return ((await response.json()) as { invocations: ProducerInvocation[] }).invocations;
}

export interface LocalLambdaProcess {
  endpoint: string;
  functionName: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs the producer behind the local Lambda endpoint in a process of its own
 * (`local-lambda-main.ts`), configured by `env` as the deployed function is by its environment,
 * and linked to this process so it never outlives it.
 */
export async function startLocalLambdaProcess({
  env,
  functionName,
  port,
  stdio = 'inherit',
}: {
  env: NodeJS.ProcessEnv;
  functionName: string;
  /** 0 picks a free port. */
  port: number;
  stdio?: StdioOptions;
}): Promise<LocalLambdaProcess> {
  const { child, port: actualPort } = await spawnLinkedEntry(
    path.resolve(__dirname, 'local-lambda-main.ts'),
    {
      env: { ...env, LOCAL_LAMBDA_PORT: String(port), LOCAL_LAMBDA_FUNCTION_NAME: functionName },
      stdio,
    },
  );
  return {
    endpoint: `http://127.0.0.1:${actualPort}`,
    functionName,
    child,
    stop: async () => {
      await stopChild(child, { timeoutMs: 10_000 });
    },
  };
}
