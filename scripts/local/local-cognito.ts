import type { StdioOptions } from 'node:child_process';
import { exitOf } from './child-process';
import { startLocalLambdaProcess, type LocalLambdaProcess } from './local-lambda';
import {
  DEFAULT_LOCAL_COGNITO_DIR,
  DEFAULT_LOCAL_COGNITO_PORT,
  LOCAL_TRIGGER_FUNCTION_NAME,
  startLocalUserPool,
  type LocalUserPool,
} from './local-user-pool';

/** Default port of the local Lambda Invoke endpoint (the trigger's target). */
export const DEFAULT_LOCAL_LAMBDA_PORT = 9230;

/** Where the producer behind the trigger sends registrations: what its Lambda environment holds. */
export interface ProducerTargets {
  apiUrl: string;
  queueUrl: string;
  sqsEndpoint: string;
  region: string;
  headerName: string;
  headerSecret: string;
}

export interface LocalCognitoOptions {
  /** PATH, credentials and the LOCAL_* settings; producer settings come from `targets`. */
  env: NodeJS.ProcessEnv;
  targets: ProducerTargets;
  /** @default 'inherit' */
  stdio?: StdioOptions;
  log?: (line: string) => void;
}

export interface LocalCognito {
  lambda: LocalLambdaProcess;
  pool: LocalUserPool;
  /** Resolves when either process exits, with its name and exit code. */
  readonly exited: Promise<{ name: 'user-pool' | 'lambda'; code: number | NodeJS.Signals }>;
  /** The pool first (no new triggers), then the Lambda endpoint. */
  stop(): Promise<void>;
}

const portFrom = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new Error(`${name}: must be a port number`);
  }
  return parsed;
};

/**
 * The local user pool (cognito-local) and the Lambda Invoke endpoint its PostConfirmation trigger
 * calls, which runs the real producer handler with `targets` as its environment. Ports from
 * LOCAL_COGNITO_PORT (default 9229) and LOCAL_LAMBDA_PORT (default 9230), 0 for any free one;
 * the pool's files in LOCAL_COGNITO_DIR (default `.data/cognito-local`).
 */
export async function startLocalCognito({
  env,
  targets,
  stdio = 'inherit',
  log = () => undefined,
}: LocalCognitoOptions): Promise<LocalCognito> {
  const cognitoPort = portFrom(
    env['LOCAL_COGNITO_PORT'],
    DEFAULT_LOCAL_COGNITO_PORT,
    'LOCAL_COGNITO_PORT',
  );
  const lambdaPort = portFrom(
    env['LOCAL_LAMBDA_PORT'],
    DEFAULT_LOCAL_LAMBDA_PORT,
    'LOCAL_LAMBDA_PORT',
  );
  const childEnv: NodeJS.ProcessEnv = {
    PATH: env['PATH'],
    HOME: env['HOME'],
    // cognito-local's aws-sdk v2 would print its end-of-support notice on every start.
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
  const lambda = await startLocalLambdaProcess({
    functionName: LOCAL_TRIGGER_FUNCTION_NAME,
    port: lambdaPort,
    stdio,
    env: {
      ...childEnv,
      API_URL: targets.apiUrl,
      QUEUE_URL: targets.queueUrl,
      AUTH_HEADER_NAME: targets.headerName,
      AUTH_HEADER_SECRET: targets.headerSecret,
      AWS_ENDPOINT_URL_SQS: targets.sqsEndpoint,
      AWS_REGION: targets.region,
      // The local SQS server checks no signatures, but the SDK will not sign without some.
      AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'] || 'local',
      AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'] || 'local',
      // Metrics are for CloudWatch; locally the fallbacks and failures are what is worth a line.
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: env['POWERTOOLS_LOG_LEVEL'] || 'WARN',
    },
  });
  log(`lambda: ${lambda.endpoint} runs producer/handler.ts as "${lambda.functionName}"`);
  let pool: LocalUserPool;
  try {
    pool = await startLocalUserPool({
      directory: env['LOCAL_COGNITO_DIR'] || DEFAULT_LOCAL_COGNITO_DIR,
      port: cognitoPort,
      lambdaEndpoint: lambda.endpoint,
      functionName: lambda.functionName,
      env: { ...childEnv, LOCAL_COGNITO_LOG_LEVEL: env['LOCAL_COGNITO_LOG_LEVEL'] },
      stdio,
    });
  } catch (error) {
    await lambda.stop();
    const code = (error as { code?: unknown }).code;
    throw code === 'EADDRINUSE'
      ? new Error(`port ${cognitoPort} is in use: stop what holds it or set LOCAL_COGNITO_PORT`)
      : error;
  }
  log(`user pool: ${pool.endpoint} pool ${pool.userPoolId} client ${pool.userPoolClientId}`);

  let stopping: Promise<void> | undefined;
  return {
    lambda,
    pool,
    exited: Promise.race([
      exitOf(pool.child).then((code) => ({ name: 'user-pool' as const, code })),
      exitOf(lambda.child).then((code) => ({ name: 'lambda' as const, code })),
    ]),
    stop: () =>
      (stopping ??= (async () => {
        await pool.stop();
        await lambda.stop();
      })()),
  };
}
