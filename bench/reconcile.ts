/**
 * `npm run bench:reconcile`: one reconciliation of generated pools of 10k and 100k users (the
 * ListUsers double, unpaced) against a table with drift: 1 % of the pool missing, 1 % changed,
 * and rows for 1 % more users gone from the pool. Each size runs in a child process of its own, so
 * its peak RSS is its own. Prints users/s for the Cognito paging and for the database work, and
 * the database rate beside the ListUsers quota ceiling (30 requests/s × 60 users a page): the
 * database must not be what limits a run in AWS. Uses DATABASE_URL when set, else an in-memory
 * PGlite. Result: bench/results/reconcile.json (PostgreSQL) or reconcile-pglite.json (PGlite).
 */
import { spawnSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import type { ListUsersCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import { openDatabase } from '../api/database';
import { createUserRepository } from '../api/user-repository';
import { generatedUser, ListUsersDouble } from '../fixtures/list-users-double';
import { ManualClock } from '../fixtures/manual-clock';
import { migratorConfig } from '../migrations/index';
import { DEFAULT_BATCH_SIZE } from '../reconciler/config';
import { createMirrorStore } from '../reconciler/mirror-store';
import { reconcile } from '../reconciler/reconcile';
import { LIST_USERS_MAX_PAGE_SIZE, listPoolUsers } from '../reconciler/user-pool-pager';
import { machineInfo, writeResult } from './lib/results';

/** Cognito's UserList category (ListUsers, ListUsersInGroup): 30 requests/s per account and Region. */
const LIST_USERS_QUOTA_RPS = 30;
const CEILING_USERS_PER_SECOND = LIST_USERS_QUOTA_RPS * LIST_USERS_MAX_PAGE_SIZE;
const SIZES = [10_000, 100_000];
const MODIFIED = new Date(Date.UTC(2026, 0, 1));

interface SizeResult {
  poolUsers: number;
  summary: object;
  cognitoPagingMs: number;
  databaseMs: number;
  wallMs: number;
  cognitoUsersPerSecond: number;
  databaseUsersPerSecond: number;
  peakRssMiB: number;
}

const sqlSub = (salt: number) =>
  `lpad(to_hex(${salt}), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0')`;

/** The drifted table, written set-based: every pool user but the missing 1 %, plus the gone 1 %. */
async function seed(
  db: ReturnType<typeof openDatabase>,
  size: number,
  salt: number,
  userPoolId: string,
) {
  const sub = sqlSub(salt);
  await db.raw(
    `INSERT INTO users (sub, email, username, user_pool_id, attributes, source, observed_at, created_at, updated_at)
     SELECT CAST(${sub} AS uuid), 'user-' || i || '@example.com', ${sub}, :userPoolId,
       jsonb_build_object('sub', ${sub}, 'email', 'user-' || i || '@example.com', 'email_verified', 'true',
         'custom:plan', CASE WHEN i % 100 = 1 THEN 'old' ELSE 'basic' END, 'cognito:user_status', 'CONFIRMED'),
       'trigger',
       CASE WHEN i % 100 = 1 THEN CAST(:modified AS timestamptz) - interval '1 day' ELSE CAST(:modified AS timestamptz) END,
       CAST(:modified AS timestamptz), CAST(:modified AS timestamptz)
     FROM generate_series(0, :last) AS i
     WHERE i % 100 <> 0`,
    { userPoolId, modified: MODIFIED.toISOString(), last: size + size / 100 - 1 },
  );
}

async function runSize(size: number): Promise<SizeResult> {
  const db = openDatabase(
    process.env['DATABASE_URL']
      ? {
          kind: 'postgres',
          connectionString: process.env['DATABASE_URL'],
          ssl: 'disable',
          poolMax: 10,
        }
      : { kind: 'embedded', dataDir: undefined },
  );
  try {
    await db.migrate.latest(migratorConfig);
    const salt = randomInt(1, 2 ** 31);
    const userPoolId = `eu-west-1_Bench${salt.toString(36)}`;
    await seed(db, size, salt, userPoolId);
    const double = new ListUsersDouble({
      size,
      userAt: (index) => generatedUser(index, { salt, lastModified: MODIFIED }),
    });
    const report = await reconcile({
      pages: listPoolUsers({
        client: {
          send: async (command: { input: ListUsersCommandInput }) =>
            double.listUsers(command.input),
        } as never,
        userPoolId,
        // Unpaced: this measures what each side can do, not the quota.
        requestsPerSecond: 1e9,
        maxRetries: 0,
        clock: new ManualClock(),
      }),
      store: createMirrorStore(db, createUserRepository(db)),
      userPoolId,
      runId: randomUUID(),
      dryRun: false,
      force: false,
      maxDeleteShare: 0.05,
      batchSize: DEFAULT_BATCH_SIZE,
    });
    if (report.status !== 'complete')
      throw new Error(`run ${report.status}: ${String(report.error)}`);
    await db('users').where({ user_pool_id: userPoolId }).delete();
    const { cognitoMs, databaseMs, totalMs } = report.timings;
    return {
      poolUsers: size,
      summary: report.summary,
      cognitoPagingMs: Math.round(cognitoMs),
      databaseMs: Math.round(databaseMs),
      wallMs: Math.round(totalMs),
      cognitoUsersPerSecond: Math.round(size / (cognitoMs / 1000)),
      databaseUsersPerSecond: Math.round(size / (databaseMs / 1000)),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const childSize = process.argv.indexOf('--size');
  if (childSize !== -1) {
    const result = await runSize(Number(process.argv[childSize + 1]));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const machine = machineInfo();
  const results: SizeResult[] = [];
  for (const size of SIZES) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, __filename, '--size', String(size)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        env: process.env,
      },
    );
    if (child.status !== 0) throw new Error(`the ${size}-user run failed (exit ${child.status})`);
    const lines = child.stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1] ?? '{}') as SizeResult;
    results.push(result);
    process.stdout.write(
      `${size} users: cognito paging ${result.cognitoUsersPerSecond} users/s, database ` +
        `${result.databaseUsersPerSecond} users/s (${(result.databaseUsersPerSecond / CEILING_USERS_PER_SECOND).toFixed(1)}x ` +
        `the ListUsers ceiling of ${CEILING_USERS_PER_SECOND} users/s), wall ${result.wallMs} ms, ` +
        `peak RSS ${result.peakRssMiB} MiB\n`,
    );
  }
  const [small, large] = results;
  const onServer = Boolean(process.env['DATABASE_URL']);
  const file = await writeResult(onServer ? 'reconcile' : 'reconcile-pglite', {
    machine,
    database: onServer ? 'PostgreSQL server' : 'embedded PGlite (in memory)',
    batchSize: DEFAULT_BATCH_SIZE,
    drift: { missing: '1 %', changed: '1 %', gone: '1 %' },
    listUsersQuota: {
      requestsPerSecond: LIST_USERS_QUOTA_RPS,
      usersPerPage: LIST_USERS_MAX_PAGE_SIZE,
      ceilingUsersPerSecond: CEILING_USERS_PER_SECOND,
    },
    results,
    databaseVersusCeiling: results.map((result) =>
      Number((result.databaseUsersPerSecond / CEILING_USERS_PER_SECOND).toFixed(1)),
    ),
    peakRssGrowth:
      small && large ? Number((large.peakRssMiB / small.peakRssMiB).toFixed(2)) : undefined,
  });
  process.stdout.write(`result: ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:reconcile: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
