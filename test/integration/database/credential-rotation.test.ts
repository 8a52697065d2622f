import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase, withFreshCredentials } from '../../../api/database';
import { migratorConfig } from '../../../migrations/index';
import { provisionAppRole } from '../../../scripts/app-role';
import { spawnEntry, stopChild } from '../../../scripts/local/child-process';
import {
  startPasswordCheckingProxy,
  type PasswordCheckingProxy,
} from '../../helpers/password-checking-proxy';
import { newHeaderSecret, newRegistration } from '../../../fixtures/registrations';
import {
  startSecretsManagerDouble,
  type SecretsManagerDouble,
} from '../../helpers/secrets-manager-double';
import {
  createScratchServerDatabase,
  postgresTarget,
  quietLogger,
  serverDatabaseUrl,
} from '../../../fixtures/test-database';
import { waitFor } from '../../../scripts/local/wait-for';

const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:000000000000:secret:cus-app-${randomBytes(4).toString('hex')}`;

if (serverDatabaseUrl) {
  const serverUrl = serverDatabaseUrl;

  describe('database password rotation (PostgreSQL server, API process on DATABASE_SECRET_ARN)', () => {
    const appRole = `cus_app_${randomBytes(5).toString('hex')}`;
    const writerRole = `cus_writer_${randomBytes(5).toString('hex')}`;
    const headerValue = newHeaderSecret();
    let admin: Knex;
    let dropScratch: () => Promise<void>;
    let databaseName: string;
    let proxy: PasswordCheckingProxy;
    let secrets: SecretsManagerDouble;
    let api: ChildProcess;
    let apiOutput = '';
    let apiUrl: string;

    const putSecret = (password: string): void =>
      secrets.put(
        SECRET_ARN,
        JSON.stringify({
          engine: 'postgres',
          host: '127.0.0.1',
          port: proxy.port,
          dbname: databaseName,
          username: appRole,
          password,
        }),
      );

    /** Sends `count` registrations, four at a time; returns every status the API answered. */
    const register = async (count: number): Promise<number[]> => {
      const statuses: number[] = [];
      const pending = Array.from({ length: count }, () => newRegistration());
      const sendNext = async (): Promise<void> => {
        for (let registration = pending.pop(); registration; registration = pending.pop()) {
          const response = await fetch(`${apiUrl}/user`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-custom-auth': headerValue },
            body: JSON.stringify(registration),
          });
          await response.arrayBuffer();
          statuses.push(response.status);
        }
      };
      await Promise.all([sendNext(), sendNext(), sendNext(), sendNext()]);
      return statuses;
    };

    beforeAll(async () => {
      const scratch = await createScratchServerDatabase(serverUrl);
      dropScratch = scratch.drop;
      databaseName = new URL(scratch.url).pathname.slice(1);
      admin = openDatabase(postgresTarget(scratch.url), quietLogger);
      await admin.migrate.latest(migratorConfig);
      proxy = await startPasswordCheckingProxy(scratch.url);
      secrets = await startSecretsManagerDouble();
    });

    afterAll(async () => {
      if (api) await stopChild(api);
      await proxy?.close();
      await secrets?.close();
      await admin?.destroy();
      await dropScratch?.();
      const cleanup = openDatabase(postgresTarget(serverUrl), quietLogger);
      try {
        for (const role of [appRole, writerRole])
          await cleanup.raw(`DROP ROLE IF EXISTS "${role}"`);
      } finally {
        await cleanup.destroy();
      }
    });

    it('when the password changes and live connections are cut, then registrations go on with no 5xx and no restart', async () => {
      // Arrange: the role's password A, in the secret the API reads at start.
      const passwordA = 'password-A-' + randomBytes(8).toString('hex');
      await provisionAppRole(admin, { login: { user: appRole, password: passwordA }, writerRole });
      putSecret(passwordA);
      api = spawnEntry('api/main.ts', {
        cwd: REPOSITORY_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          HOST: '127.0.0.1',
          AUTH_HEADER_SECRETS: headerValue,
          DATABASE_SECRET_ARN: SECRET_ARN,
          DATABASE_SSL: 'disable',
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        },
      });
      api.stdout?.on('data', (chunk: Buffer) => (apiOutput += chunk.toString()));
      api.stderr?.on('data', (chunk: Buffer) => (apiOutput += chunk.toString()));
      const listening = await waitFor(
        () => /"url":"(http:[^"]+)"[^\n]*"api listening"/.exec(apiOutput),
        {
          timeoutMs: 60_000,
          what: 'the api to listen',
        },
      );
      apiUrl = listening?.[1] ?? '';
      const apiPid = api.pid;

      const before = await register(12);

      // Act: the rotation sets password B on the role and in the secret (as Secrets Manager's
      // rotation does), then every connection opened with A is terminated.
      const passwordB = 'password-B-' + randomBytes(8).toString('hex');
      await admin.raw(`ALTER ROLE "${appRole}" PASSWORD '${passwordB}'`);
      putSecret(passwordB);
      const terminated: { rows: { terminated: boolean }[] } = await admin.raw(
        'SELECT pg_terminate_backend(pid, 5000) AS terminated FROM pg_stat_activity WHERE usename = ?',
        [appRole],
      );
      const after = await register(12);

      // Assert
      expect(before).toEqual(Array(12).fill(201));
      expect(terminated.rows.length).toBeGreaterThan(0);
      expect(terminated.rows.every((row) => row.terminated)).toBe(true);
      expect(after).toEqual(Array(12).fill(201));
      expect(proxy.refusedLogins()).toBeGreaterThan(0);
      expect(secrets.readCount(SECRET_ARN)).toBeGreaterThanOrEqual(2);
      expect(api.exitCode).toBeNull();
      expect(api.pid).toBe(apiPid);
      expect(apiOutput).toContain('reading the credentials again');
      expect(apiOutput).not.toContain(passwordA);
      expect(apiOutput).not.toContain(passwordB);
      const stored: { count: string }[] = await admin('users').count({ count: '*' });
      expect(Number(stored[0]?.count)).toBe(24);
    }, 120_000);
  });
} else {
  describe('database credentials (embedded PGlite)', () => {
    it('when the database is embedded, then a refused login is not retried: there are no credentials to re-read', async () => {
      const db = openDatabase({ kind: 'embedded', dataDir: undefined }, quietLogger);
      // PGlite starts lazily; let it finish before destroy(), or its start-up outlives the test.
      await db.raw('SELECT 1');
      let attempts = 0;
      const refused = Object.assign(new Error('password authentication failed'), { code: '28P01' });
      try {
        await expect(
          withFreshCredentials(db, () => {
            attempts += 1;
            return Promise.reject(refused);
          }),
        ).rejects.toBe(refused);
        expect(attempts).toBe(1);
      } finally {
        await db.destroy();
      }
    });
  });
}
