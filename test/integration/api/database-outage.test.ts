import { PGlite } from '@electric-sql/pglite';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { openDatabase } from '../../../api/database';
import { migratorConfig } from '../../../migrations/index';
import { countUsers, errorCodeOf, startTestApi, type TestApi } from '../../helpers/api-harness';
import { newRegistration } from '../../../fixtures/registrations';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy';
import {
  openTestDatabase,
  postgresTarget,
  quietLogger,
  serverDatabaseUrl,
} from '../../../fixtures/test-database';
import { waitFor } from '../../../scripts/local/wait-for';

if (serverDatabaseUrl) {
  const serverUrl = serverDatabaseUrl;

  describe('database outage (PostgreSQL server behind a cuttable proxy)', () => {
    let proxy: TcpProxy;
    let db: Knex;
    let api: TestApi;
    let verifier: Knex;

    beforeAll(async () => {
      verifier = await openTestDatabase();
      const target = new URL(serverUrl);
      proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
      target.hostname = '127.0.0.1';
      target.port = String(proxy.port);
      db = openDatabase(postgresTarget(target.toString()), quietLogger);
      api = await startTestApi({ db });
    });

    afterAll(async () => {
      await api.stop();
      await db.destroy();
      await proxy.close();
      await verifier.destroy();
    });

    it('when the database goes away and comes back, then 503 meanwhile, nothing half-written, and recovery without a restart', async () => {
      expect((await api.post('/user', newRegistration())).status).toBe(201);
      const duringOutage = newRegistration();

      proxy.cut();
      const rejected = await api.post('/user', duringOutage);
      const readiness = await api.get('/readyz');
      const liveness = await api.get('/healthz');

      expect(rejected.status).toBe(503);
      expect(errorCodeOf(rejected.body)).toBe('unavailable');
      expect(readiness.status).toBe(503);
      expect(api.logOutput()).toMatch(/"reason":"[^"]+".*"msg":"not ready: database unreachable"/);
      expect(liveness.status).toBe(200);
      expect(await countUsers(verifier, duringOutage.sub)).toBe(0);

      proxy.restore();
      await waitFor(async () => (await api.get('/readyz')).status === 200, {
        what: '/readyz to recover',
      });
      const retried = await api.post('/user', duringOutage);

      expect(retried.status).toBe(201);
      expect(await countUsers(verifier, duringOutage.sub)).toBe(1);
    });

    it('when the database is down, then the error never exposes internals', async () => {
      proxy.cut();
      try {
        const response = await api.post('/user', newRegistration());
        expect(response.status).toBe(503);
        expect(JSON.stringify(response.body)).not.toMatch(/ECONN|127\.0\.0\.1|postgres/i);
      } finally {
        proxy.restore();
      }
    });
  });
} else {
  describe('database outage (embedded PGlite closed under the API)', () => {
    let pglite: PGlite;
    let db: Knex;
    let api: TestApi;

    beforeAll(async () => {
      pglite = new PGlite();
      // knex-pglite takes an existing instance through a connection function (untyped in knex).
      const connection = (() => ({ pglite })) as unknown as Knex.Config['connection'];
      db = knex({ client: ClientPgLite, dialect: 'postgres', connection });
      await db.migrate.latest(migratorConfig);
      api = await startTestApi({ db });
    });

    afterAll(async () => {
      await api.stop();
      await db.destroy().catch(() => undefined);
    });

    it('when the embedded database is closed, then POST /user and /readyz answer 503, /healthz 200', async () => {
      expect((await api.post('/user', newRegistration())).status).toBe(201);

      await pglite.close();
      const rejected = await api.post('/user', newRegistration());
      const readiness = await api.get('/readyz');

      expect(rejected.status).toBe(503);
      expect(errorCodeOf(rejected.body)).toBe('unavailable');
      expect(readiness.status).toBe(503);
      expect(api.logOutput()).toMatch(/"reason":"[^"]+".*"msg":"not ready: database unreachable"/);
      expect((await api.get('/healthz')).status).toBe(200);
    });
  });
}
