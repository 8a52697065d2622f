import type { Knex } from 'knex';
import { migratorConfig } from '../../../migrations/index';
import { countUsers, errorCodeOf, startTestApi, type TestApi } from '../../helpers/api-harness';
import { newRegistration } from '../../../fixtures/registrations';
import { databaseKind, openEmptyDatabase } from '../../../fixtures/test-database';

interface LogLine {
  level: number;
  msg: string;
  err?: { message?: string };
}

const logLines = (api: TestApi): LogLine[] =>
  api
    .logOutput()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);

describe(`storage defects (${databaseKind})`, () => {
  let db: Knex;
  let api: TestApi;
  let closeDatabase: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    ({ db, close: closeDatabase } = await openEmptyDatabase());
    // A deploy whose code ran ahead of its migration: the table lacks observed_at.
    await db.migrate.up(migratorConfig);
    api = await startTestApi({ db });
  });

  afterAll(async () => {
    await api.stop();
    await closeDatabase();
  });

  it('when the upsert hits a missing column, then 500 internal, an error log with the cause, and nothing written', async () => {
    const registration = newRegistration();

    const response = await api.post('/user', registration);

    expect(response.status).toBe(500);
    expect(errorCodeOf(response.body)).toBe('internal');
    expect(JSON.stringify(response.body)).not.toMatch(/observed_at|INSERT|column/i);
    const logged = logLines(api).find((line) => line.msg === 'storing the registration failed');
    expect(logged?.level).toBe(50);
    expect(logged?.err?.message).toMatch(/observed_at/);
    expect(await countUsers(db, registration.sub)).toBe(0);
  });

  it('when the database answers but the statement is wrong, then the database still counts as ready', async () => {
    expect((await api.get('/readyz')).status).toBe(200);
  });
});
