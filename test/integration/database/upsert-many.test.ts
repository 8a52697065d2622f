import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Registration } from '#contract/registration';
import type { StoredUser } from '#contract/user';
import {
  createUserRepository,
  type UpsertResult,
  type UserRepository,
} from '../../../api/user-repository';
import { newRegistration } from '../../../fixtures/registrations';
import { databaseKind, openTestDatabase } from '../../../fixtures/test-database';
import { observationsOf, shuffled } from '../../helpers/observations';

const at = (minutesAgo: number): string => new Date(Date.now() - minutesAgo * 60_000).toISOString();

/**
 * One registration per kind of outcome, with the stored state it meets: the same cases for any
 * set of fresh subs, so one set can go through single upserts and another through one batch.
 */
function scenarios(now: number) {
  const at = (minutesAgo: number): string => new Date(now - minutesAgo * 60_000).toISOString();
  const seeded = (overrides: Partial<Registration> = {}) =>
    newRegistration({ observedAt: at(10), ...overrides });
  const created = newRegistration({ observedAt: at(5) });
  const updatedSeed = seeded();
  const unchangedSeed = seeded();
  const newerSeed = seeded();
  const staleSeed = seeded();
  const deletedSeed = seeded();
  return {
    seeds: [updatedSeed, unchangedSeed, newerSeed, staleSeed, deletedSeed],
    markedDeleted: [deletedSeed.sub],
    cases: [
      { expected: 'created', registration: created },
      {
        expected: 'updated',
        registration: { ...updatedSeed, attributes: { 'custom:plan': 'pro' }, observedAt: at(5) },
      },
      { expected: 'unchanged', registration: unchangedSeed },
      { expected: 'unchanged', registration: { ...newerSeed, observedAt: at(5) } },
      {
        expected: 'stale',
        registration: { ...staleSeed, email: `old-${staleSeed.email}`, observedAt: at(20) },
      },
      { expected: 'updated', registration: { ...deletedSeed, observedAt: at(5) } },
    ],
  };
}

/** What a stored user says about its case, without what differs between two sets of subs. */
function comparable(user: StoredUser, seed: StoredUser | undefined) {
  return {
    attributes: { ...user.attributes, email: undefined },
    emailPrefix: user.email.split('user-')[0],
    observedAt: user.observedAt,
    deleted: user.deletedAt !== null,
    updatedAtMoved: seed === undefined ? null : user.updatedAt !== seed.updatedAt,
    source: user.source,
  };
}

describe(`the upsert in multi-row form (${databaseKind})`, () => {
  let db: Knex;
  let users: UserRepository;
  beforeAll(async () => {
    db = await openTestDatabase();
    users = createUserRepository(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  const storedRow = (sub: string) => db('users').where({ sub }).first();

  /** Seeds the scenario's stored rows; returns them by sub. */
  async function arrange(scenario: ReturnType<typeof scenarios>) {
    const seeds = new Map<string, StoredUser>();
    for (const seed of scenario.seeds) seeds.set(seed.sub, (await users.upsert(seed)).user);
    for (const sub of scenario.markedDeleted) {
      await db('users').where({ sub }).update({ deleted_at: new Date() });
      const marked = await storedRow(sub);
      const seed = seeds.get(sub) as StoredUser;
      seeds.set(sub, { ...seed, updatedAt: new Date(marked.updated_at).toISOString() });
    }
    return seeds;
  }

  it('when a batch mixes created, updated, unchanged, stale and a cleared deleted mark, then each row gets what its own single upsert gets', async () => {
    const now = Date.now();
    const single = scenarios(now);
    const batch = scenarios(now);
    const singleSeeds = await arrange(single);
    const batchSeeds = await arrange(batch);

    const singleResults: UpsertResult[] = [];
    for (const { registration } of single.cases)
      singleResults.push(await users.upsert(registration));
    const batchResults = await users.upsertMany(batch.cases.map((c) => c.registration));

    expect(batchResults).toHaveLength(batch.cases.length);
    const batchBySub = new Map(batchResults.map((result) => [result.user.sub, result]));
    batch.cases.forEach(({ expected, registration }, index) => {
      const fromBatch = batchBySub.get(registration.sub) as UpsertResult;
      const fromSingle = singleResults[index] as UpsertResult;
      expect(fromBatch.change).toBe(expected);
      expect(fromSingle.change).toBe(expected);
      expect(comparable(fromBatch.user, batchSeeds.get(registration.sub))).toEqual(
        comparable(fromSingle.user, singleSeeds.get(fromSingle.user.sub)),
      );
    });
    for (const result of batchResults) {
      const row = await storedRow(result.user.sub);
      expect(new Date(row.updated_at).toISOString()).toBe(result.user.updatedAt);
      expect(new Date(row.observed_at).toISOString()).toBe(result.user.observedAt);
      expect(row.email).toBe(result.user.email);
    }
  });

  it('when a batch is empty, then nothing is sent and nothing is returned', async () => {
    await expect(users.upsertMany([])).resolves.toEqual([]);
  });

  it('when one sub comes several times in a batch, then it is stored once, from its latest observation, as serial application leaves it', async () => {
    const base = newRegistration();
    const version = (name: string, minutesAgo: number): Registration => ({
      ...base,
      attributes: { 'custom:version': name },
      observedAt: at(minutesAgo),
    });
    const latest = version('latest', 1);

    const results = await users.upsertMany([version('a', 9), latest, version('b', 5)]);

    expect(results).toHaveLength(1);
    expect(results[0]?.change).toBe('created');
    expect(results[0]?.user.attributes).toEqual(latest.attributes);
    expect((await storedRow(base.sub)).attributes).toEqual(latest.attributes);
  });

  it('when one sub comes twice with the same observation, then the later one in the batch is stored, as serial application leaves it', async () => {
    const base = newRegistration({ observedAt: at(3) });
    const first = { ...base, attributes: { 'custom:version': 'first' } };
    const second = { ...base, attributes: { 'custom:version': 'second' } };

    const [result] = await users.upsertMany([first, second]);

    expect(result?.user.attributes).toEqual(second.attributes);
    expect((await storedRow(base.sub)).attributes).toEqual(second.attributes);
  });

  it('when batches race single upserts of the same subs in shuffled order, then every sub ends as serial application leaves it: its newest observation', async () => {
    const start = Date.now() - 600_000;
    const subs = Array.from({ length: 12 }, () => randomUUID());
    // Six observations of each sub; pairs share an instant except the newest, which is alone.
    const observations = subs.map((sub) =>
      observationsOf(newRegistration({ sub }), { count: 6, start, newestAfterMs: 120_000 }),
    );
    // Two batches take two observations of every sub each, in opposite sub order (the statement
    // must lock in one order to never deadlock); the other two go as single upserts.
    const perSub = observations.map((versions) => shuffled(versions));
    const firstBatch = perSub.flatMap((versions) => versions.slice(0, 2));
    const secondBatch = perSub.flatMap((versions) => versions.slice(2, 4)).reverse();
    const singles = perSub.flatMap((versions) => versions.slice(4));
    const work = shuffled<() => Promise<UpsertResult[]>>([
      () => users.upsertMany(firstBatch),
      () => users.upsertMany(secondBatch),
      ...singles.map((registration) => async () => [await users.upsert(registration)]),
    ]);

    const results = (await Promise.all(work.map((run) => run()))).flat();

    observations.forEach((versions, index) => {
      const sub = subs[index] as string;
      const ofSub = results.filter((result) => result.user.sub === sub);
      expect(ofSub.filter((result) => result.change === 'created')).toHaveLength(1);
    });
    for (const versions of observations) {
      const newest = versions[5] as Registration;
      const row = await storedRow(newest.sub);
      expect(row.email).toBe(newest.email);
      expect(row.attributes).toEqual(newest.attributes);
      expect(new Date(row.observed_at).toISOString()).toBe(newest.observedAt);
    }
  });
});
