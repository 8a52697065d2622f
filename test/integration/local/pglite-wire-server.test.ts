/**
 * The embedded database served over the PostgreSQL wire protocol, driven by the real `pg` driver
 * (the API's and the reconciler's) and by a bare socket for what no driver does on purpose.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import {
  startPgliteWireServer,
  type PgliteWireServer,
} from '../../../scripts/local/pglite-wire-server';
import {
  frontend,
  messageTypes,
  openRawPgSocket,
  type RawPgSocket,
} from '../../helpers/raw-pg-socket';

const PASSWORD = randomBytes(12).toString('hex');

/** A table of the test's own, so tests never see one another's rows. */
const tableName = (): string => `wire_${randomBytes(6).toString('hex')}`;

/** Settles a promise into a flag the test can read without waiting on it. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  return { promise: tracked, settled: () => settled };
}

describe('PGlite over the PostgreSQL wire protocol', () => {
  let db: PGlite;
  let server: PgliteWireServer;
  let pool: pg.Pool;
  const logged: string[] = [];

  beforeAll(async () => {
    db = new PGlite();
    server = await startPgliteWireServer({
      db,
      password: PASSWORD,
      idleInTransactionTimeoutMs: 60_000,
      log: (line) => logged.push(line),
    });
    pool = new pg.Pool({ connectionString: server.url, max: 6 });
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await server?.stop();
    await db?.close();
  });

  async function createTable(): Promise<string> {
    const table = tableName();
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, label text NOT NULL)`);
    return table;
  }

  /** A bare socket past startup and password, ready for its first query. */
  async function signedInRawSocket(): Promise<RawPgSocket> {
    const raw = await openRawPgSocket(server.port);
    raw.socket.write(frontend.startup({ user: 'postgres', database: 'postgres' }));
    await raw.waitForMessages('R');
    raw.socket.write(frontend.password(PASSWORD));
    await raw.waitForMessages('Z');
    return raw;
  }

  it('when a pool runs many parameterized queries at once, then each gets its own right answer', async () => {
    const table = await createTable();

    const inserted = await Promise.all(
      Array.from({ length: 120 }, (_, id) =>
        pool.query<{ id: number; label: string }>(
          `INSERT INTO ${table} (id, label) VALUES ($1, $2) RETURNING id, label`,
          [id, `label-${id}`],
        ),
      ),
    );
    const echoed = await Promise.all(
      Array.from({ length: 60 }, (_, id) =>
        pool.query<{ label: string; doubled: number }>(
          `SELECT label, $2::int * 2 AS doubled FROM ${table} WHERE id = $1`,
          [id, id],
        ),
      ),
    );

    expect(inserted.map((result) => result.rows[0])).toEqual(
      Array.from({ length: 120 }, (_, id) => ({ id, label: `label-${id}` })),
    );
    expect(echoed.map((result) => result.rows[0])).toEqual(
      Array.from({ length: 60 }, (_, id) => ({ label: `label-${id}`, doubled: id * 2 })),
    );
  });

  it('when one connection is inside a transaction, then another waits for it and sees only what was committed', async () => {
    const table = await createTable();
    const writer = await pool.connect();
    const reader = await pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO ${table} VALUES (1, 'kept')`);
      const countWhileOpen = track(
        reader.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`),
      );
      await writer.query(`INSERT INTO ${table} VALUES (2, 'kept')`);
      const readerWaited = !countWhileOpen.settled();
      await writer.query('COMMIT');
      const afterCommit = await countWhileOpen.promise;

      await writer.query('BEGIN');
      await writer.query(`INSERT INTO ${table} VALUES (3, 'rolled back')`);
      const countWhileDiscarding = track(
        reader.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`),
      );
      await writer.query('ROLLBACK');
      const afterRollback = await countWhileDiscarding.promise;

      expect(readerWaited).toBe(true);
      expect(afterCommit.rows[0]?.count).toBe(2);
      expect(afterRollback.rows[0]?.count).toBe(2);
    } finally {
      writer.release();
      reader.release();
    }
  });

  it('when a client vanishes inside a transaction, then its work is rolled back and the others carry on', async () => {
    const table = await createTable();
    const raw = await signedInRawSocket();
    raw.socket.write(frontend.query(`BEGIN; INSERT INTO ${table} VALUES (1, 'never committed')`));
    await raw.waitForMessages('Z', 2);
    const waiting = pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`);

    raw.socket.destroy();

    expect((await waiting).rows[0]?.count).toBe(0);
  });

  it('when a client vanishes in the middle of an extended-protocol exchange, then its statement is rolled back', async () => {
    const table = await createTable();
    const raw = await signedInRawSocket();
    raw.socket.write(
      Buffer.concat([
        frontend.parseBindExecute(`INSERT INTO ${table} VALUES (1, 'no sync')`),
        frontend.flush(),
      ]),
    );
    await raw.waitForMessages('C');

    raw.socket.destroy();
    const { rows } = await pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${table}`,
    );

    expect(rows[0]?.count).toBe(0);
  });

  it('when a client sends a malformed packet, then only its connection is closed, with an error', async () => {
    const raw = await signedInRawSocket();

    // A message type followed by a length smaller than the length field itself.
    raw.socket.write(Buffer.from([0x51, 0, 0, 0, 2]));
    await raw.closed;
    const garbage = await openRawPgSocket(server.port);
    garbage.socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await garbage.closed;
    const { rows } = await pool.query<{ answer: number }>('SELECT 42 AS answer');

    expect(messageTypes(raw.received()).at(-1)).toBe('E');
    expect(raw.received().toString('latin1')).toContain('C08P01');
    expect(rows[0]?.answer).toBe(42);
  });

  it('when a client sends a message type PGlite does not know, then only its connection is closed', async () => {
    const raw = await signedInRawSocket();

    // A second password message, in the middle of a session.
    raw.socket.write(frontend.password(PASSWORD));
    await raw.closed;
    const { rows } = await pool.query<{ answer: number }>('SELECT 42 AS answer');

    expect(raw.received().toString('latin1')).toContain('C08P01');
    expect(rows[0]?.answer).toBe(42);
  });

  it('when a client starts COPY FROM STDIN, then it is refused and the database keeps serving', async () => {
    const table = await createTable();
    const client = new pg.Client({ connectionString: server.url });
    client.on('error', () => undefined);
    await client.connect();

    const refused = await client.query(`COPY ${table} FROM STDIN`).catch((error: unknown) => error);
    await client.end().catch(() => undefined);
    const { rows } = await pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${table}`,
    );

    expect(refused).toMatchObject({ code: '0A000' });
    expect(rows[0]?.count).toBe(0);
  });

  it('when a query is a psql-style simple query of several statements, then every result comes back', async () => {
    const table = tableName();

    const results = (await pool.query(
      `CREATE TABLE ${table} (id int); INSERT INTO ${table} VALUES (1), (2); SELECT sum(id)::int AS total FROM ${table}`,
    )) as unknown as pg.QueryResult[];

    expect(results.map((result) => result.command)).toEqual(['CREATE', 'INSERT', 'SELECT']);
    expect(results[2]?.rows).toEqual([{ total: 3 }]);
  });

  it('when a statement fails, then the client gets the error and the connection stays usable', async () => {
    const client = await pool.connect();
    try {
      const simple = await client.query('SELECT no_such_column').catch((error: unknown) => error);
      const extended = await client
        .query('SELECT $1::int AS n', ['not a number'])
        .catch((error: unknown) => error);
      await client.query('BEGIN');
      const inTransaction = await client.query('SELECT 1 / 0').catch((error: unknown) => error);
      const aborted = await client.query('SELECT 1').catch((error: unknown) => error);
      await client.query('ROLLBACK');
      const { rows } = await client.query<{ n: number }>('SELECT $1::int AS n', [7]);

      expect(simple).toMatchObject({ code: '42703' });
      expect(extended).toMatchObject({ code: '22P02' });
      expect(inTransaction).toMatchObject({ code: '22012' });
      expect(aborted).toMatchObject({ code: '25P02' });
      expect(rows).toEqual([{ n: 7 }]);
    } finally {
      client.release();
    }
  });

  it('when the password or the database name is wrong, then the login is refused', async () => {
    const wrongPassword = new URL(server.url);
    wrongPassword.password = 'wrong';
    const wrongDatabase = new URL(server.url);
    wrongDatabase.pathname = '/elsewhere';

    const refusals = await Promise.all(
      [wrongPassword, wrongDatabase].map(async (url) => {
        const client = new pg.Client({ connectionString: url.toString() });
        return client.connect().then(
          () => client.end(),
          (error: unknown) => error,
        );
      }),
    );

    expect(refusals).toEqual([
      expect.objectContaining({ code: '28P01' }),
      expect.objectContaining({ code: '3D000' }),
    ]);
  });
});

describe('PGlite over the wire: a client idle in a transaction', () => {
  it('when it stays silent past the timeout, then it is disconnected and the others carry on', async () => {
    const db = new PGlite();
    const server = await startPgliteWireServer({ db, idleInTransactionTimeoutMs: 300 });
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    try {
      const idle = await pool.connect();
      const dropped = new Promise<Error>((resolve) => idle.once('error', resolve));
      await idle.query('BEGIN');
      await idle.query('CREATE TABLE abandoned (id int)');

      const error = await dropped;
      idle.release(error);
      const { rows } = await pool.query<{ found: string | null }>(
        "SELECT to_regclass('abandoned')::text AS found",
      );

      expect(error.message).toContain('idle-in-transaction timeout');
      expect(rows).toEqual([{ found: null }]);
    } finally {
      await pool.end();
      await server.stop();
      await db.close();
    }
  }, 60_000);
});
