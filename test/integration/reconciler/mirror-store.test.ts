import { randomInt, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { createUserRepository } from '../../../api/user-repository';
import { newRegistration } from '../../../fixtures/registrations';
import { databaseKind, openTestDatabase } from '../../../fixtures/test-database';
import { createMirrorStore } from '../../../reconciler/mirror-store';

describe(`the mirror store's sweep (${databaseKind})`, () => {
  let db: Knex;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db.destroy();
  });

  /** Five live rows of a pool of their own, one of them seen (twice) by a run. */
  async function poolWithOneSeen() {
    const userPoolId = `eu-west-1_Sweep${randomInt(1, 2 ** 31).toString(36)}`;
    const users = createUserRepository(db);
    const store = createMirrorStore(db, users);
    const registrations = Array.from({ length: 5 }, () =>
      newRegistration({ userPoolId, observedAt: new Date(Date.now() - 60_000).toISOString() }),
    );
    await users.upsertMany(registrations);
    const [seen] = registrations;
    const runId = randomUUID();
    await store.beginRun(runId);
    for (let pass = 0; pass < 2; pass += 1) {
      await store.applyBatch(runId, [], [seen?.sub as string], { dryRun: false });
    }
    // Every row predates this instant, as rows predate a scan that began after them.
    const scanStartedAt = new Date(Date.now() + 1_000);
    const deletedSubs = async () =>
      (await db('users').where({ user_pool_id: userPoolId }).whereNotNull('deleted_at')).map(
        (row: { sub: string }) => row.sub,
      );
    return { userPoolId, store, runId, seen, scanStartedAt, deletedSubs };
  }

  it('when a sub is staged twice, then it is counted once, and the unseen rows are the gone ones', async () => {
    const { userPoolId, store, runId, scanStartedAt } = await poolWithOneSeen();

    await expect(store.countGone(runId, userPoolId, scanStartedAt)).resolves.toEqual({
      live: 5,
      gone: 4,
    });
    await store.endRun(runId);
  });

  it('when marking finds more gone rows than the brake allows, then it undoes every mark and says none', async () => {
    const { userPoolId, store, runId, scanStartedAt, deletedSubs } = await poolWithOneSeen();

    await expect(store.markGone(runId, userPoolId, scanStartedAt, 3)).resolves.toBe(0);
    expect(await deletedSubs()).toEqual([]);

    await expect(store.markGone(runId, userPoolId, scanStartedAt, 4)).resolves.toBe(4);
    expect(await deletedSubs()).toHaveLength(4);
    await store.endRun(runId);
  });

  it('when the pool lists one new user twice in a batch, then it is created once and the copy counts as unchanged', async () => {
    const users = createUserRepository(db);
    const store = createMirrorStore(db, users);
    const registration = {
      ...newRegistration({ source: 'reconcile' }),
      observedAt: new Date(Date.now() - 60_000).toISOString(),
    };
    const runId = randomUUID();

    const counts = await store.applyBatch(
      runId,
      [registration, registration],
      [registration.sub, registration.sub],
      { dryRun: false },
    );

    expect(counts).toEqual({ created: 1, updated: 0, unchanged: 1, stale: 0 });
    await store.endRun(runId);
  });
});
