import type { ChildProcess, StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { TRIGGER_TIMEOUT_MS } from '#contract/delivery';
import { spawnLinkedEntry, stopChild } from './child-process';

/** The local pool's id: fixed, so `.data/local-pipeline.json` and a reconciler can name it. */
export const LOCAL_USER_POOL_ID = 'us-east-1_LocalSync';
/** Its app client (no secret, as the deployed one). */
export const LOCAL_USER_POOL_CLIENT_ID = 'localsyncclient00000000001';
/** Every confirmation code the local pool sends (cognito-local's CODE): `npm run signup` uses it. */
export const LOCAL_CONFIRMATION_CODE = '123456';
/** The Lambda function name the pool's PostConfirmation trigger invokes. */
export const LOCAL_TRIGGER_FUNCTION_NAME = 'cognito-user-sync-producer';
/** cognito-local's own default port. */
export const DEFAULT_LOCAL_COGNITO_PORT = 9229;
/** Where `npm start` keeps the pool (its users survive restarts, as the database's rows do). */
export const DEFAULT_LOCAL_COGNITO_DIR = path.join('.data', 'cognito-local');
/** The region the local pool, its ids and the SDK clients pointed at it use. */
export const LOCAL_COGNITO_REGION = 'us-east-1';

/** Dummy credentials: cognito-local checks none, but the SDKs insist on signing. */
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalUserPoolOptions {
  /** Working directory for cognito-local (it keeps `.cognito/` there). */
  directory: string;
  /** 0 picks a free port. */
  port: number;
  /** The Lambda Invoke endpoint the trigger calls (the local Lambda endpoint). */
  lambdaEndpoint: string;
  functionName: string;
  /** PATH and the like for the child; nothing else of the caller's environment is needed. */
  env: NodeJS.ProcessEnv;
  /** @default 'inherit' */
  stdio?: StdioOptions;
}

export interface LocalUserPool {
  /** `http://127.0.0.1:<port>`: the SDK's `endpoint` (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER). */
  endpoint: string;
  userPoolId: string;
  userPoolClientId: string;
  confirmationCode: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * cognito-local's `.cognito/config.json`, set on purpose where its defaults differ from Cognito or
 * from the deployed pool (stacks/user-pool.ts):
 * - the trigger's Lambda client gives up after Cognito's 5 s and never retries (its default
 *   waits 120 s and retries 3 times);
 * - sign-in by e-mail (`UsernameAttributes: ["email"]`), as the deployed pool's `signInAliases`,
 *   so a user's username is its `sub`; the same password policy;
 * - it listens on 127.0.0.1 only.
 */
export function userPoolConfig(
  options: Pick<LocalUserPoolOptions, 'port' | 'lambdaEndpoint' | 'functionName'>,
): Record<string, unknown> {
  return {
    LambdaClient: {
      endpoint: options.lambdaEndpoint,
      region: LOCAL_COGNITO_REGION,
      credentials: localCredentials,
      maxRetries: 0,
      httpOptions: { connectTimeout: 1000, timeout: TRIGGER_TIMEOUT_MS },
    },
    TriggerFunctions: { PostConfirmation: options.functionName },
    UserPoolDefaults: {
      UsernameAttributes: ['email'],
      Name: 'cognito-user-sync-local',
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireUppercase: true,
          RequireLowercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
        },
      },
    },
    TokenConfig: { IssuerDomain: `http://127.0.0.1:${options.port}` },
    ServerConfig: { hostname: '127.0.0.1', port: options.port, https: false },
  };
}

/**
 * Writes the configuration and the app client (every time, so the ids stay fixed) and an empty
 * pool of the fixed id unless one exists: users signed up in an earlier run stay in the pool,
 * as their rows stay in the database.
 */
export async function writeUserPoolFiles(
  options: Pick<LocalUserPoolOptions, 'directory' | 'port' | 'lambdaEndpoint' | 'functionName'>,
): Promise<void> {
  const configDirectory = path.join(options.directory, '.cognito');
  const dataDirectory = path.join(configDirectory, 'db');
  await mkdir(dataDirectory, { recursive: true });
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path.join(configDirectory, 'config.json'), json(userPoolConfig(options)));
  const now = new Date().toISOString();
  await writeFile(
    path.join(dataDirectory, 'clients.json'),
    json({
      Clients: {
        [LOCAL_USER_POOL_CLIENT_ID]: {
          ClientId: LOCAL_USER_POOL_CLIENT_ID,
          ClientName: 'cognito-user-sync-local',
          UserPoolId: LOCAL_USER_POOL_ID,
          ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
          CreationDate: now,
          LastModifiedDate: now,
        },
      },
    }),
  );
  const poolFile = path.join(dataDirectory, `${LOCAL_USER_POOL_ID}.json`);
  // The pool's options come from UserPoolDefaults above on every start; only users are stored.
  if (!existsSync(poolFile)) {
    await writeFile(poolFile, json({ Users: {} }));
    return;
  }
  try {
    JSON.parse(await readFile(poolFile, 'utf8'));
  } catch {
    throw new Error(
      `${poolFile} is not valid JSON; delete it to start with an empty local user pool`,
    );
  }
}

/**
 * Starts cognito-local (its own process, linked to this one so it never outlives it) with the
 * pool and app client of fixed ids, its PostConfirmation trigger pointed at `lambdaEndpoint`.
 */
export async function startLocalUserPool(options: LocalUserPoolOptions): Promise<LocalUserPool> {
  const directory = path.resolve(options.directory);
  await writeUserPoolFiles({ ...options, directory });
  const { child, port } = await spawnLinkedEntry(
    path.resolve(__dirname, 'local-user-pool-main.ts'),
    {
      env: {
        ...options.env,
        LOCAL_COGNITO_DIR: directory,
        LOCAL_COGNITO_PORT: String(options.port),
        // cognito-local sends this code with every sign-up instead of a random one.
        CODE: LOCAL_CONFIRMATION_CODE,
      },
      stdio: options.stdio ?? 'inherit',
    },
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    userPoolId: LOCAL_USER_POOL_ID,
    userPoolClientId: LOCAL_USER_POOL_CLIENT_ID,
    confirmationCode: LOCAL_CONFIRMATION_CODE,
    child,
    stop: async () => {
      await stopChild(child, { timeoutMs: 5000 });
    },
  };
}

/**
 * An SDK client for the local user pool at `endpoint`. cognito-local checks no signatures, but
 * the SDK will not sign without some credentials. One attempt per call, as the reconciler's own
 * client: the caller (the pager, a test) decides about retries, and a failure shows at once.
 */
export function localUserPoolClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: LOCAL_COGNITO_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}
