import { randomInt } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  ListUsersCommand,
  type ListUsersCommandInput,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import type { Knex } from 'knex';
import { createUserRepository } from '../../../api/user-repository';
import {
  generatedSub,
  generatedUser,
  ListUsersDouble,
  type ListUsersDoubleOptions,
} from '../../../fixtures/list-users-double';
import { ManualClock } from '../../../fixtures/manual-clock';
import { createMirrorStore } from '../../../reconciler/mirror-store';
import { reconcile, type ReconcileReport } from '../../../reconciler/reconcile';
import { listPoolUsers } from '../../../reconciler/user-pool-pager';
import { databaseKind, openTestDatabase } from '../../../fixtures/test-database';
import { reconcileSummary } from '../../helpers/reconcile-summary';

const cognito = mockClient(CognitoIdentityProviderClient);
const client = new CognitoIdentityProviderClient({ region: 'eu-west-1' });
const MODIFIED = new Date(Date.UTC(2026, 5, 1, 12));

/** A pool of its own per test: a unique pool id and subs no other test uses. */
function newPool() {
  const salt = randomInt(1, 2 ** 31);
  const userPoolId = `eu-west-1_Rec${salt.toString(36)}`;
  return {
    userPoolId,
    sub: (index: number) => generatedSub(index, salt),
    user: (index: number, options: { plan?: string; lastModified?: Date } = {}) =>
      generatedUser(index, { salt, lastModified: MODIFIED, ...options }),
  };
}

describe(`reconciliation against the ${databaseKind}`, () => {
  let db: Knex;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db.destroy();
  });

  async function run(
    userPoolId: string,
    pool: Omit<ListUsersDoubleOptions, 'userAt'> & { users: (index: number) => UserType },
    options: {
      dryRun?: boolean;
      force?: boolean;
      maxDeleteShare?: number;
      /** Runs while the scan is under way, after its first page. */
      duringScan?: () => Promise<void>;
    } = {},
  ): Promise<ReconcileReport> {
    const double = new ListUsersDouble({ ...pool, userAt: pool.users });
    cognito.reset();
    cognito
      .on(ListUsersCommand)
      .callsFake((input: ListUsersCommandInput) => double.listUsers(input));
    const pager = listPoolUsers({
      client,
      userPoolId,
      requestsPerSecond: 30,
      maxRetries: 2,
      clock: new ManualClock(),
      random: () => 0.5,
    });
    async function* pages(): AsyncGenerator<UserType[]> {
      let first = true;
      for await (const page of pager) {
        yield page;
        if (first) await options.duringScan?.();
        first = false;
      }
    }
    return reconcile({
      pages: pages(),
      store: createMirrorStore(db, createUserRepository(db)),
      userPoolId,
      runId: crypto.randomUUID(),
      dryRun: options.dryRun ?? false,
      force: options.force ?? false,
      maxDeleteShare: options.maxDeleteShare ?? 0.05,
      batchSize: 100,
    });
  }

  const rowsOf = async (userPoolId: string) =>
    db('users')
      .where({ user_pool_id: userPoolId })
      .orderBy('sub')
      .select('sub', 'email', 'attributes', 'source', 'deleted_at', 'observed_at');

  const registerByTrigger = async (
    pool: ReturnType<typeof newPool>,
    index: number,
    observedAt: Date,
    plan = 'basic',
  ) => {
    await createUserRepository(db).upsert({
      sub: pool.sub(index),
      email: `user-${index}@example.com`,
      username: pool.sub(index),
      userPoolId: pool.userPoolId,
      attributes: {
        sub: pool.sub(index),
        email: `user-${index}@example.com`,
        email_verified: 'true',
        'custom:plan': plan,
        'cognito:user_status': 'CONFIRMED',
      },
      source: 'trigger',
      observedAt: observedAt.toISOString(),
    });
  };

  it('when the mirror is empty, then every user of the pool is registered, and a second run changes nothing', async () => {
    const pool = newPool();

    const first = await run(pool.userPoolId, { size: 250, users: (i) => pool.user(i) });
    const second = await run(pool.userPoolId, { size: 250, users: (i) => pool.user(i) });

    expect(first.status).toBe('complete');
    expect(first.summary).toEqual(reconcileSummary({ scanned: 250, created: 250 }));
    const rows = await rowsOf(pool.userPoolId);
    expect(rows).toHaveLength(250);
    expect(rows.every((row) => row.source === 'reconcile' && row.deleted_at === null)).toBe(true);
    expect(new Date(rows[0].observed_at).toISOString()).toBe(MODIFIED.toISOString());
    expect(second.summary).toEqual(reconcileSummary({ scanned: 250, unchanged: 250 }));
  });

  it('when users are missing, changed and gone, then they are created, updated and marked deleted', async () => {
    const pool = newPool();
    await run(pool.userPoolId, { size: 100, users: (i) => pool.user(i) });
    const later = new Date(MODIFIED.getTime() + 60_000);
    // The pool now: users 0–1 gone, 2–3 changed plan, 100–101 new.
    const now = (index: number) =>
      pool.user(index + 2, index < 2 ? { plan: 'pro', lastModified: later } : {});

    const report = await run(pool.userPoolId, { size: 100, users: now }, { maxDeleteShare: 0.05 });

    expect(report.status).toBe('complete');
    expect(report.summary).toEqual(
      reconcileSummary({ scanned: 100, created: 2, updated: 2, markedDeleted: 2, unchanged: 96 }),
    );
    const rows = await db('users').whereIn('sub', [pool.sub(0), pool.sub(1), pool.sub(2)]);
    const bySub = new Map(rows.map((row) => [row.sub, row]));
    expect(bySub.get(pool.sub(0))?.deleted_at).not.toBeNull();
    expect(bySub.get(pool.sub(1))?.deleted_at).not.toBeNull();
    expect(bySub.get(pool.sub(2))?.attributes['custom:plan']).toBe('pro');
  });

  it('when run with --dry-run, then it reports what a real run does and writes nothing', async () => {
    const pool = newPool();
    await run(pool.userPoolId, { size: 40, users: (i) => pool.user(i) });
    const later = new Date(MODIFIED.getTime() + 60_000);
    const drifted = (index: number) =>
      pool.user(index + 1, index === 0 ? { plan: 'pro', lastModified: later } : {});
    const before = await rowsOf(pool.userPoolId);

    const dry = await run(
      pool.userPoolId,
      { size: 40, users: drifted },
      { dryRun: true, force: true },
    );
    const afterDry = await rowsOf(pool.userPoolId);
    const real = await run(pool.userPoolId, { size: 40, users: drifted }, { force: true });

    expect(afterDry).toEqual(before);
    expect(dry.summary).toEqual({ ...real.summary, dryRun: true });
    expect(real.summary).toMatchObject({ created: 1, updated: 1, markedDeleted: 1 });
  });

  it('when a third of the pool is gone, then the brake holds and nothing is marked, unless forced', async () => {
    const pool = newPool();
    await run(pool.userPoolId, { size: 90, users: (i) => pool.user(i) });

    const braked = await run(pool.userPoolId, { size: 60, users: (i) => pool.user(i) });
    const markedAfterBrake = await db('users')
      .where({ user_pool_id: pool.userPoolId })
      .whereNotNull('deleted_at')
      .count({ count: '*' });
    const forced = await run(
      pool.userPoolId,
      { size: 60, users: (i) => pool.user(i) },
      { force: true },
    );

    expect(braked.status).toBe('brake');
    expect(braked.gone).toEqual({ gone: 30, live: 90 });
    expect(braked.summary.markedDeleted).toBe(0);
    expect(Number(markedAfterBrake[0]?.count)).toBe(0);
    expect(forced.status).toBe('complete');
    expect(forced.summary.markedDeleted).toBe(30);
  });

  it('when the scan ends early (throttled beyond its retries), then the pages seen are applied and nothing is marked deleted', async () => {
    const pool = newPool();
    await run(pool.userPoolId, { size: 200, users: (i) => pool.user(i) });

    const report = await run(
      pool.userPoolId,
      // Call 2 onwards is throttled: the scan sees 60 of 200 users.
      { size: 200, users: (i) => pool.user(i + 1000), throttle: (call) => call >= 2 },
      { force: true },
    );

    expect(report.status).toBe('incomplete');
    expect(report.summary.created).toBe(60);
    expect(report.summary.markedDeleted).toBe(0);
    const marked = await db('users')
      .where({ user_pool_id: pool.userPoolId })
      .whereNotNull('deleted_at')
      .count({ count: '*' });
    expect(Number(marked[0]?.count)).toBe(0);
  });

  it('when the pool holds an older state than a trigger registration, then the newer registration stays', async () => {
    const pool = newPool();
    const triggerTime = new Date(MODIFIED.getTime() + 5_000);
    await registerByTrigger(pool, 0, triggerTime, 'from-trigger');

    const report = await run(pool.userPoolId, {
      size: 1,
      users: (i) => pool.user(i, { plan: 'older-pool-state' }),
    });

    expect(report.summary).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(report.stale).toBe(1);
    const [row] = await rowsOf(pool.userPoolId);
    expect(row?.attributes['custom:plan']).toBe('from-trigger');
    expect(row?.source).toBe('trigger');
  });

  it('when users are unconfirmed or wait for their first password, then only the latter are mirrored and neither counts as gone', async () => {
    const pool = newPool();
    const withStatus = (index: number): UserType => ({
      ...pool.user(index),
      UserStatus: index === 0 ? 'UNCONFIRMED' : 'FORCE_CHANGE_PASSWORD',
    });
    // A row for the unconfirmed user exists (say, confirmed once and reset by an admin).
    await registerByTrigger(pool, 0, MODIFIED);

    const report = await run(pool.userPoolId, { size: 2, users: withStatus }, { force: true });

    expect(report.summary).toMatchObject({ scanned: 2, created: 1, markedDeleted: 0 });
    expect(report.skipped.unconfirmed).toBe(1);
    const rows = await rowsOf(pool.userPoolId);
    expect(rows.map((row) => row.sub).sort()).toEqual([pool.sub(0), pool.sub(1)].sort());
    expect(rows.every((row) => row.deleted_at === null)).toBe(true);
  });

  it('when a user signs up during the run, then the sweep does not take them for gone', async () => {
    const pool = newPool();
    await run(pool.userPoolId, { size: 10, users: (i) => pool.user(i) });

    // The new user is on no page of this scan: it signed up after the scan passed its place.
    const report = await run(
      pool.userPoolId,
      { size: 10, users: (i) => pool.user(i) },
      { force: true, duringScan: () => registerByTrigger(pool, 500, new Date()) },
    );

    expect(report.summary.markedDeleted).toBe(0);
    const [late] = await db('users').where({ sub: pool.sub(500) });
    expect(late?.deleted_at).toBeNull();
  });
});
