/**
 * The reconciler end to end on the local user pool: users made, changed and deleted with the
 * real SDK's admin calls on cognito-local, scanned with the real ListUsers pager, and written by
 * the real mirror store and upsert to the test database. Each test creates a pool of its own
 * (CreateUserPool), so its sweep never sees another test's rows, nor the trigger tests' pool.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Knex } from 'knex';
import { createUserRepository } from '../../../api/user-repository';
import {
  localUserPoolClient,
  LOCAL_TRIGGER_FUNCTION_NAME,
  startLocalUserPool,
  type LocalUserPool,
} from '../../../scripts/local/local-user-pool';
import { DEFAULT_MAX_DELETE_SHARE, DEFAULT_REQUESTS_PER_SECOND } from '../../../reconciler/config';
import { createMirrorStore } from '../../../reconciler/mirror-store';
import { exitCodeOf, reconcile, type ReconcileReport } from '../../../reconciler/reconcile';
import { listPoolUsers } from '../../../reconciler/user-pool-pager';
import { databaseKind, openTestDatabase } from '../../../fixtures/test-database';
import { reconcileSummary } from '../../helpers/reconcile-summary';
import type { UserRow } from '../../helpers/user-row';

describe(`reconciliation of the local user pool (${databaseKind})`, () => {
  let db: Knex;
  let localPool: LocalUserPool | undefined;
  let cognito: CognitoIdentityProviderClient;
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'reconcile-local-pool-'));
    // Both take seconds on a loaded machine (PGlite's start most of all): start them together.
    const opened = openTestDatabase();
    const started = startLocalUserPool({
      directory: workDir,
      port: 0,
      // Nothing here fires a trigger (admin calls, an unconfirmed sign-up, ListUsers), so the
      // pool needs no Lambda endpoint behind it; a call to this one would fail loudly.
      lambdaEndpoint: 'http://127.0.0.1:9',
      functionName: LOCAL_TRIGGER_FUNCTION_NAME,
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    [db, localPool] = await Promise.all([opened, started]);
    cognito = localUserPoolClient(localPool.endpoint);
  }, 60_000);

  afterAll(async () => {
    cognito?.destroy();
    await localPool?.stop();
    await db?.destroy();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 30_000);

  /** A new, empty pool that signs in by e-mail as the deployed one (the username is the sub). */
  async function newPool(): Promise<string> {
    const { UserPool } = await cognito.send(
      new CreateUserPoolCommand({ PoolName: 'reconcile-e2e', UsernameAttributes: ['email'] }),
    );
    if (!UserPool?.Id) throw new Error('CreateUserPool returned no pool id');
    return UserPool.Id;
  }

  /** AdminCreateUser, as an administrator or an import does: the user waits for a first password. */
  async function adminCreate(
    userPoolId: string,
    label: string,
    attributes: Record<string, string> = {},
  ): Promise<{ sub: string; email: string; username: string }> {
    const email = `${label}-${userPoolId.toLowerCase()}@example.com`;
    const { User } = await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: email,
        UserAttributes: Object.entries({ email, ...attributes }).map(([Name, Value]) => ({
          Name,
          Value,
        })),
        MessageAction: 'SUPPRESS',
      }),
    );
    const sub = User?.Attributes?.find(({ Name }) => Name === 'sub')?.Value;
    if (!sub || !User?.Username) throw new Error('AdminCreateUser returned no sub');
    return { sub, email, username: User.Username };
  }

  async function adminCreateMany(userPoolId: string, count: number) {
    const users = [];
    // One at a time: the local pool serves requests one by one anyway.
    for (let index = 0; index < count; index += 1) {
      users.push(await adminCreate(userPoolId, `user-${index}`));
    }
    return users;
  }

  const adminDelete = (userPoolId: string, username: string) =>
    cognito.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username }));

  function run(
    userPoolId: string,
    options: { dryRun?: boolean; force?: boolean; maxDeleteShare?: number } = {},
  ): Promise<ReconcileReport> {
    return reconcile({
      pages: listPoolUsers({
        client: cognito,
        userPoolId,
        requestsPerSecond: DEFAULT_REQUESTS_PER_SECOND,
        maxRetries: 2,
      }),
      store: createMirrorStore(db, createUserRepository(db)),
      userPoolId,
      runId: crypto.randomUUID(),
      dryRun: options.dryRun ?? false,
      force: options.force ?? false,
      maxDeleteShare: options.maxDeleteShare ?? DEFAULT_MAX_DELETE_SHARE,
      batchSize: 1000,
    });
  }

  /** Every column of the pool's rows, in a fixed order, to compare whole tables. */
  const tableOf = (userPoolId: string): Promise<Array<UserRow & Record<string, unknown>>> =>
    db('users').where({ user_pool_id: userPoolId }).orderBy('sub').select('*');
  const rowOf = async (sub: string): Promise<UserRow | undefined> =>
    (await db('users').where({ sub }))[0];

  it('when administrators create users, then a run mirrors them, skips an unconfirmed sign-up, and a second run reports all unchanged', async () => {
    const userPoolId = await newPool();
    const created = await adminCreateMany(userPoolId, 3);
    const { UserPoolClient } = await cognito.send(
      new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'reconcile-e2e' }),
    );
    const signUp = await cognito.send(
      new SignUpCommand({
        ClientId: UserPoolClient?.ClientId,
        Username: `unconfirmed-${userPoolId.toLowerCase()}@example.com`,
        Password: 'Correct-Horse-42-battery',
      }),
    );

    const first = await run(userPoolId);
    const afterFirst = await tableOf(userPoolId);
    const second = await run(userPoolId);

    expect(first.status).toBe('complete');
    expect(first.summary).toEqual(reconcileSummary({ scanned: 4, created: 3 }));
    expect(first.skipped).toEqual({ unconfirmed: 1, invalid: 0 });
    // Unconfirmed sign-ups are not mirrored (reconciler/pool-user.ts): the trigger registers
    // them once they confirm.
    expect(await rowOf(signUp.UserSub ?? '')).toBeUndefined();
    expect(afterFirst).toHaveLength(3);
    for (const user of created) {
      const { UserLastModifiedDate } = await cognito.send(
        new AdminGetUserCommand({ UserPoolId: userPoolId, Username: user.username }),
      );
      const row = await rowOf(user.sub);
      expect(row).toMatchObject({
        sub: user.sub,
        email: user.email,
        username: user.username,
        user_pool_id: userPoolId,
        source: 'reconcile',
        deleted_at: null,
        attributes: {
          sub: user.sub,
          email: user.email,
          'cognito:user_status': 'FORCE_CHANGE_PASSWORD',
        },
      });
      expect(row?.observed_at.toISOString()).toBe(UserLastModifiedDate?.toISOString());
    }
    expect(second.status).toBe('complete');
    expect(second.summary).toEqual(reconcileSummary({ scanned: 4, unchanged: 3 }));
    expect(await tableOf(userPoolId)).toEqual(afterFirst);
  });

  it('when attributes change and a user is deleted in the pool, then the row is updated and the deleted one gets deletedAt', async () => {
    const userPoolId = await newPool();
    const [changed, deleted, ...kept] = await adminCreateMany(userPoolId, 4);
    if (!changed || !deleted) throw new Error('four users were created');
    await run(userPoolId);
    const keptBefore = await Promise.all(kept.map(({ sub }) => rowOf(sub)));

    await cognito.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: userPoolId,
        Username: changed.username,
        UserAttributes: [{ Name: 'name', Value: 'Grace Hopper' }],
      }),
    );
    await adminDelete(userPoolId, deleted.username);
    const report = await run(userPoolId, { maxDeleteShare: 0.5 });

    expect(report.status).toBe('complete');
    expect(report.summary).toEqual(
      reconcileSummary({ scanned: 3, updated: 1, markedDeleted: 1, unchanged: 2 }),
    );
    const changedRow = await rowOf(changed.sub);
    expect(changedRow?.attributes['name']).toBe('Grace Hopper');
    expect(changedRow?.deleted_at).toBeNull();
    // The change's own time, not the creation's, so that an older trigger state stays refused
    // (the local pool's times have whole seconds: they differ when the run crossed one).
    const { UserLastModifiedDate } = await cognito.send(
      new AdminGetUserCommand({ UserPoolId: userPoolId, Username: changed.username }),
    );
    expect(changedRow?.observed_at.toISOString()).toBe(UserLastModifiedDate?.toISOString());
    const deletedRow = await rowOf(deleted.sub);
    expect(deletedRow?.deleted_at).toBeInstanceOf(Date);
    expect(await Promise.all(kept.map(({ sub }) => rowOf(sub)))).toEqual(keptBefore);
  });

  it('when run with --dry-run, then it reports the drift a real run repairs and writes nothing', async () => {
    const userPoolId = await newPool();
    const [changed, deleted] = await adminCreateMany(userPoolId, 3);
    if (!changed || !deleted) throw new Error('three users were created');
    await run(userPoolId);
    await adminCreate(userPoolId, 'late');
    await cognito.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: userPoolId,
        Username: changed.username,
        UserAttributes: [{ Name: 'name', Value: 'Katherine Johnson' }],
      }),
    );
    await adminDelete(userPoolId, deleted.username);
    const before = await tableOf(userPoolId);

    const dry = await run(userPoolId, { dryRun: true, force: true });
    const afterDry = await tableOf(userPoolId);
    const real = await run(userPoolId, { force: true });

    expect(dry.status).toBe('complete');
    expect(dry.summary).toEqual(
      reconcileSummary({
        scanned: 3,
        created: 1,
        updated: 1,
        markedDeleted: 1,
        unchanged: 1,
        dryRun: true,
      }),
    );
    expect(afterDry).toEqual(before);
    expect(real.summary).toEqual({ ...dry.summary, dryRun: false });
    expect(await tableOf(userPoolId)).not.toEqual(before);
  });

  it('when a third of the pool is gone, then the brake holds: the run says so and marks nothing', async () => {
    const userPoolId = await newPool();
    const users = await adminCreateMany(userPoolId, 9);
    await run(userPoolId);
    for (const user of users.slice(0, 3)) await adminDelete(userPoolId, user.username);
    const before = await tableOf(userPoolId);

    const report = await run(userPoolId);

    expect(report.status).toBe('brake');
    expect(exitCodeOf(report)).toBe(3);
    expect(report.gone).toEqual({ gone: 3, live: 9 });
    expect(report.summary.markedDeleted).toBe(0);
    expect(await tableOf(userPoolId)).toEqual(before);
    expect(before.every((row) => row.deleted_at === null)).toBe(true);
  });

  it('when the pool holds an older state than a trigger registration, then the run leaves the newer registration as it is', async () => {
    const userPoolId = await newPool();
    const user = await adminCreate(userPoolId, 'registered', { name: 'Pool State' });
    const { UserLastModifiedDate } = await cognito.send(
      new AdminGetUserCommand({ UserPoolId: userPoolId, Username: user.username }),
    );
    if (!UserLastModifiedDate) throw new Error('AdminGetUser returned no UserLastModifiedDate');
    // The trigger saw the user a minute after the state the pool now lists, with other data.
    await createUserRepository(db).upsert({
      sub: user.sub,
      email: user.email,
      username: user.username,
      userPoolId,
      attributes: {
        sub: user.sub,
        email: user.email,
        name: 'Trigger State',
        'cognito:user_status': 'CONFIRMED',
      },
      source: 'trigger',
      observedAt: new Date(UserLastModifiedDate.getTime() + 60_000).toISOString(),
    });
    const before = await tableOf(userPoolId);

    const report = await run(userPoolId);

    expect(report.status).toBe('complete');
    expect(report.summary).toMatchObject({ scanned: 1, created: 0, updated: 0, unchanged: 1 });
    expect(report.stale).toBe(1);
    expect(await tableOf(userPoolId)).toEqual(before);
    expect(before[0]).toMatchObject({ source: 'trigger', attributes: { name: 'Trigger State' } });
  });
});
