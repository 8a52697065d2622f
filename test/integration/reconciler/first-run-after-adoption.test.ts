import { randomInt } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  ListUsersCommand,
  type ListUsersCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import type { Knex } from 'knex';
import { createUserRepository } from '../../../api/user-repository';
import { generatedSub, generatedUser, ListUsersDouble } from '../../../fixtures/list-users-double';
import { ManualClock } from '../../../fixtures/manual-clock';
import { databaseKind, openTestDatabase } from '../../../fixtures/test-database';
import { createMirrorStore } from '../../../reconciler/mirror-store';
import { reconcile, type ReconcileReport } from '../../../reconciler/reconcile';
import { listPoolUsers } from '../../../reconciler/user-pool-pager';
import { reconcileSummary } from '../../helpers/reconcile-summary';

/**
 * The run the stack starts right after adopting a user pool (stacks/reconciler-first-run.ts):
 * the table holds nothing of that pool yet (perhaps rows of the pool the stack had before), and
 * the pool holds every user who signed up before the producer was attached. The brake must not
 * hold on that run, however strict, and rows of the other pool must stay as they are.
 */
const cognito = mockClient(CognitoIdentityProviderClient);
const client = new CognitoIdentityProviderClient({ region: 'eu-west-1' });

function newPool() {
  const salt = randomInt(1, 2 ** 31);
  return {
    userPoolId: `eu-west-1_Adopt${salt.toString(36)}`,
    sub: (index: number) => generatedSub(index, salt),
    user: (index: number) => generatedUser(index, { salt }),
  };
}

describe(`the first reconciliation after adopting a pool, against the ${databaseKind}`, () => {
  let db: Knex;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db.destroy();
  });

  /** One run over `pool` with `size` users, as the deployed task runs it (not forced). */
  async function firstRun(
    pool: ReturnType<typeof newPool>,
    size: number,
    maxDeleteShare: number,
  ): Promise<ReconcileReport> {
    const double = new ListUsersDouble({ size, userAt: pool.user });
    cognito.reset();
    cognito
      .on(ListUsersCommand)
      .callsFake((input: ListUsersCommandInput) => double.listUsers(input));
    return reconcile({
      pages: listPoolUsers({
        client,
        userPoolId: pool.userPoolId,
        requestsPerSecond: 30,
        maxRetries: 2,
        clock: new ManualClock(),
        random: () => 0.5,
      }),
      store: createMirrorStore(db, createUserRepository(db)),
      userPoolId: pool.userPoolId,
      runId: crypto.randomUUID(),
      dryRun: false,
      force: false,
      maxDeleteShare,
      batchSize: 100,
    });
  }

  const liveRowsOf = async (userPoolId: string) =>
    db('users').where({ user_pool_id: userPoolId }).whereNull('deleted_at').count({ n: '*' });

  it.each([0.05, 0])(
    'when the table holds no row of the adopted pool, then the run backfills all its users and the brake (share %s) does not hold',
    async (maxDeleteShare) => {
      const adopted = newPool();

      const report = await firstRun(adopted, 250, maxDeleteShare);

      expect(report.status).toBe('complete');
      expect(report.summary).toEqual(reconcileSummary({ scanned: 250, created: 250 }));
      expect(report.gone).toEqual({ gone: 0, live: 250 });
      expect(Number((await liveRowsOf(adopted.userPoolId))[0]?.n)).toBe(250);
    },
  );

  it('when the table holds the rows of the pool the stack had before, then they are neither counted nor marked', async () => {
    const previous = newPool();
    const adopted = newPool();
    const repository = createUserRepository(db);
    for (let index = 0; index < 40; index += 1) {
      await repository.upsert({
        sub: previous.sub(index),
        email: `user-${index}@example.com`,
        username: previous.sub(index),
        userPoolId: previous.userPoolId,
        attributes: { sub: previous.sub(index), email: `user-${index}@example.com` },
        source: 'trigger',
      });
    }

    const report = await firstRun(adopted, 10, 0);

    expect(report.status).toBe('complete');
    expect(report.summary).toEqual(reconcileSummary({ scanned: 10, created: 10 }));
    expect(Number((await liveRowsOf(previous.userPoolId))[0]?.n)).toBe(40);
  });

  it('when the adopted pool is empty too, then the run completes with nothing to do', async () => {
    const report = await firstRun(newPool(), 0, 0);

    expect(report.status).toBe('complete');
    expect(report.summary).toEqual(reconcileSummary({}));
    expect(report.gone).toEqual({ gone: 0, live: 0 });
  });
});
