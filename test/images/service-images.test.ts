/**
 * The built images, run as the synthesized task definitions say (`npm run test:images`, after
 * scripts/images/build-images.ts): the command, user, read-only root file system, stop timeout
 * and environment come from the dev stage's template, with local servers in place of what only
 * AWS has (PostgreSQL for RDS, a Secrets Manager double, the local SQS server, the local user
 * pool). What deploys is what runs here; nothing below starts the code from the source tree.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AdminCreateUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import knex, { type Knex } from 'knex';
import { newHeaderSecret, newRegistration } from '../../fixtures/registrations';
import {
  type ContainerEngine,
  detectContainerEngine,
  runEngine,
} from '../../scripts/images/container-engine';
import { SELF_CONTAINED_BUNDLES } from '../../scripts/build';
import { expectedImageFiles } from '../../scripts/images/expected-image-files';
import { IMAGE_MANIFEST_FILE, type ImageManifest } from '../../scripts/images/image-manifest';
import { freeLocalPort } from '../../scripts/local/free-port';
import { type LocalSqs, sendBodies, startLocalSqs } from '../../scripts/local/local-sqs';
import {
  LOCAL_COGNITO_REGION,
  LOCAL_TRIGGER_FUNCTION_NAME,
  type LocalUserPool,
  localUserPoolClient,
  startLocalUserPool,
} from '../../scripts/local/local-user-pool';
import { waitFor } from '../../scripts/local/wait-for';
import type { ServiceImageTarget } from '../../stacks/service-image';
import {
  type ContainerSpec,
  type RunningContainer,
  runContainer,
  startContainer,
} from '../helpers/containers';
import {
  type SecretsManagerDouble,
  startSecretsManagerDouble,
} from '../helpers/secrets-manager-double';
import { localEnvironment, type TaskContainer, taskContainers } from '../helpers/task-containers';
import { synthApp, TEST_HOSTED_ZONE } from '../infra/synth-app';

const execFileAsync = promisify(execFile);

const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const HEADER_NAME = 'x-custom-auth';
const ARN_PREFIX = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:';
const SECRET_ARNS = {
  header: `${ARN_PREFIX}usersync-header-AbCdEf`,
  databaseApp: `${ARN_PREFIX}usersync-db-app-AbCdEf`,
};

interface ImageContents {
  files: Set<string>;
  config: { User: string; WorkingDir: string; Cmd: string[]; Entrypoint: string[] | null };
}

async function imageContents(engine: ContainerEngine, image: string): Promise<ImageContents> {
  const [config] = JSON.parse(
    await runEngine(engine, ['image', 'inspect', '--format', '{{json .Config}}', image]).then(
      (out) => `[${out.trim()}]`,
    ),
  ) as ImageContents['config'][];
  if (config === undefined) throw new Error(`no config for ${image}`);
  // A container's file system, as a tar stream, listed without running anything in it.
  const created = (await runEngine(engine, ['create', image])).trim();
  try {
    const listing = await execFileAsync(
      'sh',
      ['-c', `${engine.name} ${engine.globalFlags.join(' ')} export ${created} | tar -t`],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    const files = new Set(
      listing.stdout
        .split('\n')
        .filter(Boolean)
        .map((entry) => `/${entry.replace(/^\.?\//, '').replace(/\/$/, '')}`),
    );
    return { files, config };
  } finally {
    await runEngine(engine, ['rm', created]);
  }
}

const connectionCount = (server: net.Server): Promise<number> =>
  new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

const rdsSecret = (database: string, username: string, password: string): string => {
  const url = new URL(SERVER_URL);
  return JSON.stringify({
    engine: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    dbname: database,
    username,
    password,
  });
};

describe('the service images, run as the task definitions say', () => {
  let manifest: ImageManifest;
  let engine: ContainerEngine;
  let containers: Record<string, TaskContainer>;
  const contents = new Map<ServiceImageTarget, ImageContents>();
  let database: string;
  let admin: Knex;
  let db: Knex;
  let secretsManager: SecretsManagerDouble;
  let sqs: LocalSqs;
  let headerValue: string;
  let workDir: string;
  let localPool: LocalUserPool | undefined;
  const started: RunningContainer[] = [];

  const imageOf = (target: ServiceImageTarget): string => {
    const image = manifest.images[target];
    if (image === undefined) throw new Error(`the manifest has no ${target} image`);
    return image.tag;
  };
  const containerNamed = (name: string): TaskContainer => {
    const container = containers[name];
    if (container === undefined) throw new Error(`no task definition has a container ${name}`);
    return container;
  };
  /** What the Fargate platform gives every task and the local stand-ins replace. */
  const platform = (): Record<string, string> => ({
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
  });
  const specFor = (
    container: TaskContainer,
    local: Record<string, string>,
    extra: Record<string, string> = {},
  ): ContainerSpec => ({
    image: imageOf(container.target),
    ...(container.command ? { command: container.command } : {}),
    ...(container.user ? { user: container.user } : {}),
    readonlyRootFilesystem: container.readonlyRootFilesystem,
    environment: localEnvironment(container, local, { ...platform(), ...extra }),
  });

  beforeAll(async () => {
    if (!fs.existsSync(IMAGE_MANIFEST_FILE)) {
      throw new Error('no images built: run `npm run test:images` (it builds them first)');
    }
    manifest = JSON.parse(fs.readFileSync(IMAGE_MANIFEST_FILE, 'utf8')) as ImageManifest;
    engine = detectContainerEngine();
    containers = taskContainers(synthApp({ ...TEST_HOSTED_ZONE }));
    for (const target of ['api', 'consumer'] as const) {
      contents.set(target, await imageContents(engine, imageOf(target)));
    }

    database = `images_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    admin = knex({ client: 'pg', connection: SERVER_URL, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE ${database}`);
    const url = new URL(SERVER_URL);
    url.pathname = `/${database}`;
    db = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });

    secretsManager = await startSecretsManagerDouble();
    headerValue = newHeaderSecret();
    secretsManager.put(SECRET_ARNS.header, JSON.stringify({ current: headerValue }));
    secretsManager.put(
      SECRET_ARNS.databaseApp,
      rdsSecret(database, 'usersync_app', `app-${randomUUID()}`),
    );
    sqs = await startLocalSqs();

    workDir = await mkdtemp(path.join(tmpdir(), 'images-user-pool-'));
    localPool = await startLocalUserPool({
      directory: workDir,
      port: 0,
      // AdminCreateUser fires no trigger; a call to this endpoint would fail loudly.
      lambdaEndpoint: 'http://127.0.0.1:9',
      functionName: LOCAL_TRIGGER_FUNCTION_NAME,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }, 180_000);

  afterAll(async () => {
    for (const container of started) await container.remove();
    await localPool?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    await sqs?.stop();
    await secretsManager?.close();
    await db?.destroy();
    if (admin) {
      await admin.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.destroy();
    }
  }, 60_000);

  describe('what the images hold', () => {
    test.each(['api', 'consumer'] as const)(
      'the %s image runs as the node user (uid 1000) from /app',
      async (target) => {
        const image = contents.get(target);
        expect(image?.config.User).toBe('node');
        expect(image?.config.WorkingDir).toBe('/app');
        const { exitCode, output } = await runContainer(engine, {
          image: imageOf(target),
          command: [
            'node',
            '-e',
            'process.stdout.write(`${process.getuid()}:${process.getgid()}`)',
          ],
          environment: {},
          readonlyRootFilesystem: true,
        });
        expect({ exitCode, output: output.trim() }).toEqual({ exitCode: 0, output: '1000:1000' });
      },
    );

    test.each(['api', 'consumer'] as const)(
      'the %s runtime image carries no dev dependency, build toolchain or TypeScript source, and the npm packages only where its bundles leave them out',
      (target) => {
        const files = contents.get(target)?.files ?? new Set<string>();
        const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as {
          packages: Record<string, { dev?: boolean; optional?: boolean }>;
        };
        const installed = (lockPath: string): boolean => files.has(`/app/${lockPath}`);
        const devPackages = Object.entries(lock.packages)
          .filter(([lockPath, entry]) => lockPath.startsWith('node_modules/') && entry.dev === true)
          .map(([lockPath]) => lockPath);
        const productionPackages = Object.entries(lock.packages)
          .filter(
            ([lockPath, entry]) =>
              lockPath.startsWith('node_modules/') && entry.dev !== true && entry.optional !== true,
          )
          .map(([lockPath]) => lockPath);

        expect(devPackages.length).toBeGreaterThan(100);
        expect(devPackages.filter(installed)).toEqual([]);
        if (SELF_CONTAINED_BUNDLES.includes(target)) {
          // Its bundle carries its packages: nothing is installed beside it.
          expect([...files].filter((file) => file.startsWith('/app/node_modules'))).toEqual([]);
          expect(files.has(`/app/dist/${target}.js`)).toBe(true);
        } else {
          expect(productionPackages.filter((lockPath) => !installed(lockPath))).toEqual([]);
        }
        for (const tool of ['typescript', 'tsx', 'esbuild', '@swc/core', 'jest', 'aws-cdk-lib']) {
          expect({ tool, installed: installed(`node_modules/${tool}`) }).toEqual({
            tool,
            installed: false,
          });
        }
        const toolchain = [
          '/usr/bin/gcc',
          '/usr/bin/g++',
          '/usr/bin/make',
          '/usr/bin/python3',
          '/usr/bin/cc',
        ];
        expect(toolchain.filter((file) => files.has(file))).toEqual([]);
        const ownSources = [...files].filter(
          (file) =>
            file.startsWith('/app/') &&
            !file.startsWith('/app/node_modules/') &&
            (/\.ts$/.test(file) ||
              /^\/app\/(api|consumer|contract|producer|reconciler|migrations|scripts|stacks|test)(\/|$)/.test(
                file,
              ) ||
              file === '/app/tsconfig.json'),
        );
        expect(ownSources).toEqual([]);
      },
    );

    test('every file the commands need and the Dockerfile copies from the build is in the built image', () => {
      // The offline prediction (test/infra/deploy-preflight.test.ts checks it against the
      // Dockerfile), held here against what the engine really built.
      const expectations = expectedImageFiles({
        dockerfile: fs.readFileSync('Dockerfile', 'utf8'),
        containers: Object.values(containers).map((container) => ({
          runBy: `container ${container.name}`,
          target: container.target,
          ...(container.command ? { command: container.command } : {}),
        })),
      });
      const checkedCommands: string[] = [];
      for (const expectation of expectations) {
        expect({ target: expectation.target, problems: expectation.problems }).toEqual({
          target: expectation.target,
          problems: [],
        });
        const files = contents.get(expectation.target as ServiceImageTarget)?.files;
        if (files === undefined) throw new Error(`no image for ${expectation.target}`);
        const needed = [...expectation.builtFiles, ...expectation.commands.flatMap((c) => c.files)];
        expect({
          target: expectation.target,
          missing: [...new Set(needed)].filter((file) => !files.has(file)),
        }).toEqual({ target: expectation.target, missing: [] });
        for (const command of expectation.commands) {
          checkedCommands.push(`${expectation.target} ${command.runBy}: ${command.files[0] ?? ''}`);
        }
      }
      expect(checkedCommands.sort()).toEqual([
        'api CMD: /app/dist/api.js',
        'api container api: /app/dist/api.js',
        'api container migrate: /app/dist/migrate.js',
        'api container reconciler: /app/dist/reconciler.js',
        'consumer CMD: /app/dist/consumer.js',
        'consumer container consumer: /app/dist/consumer.js',
      ]);
    });

    test('a read-only root file system is read-only in the running container', async () => {
      const { exitCode, output } = await runContainer(engine, {
        image: imageOf('api'),
        command: ['node', '-e', "require('node:fs').writeFileSync('/app/probe', 'x')"],
        environment: {},
        readonlyRootFilesystem: true,
      });
      expect(exitCode).not.toBe(0);
      expect(output).toMatch(/EROFS|read-only file system/);
    });
  });

  describe('the api image', () => {
    let api: RunningContainer;
    let apiUrl: string;

    test('its migrate container applies every migration to an empty database, then exits 0', async () => {
      const migrate = containerNamed('migrate');
      const { exitCode, output, stdout } = await runContainer(
        engine,
        specFor(migrate, {
          DATABASE_SSL: 'disable',
          DATABASE_CREDENTIALS: rdsSecret(
            database,
            new URL(SERVER_URL).username || 'postgres',
            'master',
          ),
          DATABASE_APP_CREDENTIALS: rdsSecret(database, 'usersync_app', 'app-password'),
        }),
      );
      expect({ exitCode, output }).toEqual({ exitCode: 0, output: expect.any(String) });
      const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        applied?: string[];
      };
      const migrations = fs
        .readdirSync('migrations')
        .filter((file) => /^\d{14}_.*\.ts$/.test(file))
        .map((file) => file.replace(/\.ts$/, ''))
        .sort();
      expect(summary.applied).toEqual(migrations);
      const tables = await db.raw<{ rows: { table_name: string }[] }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'users'",
      );
      expect(tables.rows).toHaveLength(1);
    }, 120_000);

    test('its api container serves /healthz, stores a registration once (201, then 200) and refuses an address off its list', async () => {
      const port = await freeLocalPort();
      const container = containerNamed('api');
      api = await startContainer(
        engine,
        specFor(container, {
          // The stack's listener port is 3000 inside the task; here the host's network is shared.
          PORT: String(port),
          DATABASE_SSL: 'disable',
          DATABASE_SECRET_ARN: SECRET_ARNS.databaseApp,
          AUTH_SECRET_ARN: SECRET_ARNS.header,
          // The stack allows its NAT addresses; here every sender (this test, the consumer
          // container) reaches the API over the host's loopback, with no proxy in front.
          ALLOWED_SOURCE_IPS: '127.0.0.1',
        }),
      );
      started.push(api);
      apiUrl = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.status === 200,
        {
          timeoutMs: 30_000,
          what: `the api container to answer /healthz (logs: ${await api.logs()})`,
        },
      );
      expect((await fetch(`${apiUrl}/readyz`)).status).toBe(200);

      const registration = newRegistration();
      const post = (value: string, extraHeaders: Record<string, string> = {}) =>
        fetch(`${apiUrl}/user`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [HEADER_NAME]: value, ...extraHeaders },
          body: JSON.stringify(registration),
        });
      expect((await post(headerValue)).status).toBe(201);
      const again = await post(headerValue);
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ change: 'unchanged' });
      expect((await post(newHeaderSecret())).status).toBe(403);
      // With TRUSTED_PROXY_HOPS=1 (as the task definition sets) this test stands where the load
      // balancer does: the address it appends is the client's, and that one is not allowed.
      const outsider = await post(headerValue, { 'x-forwarded-for': '198.51.100.7' });
      expect(outsider.status).toBe(403);
      const rows = await db('users').where({ sub: registration.sub });
      expect(rows).toHaveLength(1);
    }, 90_000);

    test('its consumer image delivers a queued registration through the api into the database', async () => {
      const container = containerNamed('consumer');
      const { queueUrl, dlqUrl } = await sqs.createQueuePair(`images-${randomUUID().slice(0, 8)}`);
      const healthPort = await freeLocalPort();
      const consumer = await startContainer(
        engine,
        specFor(container, {
          QUEUE_URL: queueUrl,
          DLQ_URL: dlqUrl,
          API_URL: apiUrl,
          AUTH_SECRET_ARN: SECRET_ARNS.header,
          HEALTH_PORT: String(healthPort),
        }),
      );
      started.push(consumer);
      const registration = newRegistration({ source: 'queue' });
      await sendBodies(sqs.sqs, queueUrl, [JSON.stringify(registration)]);
      await waitFor(async () => (await db('users').where({ sub: registration.sub })).length === 1, {
        timeoutMs: 30_000,
        what: 'the queued registration to be stored',
      });

      // The container's own health check, as ECS runs it inside the task.
      const healthCheck = container.healthCheck;
      expect(healthCheck?.[0]).toBe('CMD');
      const probe = (healthCheck ?? [])
        .slice(1)
        .map((word) => word.replace('8081', String(healthPort)));
      expect(await consumer.exec(probe)).toMatchObject({ exitCode: 0 });

      const stopped = await consumer.stop(container.stopTimeoutSeconds);
      expect(stopped.exitCode).toBe(0);
      expect(stopped.seconds).toBeLessThan(container.stopTimeoutSeconds);
    }, 120_000);

    test('the consumer image, given no QUEUE_URL, exits non-zero naming the variable', async () => {
      const spec = specFor(containerNamed('consumer'), {
        QUEUE_URL: 'unused',
        DLQ_URL: 'http://127.0.0.1:9/000000000000/dlq',
        API_URL: 'http://127.0.0.1:9',
        AUTH_SECRET_ARN: SECRET_ARNS.header,
      });
      const environment = { ...spec.environment };
      delete environment.QUEUE_URL;
      const { exitCode, output } = await runContainer(engine, { ...spec, environment });
      expect(exitCode).not.toBe(0);
      expect(output).toContain('QUEUE_URL');
    }, 60_000);

    test("the api image's reconciler container backfills a user the pool holds and exits 0", async () => {
      if (localPool === undefined) throw new Error('no local user pool');
      const cognito = localUserPoolClient(localPool.endpoint);
      const email = `images-${randomUUID().slice(0, 8)}@example.com`;
      const { User } = await cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: localPool.userPoolId,
          Username: email,
          UserAttributes: [{ Name: 'email', Value: email }],
          MessageAction: 'SUPPRESS',
        }),
      );
      cognito.destroy();
      const sub = User?.Attributes?.find(({ Name }) => Name === 'sub')?.Value;
      const container = containerNamed('reconciler');
      const { exitCode, output, stdout } = await runContainer(
        engine,
        specFor(
          container,
          {
            COGNITO_USER_POOL_ID: localPool.userPoolId,
            DATABASE_SSL: 'disable',
            DATABASE_SECRET_ARN: SECRET_ARNS.databaseApp,
          },
          {
            AWS_REGION: LOCAL_COGNITO_REGION,
            AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: localPool.endpoint,
          },
        ),
      );
      expect({ exitCode, output }).toEqual({ exitCode: 0, output: expect.any(String) });
      const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { created?: number };
      expect(summary.created).toBeGreaterThanOrEqual(1);
      expect(await db('users').where({ sub })).toHaveLength(1);
    }, 120_000);

    test('the reconciler container, stopped on SIGTERM while Cognito does not answer, exits before its stop timeout', async () => {
      // A user pool endpoint that accepts connections and never answers: the run is mid-scan.
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as net.AddressInfo;
      const container = containerNamed('reconciler');
      const reconciler = await startContainer(
        engine,
        specFor(
          container,
          {
            COGNITO_USER_POOL_ID: 'eu-west-1_Unanswered',
            DATABASE_SSL: 'disable',
            DATABASE_SECRET_ARN: SECRET_ARNS.databaseApp,
          },
          { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: `http://127.0.0.1:${port}` },
        ),
      );
      started.push(reconciler);
      try {
        await waitFor(async () => (await connectionCount(silent)) > 0, {
          timeoutMs: 30_000,
          what: 'the reconciler to call the user pool',
        });
        const stopped = await reconciler.stop(container.stopTimeoutSeconds);
        // 137 would be the SIGKILL at the stop timeout; the run ends itself (incomplete: non-zero).
        expect(stopped.exitCode).not.toBe(137);
        expect(stopped.seconds).toBeLessThan(container.stopTimeoutSeconds);
        expect(await reconciler.logs()).toMatch(/stop requested|abort/i);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    }, 90_000);

    test('the api container stops on SIGTERM within its stop timeout, exiting 0', async () => {
      const container = containerNamed('api');
      const stopped = await api.stop(container.stopTimeoutSeconds);
      expect(stopped.exitCode).toBe(0);
      expect(stopped.seconds).toBeLessThan(container.stopTimeoutSeconds);
    }, 90_000);
  });
});
