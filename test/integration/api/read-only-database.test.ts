import type { Knex } from 'knex';
import { openDatabase } from '../../../api/database';
import { migratorConfig } from '../../../migrations/index';
import { newRegistration } from '../../../fixtures/registrations';
import {
  databaseKind,
  openTestDatabase,
  quietLogger,
  serverDatabaseUrl,
} from '../../../fixtures/test-database';
import { countUsers, errorCodeOf, startTestApi, type TestApi } from '../../helpers/api-harness';

/**
 * A database that answers but cannot take writes, as a standby or a writer demoted in a failover
 * does: the API must answer 503 (an outage the senders wait out), never 500 (a defect). The
 * session is made read-only with `SET default_transaction_read_only`, the way a demoted server's
 * sessions behave. On the PostgreSQL server, the pool then reconnects, so the next attempt
 * (a fresh session) stores the registration; the pool is one connection wide, so "the next
 * attempt" cannot land on another connection by chance.
 */
describe(`a read-only database under the API (${databaseKind})`, () => {
  let db: Knex;
  let verifier: Knex;
  let api: TestApi;

  beforeAll(async () => {
    verifier = await openTestDatabase();
    db = serverDatabaseUrl
      ? openDatabase(
          { kind: 'postgres', connectionString: serverDatabaseUrl, ssl: 'disable', poolMax: 1 },
          quietLogger,
        )
      : verifier;
    if (serverDatabaseUrl) await db.migrate.latest(migratorConfig);
    api = await startTestApi({ db });
  });

  afterAll(async () => {
    await api.stop();
    if (db !== verifier) await db.destroy();
    await verifier.destroy();
  });

  /** Makes the session the API's next query runs on read-only. */
  const makeSessionReadOnly = async (): Promise<void> => {
    await db.raw('SET SESSION default_transaction_read_only = on');
  };

  it('when the database refuses writes, then POST /user answers 503 unavailable with retry-after and writes nothing', async () => {
    expect((await api.post('/user', newRegistration())).status).toBe(201);
    const refused = newRegistration();

    await makeSessionReadOnly();
    const response = await fetch(`${api.url}/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [api.headerName]: api.headerValues[0] ?? '' },
      body: JSON.stringify(refused),
    });
    const body: unknown = await response.json();
    // The embedded database keeps its one session: switch it back by hand.
    if (!serverDatabaseUrl) await db.raw('SET SESSION default_transaction_read_only = off');

    expect(response.status).toBe(503);
    expect(errorCodeOf(body)).toBe('unavailable');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await countUsers(verifier, refused.sub)).toBe(0);
    expect(api.logOutput()).not.toContain('"status":500');
  });

  it('when the database is read-only, then /readyz answers 503 saying so', async () => {
    await makeSessionReadOnly();
    const readiness = await api.get('/readyz');
    if (!serverDatabaseUrl) await db.raw('SET SESSION default_transaction_read_only = off');

    expect(readiness.status).toBe(503);
    expect(api.logOutput()).toMatch(/"reason":"database is read-only[^"]*".*"msg":"not ready/);
  });

  if (serverDatabaseUrl) {
    it('when a pooled connection reported read-only, then the next attempt opens a fresh one and stores the registration once', async () => {
      const registration = newRegistration();

      await makeSessionReadOnly();
      const refused = await api.post('/user', registration);
      const retried = await api.post('/user', registration);

      expect(refused.status).toBe(503);
      expect(retried.status).toBe(201);
      expect(await countUsers(verifier, registration.sub)).toBe(1);
      expect(api.logOutput()).not.toContain('"status":500');
    });

    it('when the readiness probe found the connection read-only, then the next probe runs on a fresh one', async () => {
      await makeSessionReadOnly();

      expect((await api.get('/readyz')).status).toBe(503);
      expect((await api.get('/readyz')).status).toBe(200);
    });
  }
});
