import type { ChildProcess, StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadDatabaseConfig } from '../../api/database-config';
import { exitOf, spawnEntry, stopChild } from './child-process';
import {
  startEmbeddedDatabaseServer,
  type EmbeddedDatabaseServer,
} from './embedded-database-server';
import { startLocalCognito, type LocalCognito } from './local-cognito';
import { startLocalSqs, type LocalSqs } from './local-sqs';
import { loadLocalPipelineConfig, type LocalPipelineConfig } from './pipeline-config';
import {
  LOCAL_PIPELINE_FILE,
  removePipelineSettings,
  writePipelineSettings,
  type LocalPipelineSettings,
} from './pipeline-settings';

/** Name of the local registration queue (its DLQ is `<name>-dlq`). */
export const LOCAL_QUEUE_NAME = 'registrations';
const READY_TIMEOUT_MS = 60_000;

export interface LocalPipelineOptions {
  /** Settings come from here, as from `npm start`'s environment. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Where the children's output goes. @default 'inherit' */
  stdio?: StdioOptions;
  /** Progress lines (never secrets). @default silent */
  log?: (line: string) => void;
  /** Where the settings for `npm run signup` go; `false` writes none. @default LOCAL_PIPELINE_FILE */
  settingsFile?: string | false;
}

export interface LocalPipeline {
  /** What was read from the environment at start. */
  config: LocalPipelineConfig;
  settings: LocalPipelineSettings;
  /** The in-process queue server, when one was started. */
  localSqs: LocalSqs | undefined;
  /**
   * The embedded database, opened in this process and served on a loopback port to the API,
   * the migrations and other clients; undefined when DATABASE_URL (or an external API) is used.
   */
  embeddedDatabase: EmbeddedDatabaseServer | undefined;
  /** The API child, when this pipeline started one (the newest one after a restart). */
  readonly api: ChildProcess | undefined;
  consumer: ChildProcess;
  /** Which parts are real services from the environment rather than started here. */
  external: { database: boolean; queue: boolean; api: boolean };
  /** The local user pool and the Lambda endpoint its trigger calls. */
  cognito: LocalCognito;
  /** Resolves when any current child exits (for whatever reason) with its name and exit code. */
  readonly childExit: Promise<{
    name: 'api' | 'consumer' | 'user-pool' | 'lambda';
    code: number | NodeJS.Signals;
  }>;
  /** Starts the API child again on the same database and secret, resolving once it is ready. */
  restartApi(): Promise<void>;
  /**
   * The user pool and its trigger first, then the consumer (drain in-flight), the API, the
   * embedded database, the queue server; idempotent.
   */
  stop(): Promise<void>;
}

/** 36 random bytes in base64url: 48 characters, none of them a comma or a space. */
export const generateHeaderSecret = (): string => randomBytes(36).toString('base64url');

/** What may be printed of a secret: enough to tell two runs apart. */
export const maskSecret = (secret: string): string => `${secret.slice(0, 4)}…`;

async function waitForReady(url: string, child: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void (child ? exitOf(child).then(() => (exited = true)) : undefined);
  for (;;) {
    if (exited) throw new Error('the API exited before it was ready (see its log above)');
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The whole pipeline on one machine: an SQS-compatible server with queue + DLQ (redrive
 * policy), migrations, the API and the consumer as child processes sharing a header secret
 * generated for this run. Real services replace the local ones when the environment names
 * them: `DATABASE_URL` (passed to the API), `QUEUE_URL` + `DLQ_URL` + `AWS_ENDPOINT_URL_SQS`,
 * `API_URL` + `AUTH_HEADER_SECRET`.
 */
export async function startLocalPipeline({
  env = process.env,
  stdio = 'inherit',
  log = () => undefined,
  settingsFile = LOCAL_PIPELINE_FILE,
}: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const config = loadLocalPipelineConfig(env);
  const { headerName, maxReceiveCount } = config;
  const externalApi = Boolean(env['API_URL']);
  const externalQueue = Boolean(env['QUEUE_URL'] && env['AWS_ENDPOINT_URL_SQS']);
  if (externalApi && !env['AUTH_HEADER_SECRET']) {
    throw new Error('API_URL is set: AUTH_HEADER_SECRET must hold the header value it accepts');
  }
  if (externalQueue && !env['DLQ_URL']) {
    throw new Error('QUEUE_URL is set: DLQ_URL must be set too');
  }
  const headerSecret = externalApi ? (env['AUTH_HEADER_SECRET'] ?? '') : generateHeaderSecret();
  const { apiPort, sqsPort } = config;

  // Nothing the children should inherit from a deployed environment's header settings.
  const baseEnv: NodeJS.ProcessEnv = { ...env };
  for (const name of ['AUTH_SECRET_ARN', 'AUTH_HEADER_SECRET', 'AUTH_HEADER_SECRETS']) {
    delete baseEnv[name];
  }

  let localSqs: LocalSqs | undefined;
  let embeddedDatabase: EmbeddedDatabaseServer | undefined;
  let api: ChildProcess | undefined;
  let consumer: ChildProcess | undefined;
  let cognitoStarting: Promise<LocalCognito> | undefined;
  const cleanUp = async (): Promise<void> => {
    if (cognitoStarting) await (await cognitoStarting.catch(() => undefined))?.stop();
    if (consumer) await stopChild(consumer);
    if (api) await stopChild(api, { timeoutMs: 15_000 });
    if (embeddedDatabase) await embeddedDatabase.stop();
    if (localSqs) await localSqs.stop();
    if (settingsFile !== false) await removePipelineSettings(settingsFile);
  };

  try {
    let queueUrl: string;
    let dlqUrl: string;
    let sqsEndpoint: string;
    let region: string;
    if (externalQueue) {
      queueUrl = env['QUEUE_URL'] ?? '';
      dlqUrl = env['DLQ_URL'] ?? '';
      sqsEndpoint = env['AWS_ENDPOINT_URL_SQS'] ?? '';
      region = env['AWS_REGION'] || 'us-east-1';
      log(`queue: using ${queueUrl} at ${sqsEndpoint}`);
    } else {
      try {
        localSqs = await startLocalSqs({ port: sqsPort });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new Error(
          code === 'EADDRINUSE'
            ? `port ${sqsPort} is in use: stop what holds it or set LOCAL_SQS_PORT`
            : String(error),
        );
      }
      const pair = await localSqs.createQueuePair(LOCAL_QUEUE_NAME, { maxReceiveCount });
      queueUrl = pair.queueUrl;
      dlqUrl = pair.dlqUrl;
      sqsEndpoint = localSqs.endpoint;
      region = localSqs.region;
      log(`queue: local SQS at ${sqsEndpoint} (maxReceiveCount ${maxReceiveCount})`);
    }

    const apiUrl = externalApi ? (env['API_URL'] ?? '') : `http://127.0.0.1:${apiPort}`;
    // The pool and its trigger start while migrations run and the API starts: they only need
    // to know where the API and the queue are, not that they are up yet.
    cognitoStarting = startLocalCognito({
      env,
      targets: { apiUrl, queueUrl, sqsEndpoint, region, headerName, headerSecret },
      stdio,
      log,
    });
    // Awaited below (or in cleanUp); until then a failure must not count as unhandled.
    cognitoStarting.catch(() => undefined);
    let apiEnv: NodeJS.ProcessEnv | undefined;
    let databaseUrl = env['DATABASE_URL'] || undefined;
    if (externalApi) {
      log(`api: using ${apiUrl}`);
    } else {
      const database = loadDatabaseConfig(env);
      if (database.kind === 'embedded') {
        embeddedDatabase = await startEmbeddedDatabaseServer({
          dataDir: database.dataDir,
          port: config.databasePort,
          log: (line) => log(`database: ${line}`),
        });
        databaseUrl = embeddedDatabase.url;
        log(
          `database: embedded PGlite ${database.dataDir === undefined ? 'in memory' : `under ${database.dataDir}`}, served on 127.0.0.1:${embeddedDatabase.port}`,
        );
      }
      apiEnv = {
        ...baseEnv,
        PORT: String(apiPort),
        HOST: '127.0.0.1',
        AUTH_HEADER_NAME: headerName,
        AUTH_HEADER_SECRETS: headerSecret,
        // The API and the migrations reach the embedded database as they reach RDS: over `pg`.
        ...(embeddedDatabase
          ? { DATABASE_URL: embeddedDatabase.url, DATABASE_SSL: 'disable' }
          : {}),
      };
      if (existsSync(path.join('scripts', 'migrate.ts'))) {
        log(`database: ${embeddedDatabase ? 'embedded' : 'DATABASE_URL'}; migrating`);
        const migrate = spawnEntry(path.join('scripts', 'migrate.ts'), {
          env: apiEnv,
          stdio,
          args: ['latest'],
        });
        const code = await exitOf(migrate);
        if (code !== 0) throw new Error(`migrations failed (exit ${code})`);
      }
      api = spawnEntry(path.join('api', 'main.ts'), { env: apiEnv, stdio });
      await waitForReady(`${apiUrl}/readyz`, api);
      log(`api: ${apiUrl} ready`);
    }

    const localCredentials: NodeJS.ProcessEnv = externalQueue
      ? {}
      : {
          // The local server checks no credentials, but the SDK will not sign without some.
          AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'] || 'local',
          AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'] || 'local',
        };
    consumer = spawnEntry(path.join('consumer', 'main.ts'), {
      stdio,
      env: {
        ...baseEnv,
        ...localCredentials,
        QUEUE_URL: queueUrl,
        DLQ_URL: dlqUrl,
        API_URL: apiUrl,
        AUTH_HEADER_NAME: headerName,
        AUTH_HEADER_SECRET: headerSecret,
        AWS_ENDPOINT_URL_SQS: sqsEndpoint,
        AWS_REGION: region,
        // Short polls locally, so Ctrl-C does not wait out a 20 s long poll.
        RECEIVE_WAIT_SECONDS: env['RECEIVE_WAIT_SECONDS'] || '2',
      },
    });
    const cognito = await cognitoStarting;
    const settings: LocalPipelineSettings = {
      apiUrl,
      queueUrl,
      dlqUrl,
      sqsEndpoint,
      headerName,
      headerSecret,
      region,
      cognitoEndpoint: cognito.pool.endpoint,
      userPoolId: cognito.pool.userPoolId,
      userPoolClientId: cognito.pool.userPoolClientId,
      confirmationCode: cognito.pool.confirmationCode,
      lambdaEndpoint: cognito.lambda.endpoint,
      ...(databaseUrl ? { databaseUrl } : {}),
    };
    if (settingsFile !== false) await writePipelineSettings(settings, settingsFile);

    const running = consumer;
    const consumerExit = Promise.race([
      exitOf(running).then((code) => ({ name: 'consumer' as const, code })),
      cognito.exited,
    ]);
    let stopping: Promise<void> | undefined;
    const restartEnv = apiEnv;
    return {
      config,
      settings,
      localSqs,
      embeddedDatabase,
      get api() {
        return api;
      },
      consumer: running,
      cognito,
      external: { database: Boolean(env['DATABASE_URL']), queue: externalQueue, api: externalApi },
      get childExit() {
        const current = api;
        if (!current) return consumerExit;
        return Promise.race([
          consumerExit,
          exitOf(current).then((code) => ({ name: 'api' as const, code })),
        ]);
      },
      restartApi: async () => {
        if (!restartEnv || stopping) throw new Error('this pipeline did not start the API');
        if (api) await stopChild(api, { timeoutMs: 15_000 });
        api = spawnEntry(path.join('api', 'main.ts'), { env: restartEnv, stdio });
        await waitForReady(`${apiUrl}/readyz`, api);
        log(`api: ${apiUrl} ready again`);
      },
      stop: () => (stopping ??= cleanUp()),
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
