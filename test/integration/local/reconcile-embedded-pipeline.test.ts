/**
 * `npm run reconcile` and `npm run migrate` against the local pipeline on its embedded default
 * (no DATABASE_URL): the pipeline serves its one PGlite database on a loopback port, and the
 * scripts, run as their own processes, reach it from the settings file as a user's would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AdminCreateUserCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import pg from 'pg';
import { exitOf, spawnEntry } from '../../../scripts/local/child-process';
import { freeLocalPort } from '../../../scripts/local/free-port';
import { startLocalPipeline, type LocalPipeline } from '../../../scripts/local/local-pipeline';
import { localUserPoolClient } from '../../../scripts/local/local-user-pool';
import { reconcileSummary } from '../../helpers/reconcile-summary';

const repoRoot = path.resolve(__dirname, '../../..');

/** Runs a script as `npm run …` would, returning its exit code and its last stdout line. */
async function runScript(
  entry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | NodeJS.Signals; lastLine: string; stderr: string }> {
  const child = spawnEntry(entry, {
    env,
    args,
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await exitOf(child);
  return { code, lastLine: stdout.trim().split('\n').at(-1) ?? '', stderr };
}

describe('the local pipeline on its embedded database, reached by other processes', () => {
  let workDir: string;
  let settingsFile: string;
  let pipeline: LocalPipeline;
  let cognito: CognitoIdentityProviderClient;
  let database: pg.Pool;
  /** What a user's shell passes on: no DATABASE_URL. */
  const userEnv: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'reconcile-embedded-'));
    settingsFile = path.join(workDir, 'local-pipeline.json');
    pipeline = await startLocalPipeline({
      env: {
        ...userEnv,
        PORT: String(await freeLocalPort()),
        LOCAL_SQS_PORT: '0',
        LOCAL_COGNITO_PORT: '0',
        LOCAL_LAMBDA_PORT: '0',
        LOCAL_COGNITO_DIR: path.join(workDir, 'cognito'),
        PGLITE_DATA_DIR: path.join(workDir, 'pglite'),
        RECEIVE_WAIT_SECONDS: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
      settingsFile,
    });
    cognito = localUserPoolClient(pipeline.settings.cognitoEndpoint);
    database = new pg.Pool({ connectionString: pipeline.settings.databaseUrl, max: 2 });
  }, 180_000);

  afterAll(async () => {
    cognito?.destroy();
    await database?.end();
    await pipeline?.stop();
    await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it('when the pool holds a user the table lacks, then npm run reconcile creates the row in the pipeline database', async () => {
    const email = `reconcile-${randomUUID()}@example.com`;
    const { User } = await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: pipeline.settings.userPoolId,
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
        MessageAction: 'SUPPRESS',
      }),
    );
    const sub = User?.Attributes?.find(({ Name }) => Name === 'sub')?.Value;

    const first = await runScript(
      'scripts/reconcile.ts',
      ['--settings-file', settingsFile],
      userEnv,
    );
    const second = await runScript(
      'scripts/reconcile.ts',
      ['--settings-file', settingsFile],
      userEnv,
    );
    const { rows } = await database.query<{ email: string; source: string }>(
      'SELECT email, source FROM users WHERE sub = $1',
      [sub],
    );

    expect(first.code).toBe(0);
    expect(JSON.parse(first.lastLine)).toEqual(reconcileSummary({ scanned: 1, created: 1 }));
    expect(JSON.parse(second.lastLine)).toEqual(reconcileSummary({ scanned: 1, unchanged: 1 }));
    expect(rows).toEqual([{ email, source: 'reconcile' }]);
  }, 120_000);

  it('when npm run migrate is given the served database, then it finds every migration applied', async () => {
    const result = await runScript('scripts/local/migrate-pipeline-database.ts', ['latest'], {
      ...userEnv,
      DATABASE_URL: pipeline.settings.databaseUrl,
    });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.lastLine)).toMatchObject({ command: 'latest', applied: [] });
  }, 60_000);

  it('when a client holds a transaction open, then the API still answers once it ends', async () => {
    const client = await database.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT count(*) FROM users');
      const readiness = fetch(`${pipeline.settings.apiUrl}/readyz`);
      await client.query('COMMIT');

      expect((await readiness).status).toBe(200);
    } finally {
      client.release();
    }
  });
});
