import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { takeExclusiveTurn } from './exclusive-turn';
import { PgliteWireConnection } from './pglite-wire-connection';
import { STARTUP_CODES, backendMessagesOfType } from './pg-wire-messages';

export interface PgliteWireServerOptions {
  /** The embedded database to serve; the caller opens and closes it. */
  db: PGlite;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** The role name put in `url` (PGlite has one superuser). @default 'postgres' */
  user?: string;
  /** The database name clients must ask for. @default 'postgres' */
  database?: string;
  /** When set, clients must send this password; it is part of `url`. @default none */
  password?: string;
  /**
   * A client that keeps a transaction open this long without sending anything is disconnected
   * (its transaction rolled back), because every other client waits for it meanwhile. 0 = never.
   * @default 60_000
   */
  idleInTransactionTimeoutMs?: number;
  /** Connection failures, never SQL or secrets. @default silent */
  log?: (line: string) => void;
}

export interface PgliteWireServer {
  /** `postgres://user[:password]@host:port/database`, with TLS off (`sslmode=disable`). */
  url: string;
  host: string;
  port: number;
  /** Why PGlite stopped answering (its backend exited), or undefined while it works. */
  failure(): string | undefined;
  /** Stops accepting, closes every connection (rolling back their open work); leaves `db` open. */
  stop(): Promise<void>;
}

/** A StartupMessage for PGlite itself, to learn the parameters it announces to a new session. */
function startupPacket(user: string, database: string): Buffer {
  const parameters = Buffer.from(`user\0${user}\0database\0${database}\0\0`, 'utf8');
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + parameters.length, 0);
  header.writeInt32BE(STARTUP_CODES.protocol3, 4);
  return Buffer.concat([header, parameters]);
}

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol on a TCP port, so that ordinary
 * clients (node-postgres pools, psql, knex) in other processes share the embedded database.
 * Each connection's messages run in whole batches under PGlite's exclusive lock, and a connection
 * inside a transaction keeps the lock until the transaction ends: clients see one another's work
 * only once committed, as with a server, but take turns on the single backend. Session state that
 * a server keeps per connection (SET, prepared statement names, temporary tables) is shared.
 */
export async function startPgliteWireServer(
  options: PgliteWireServerOptions,
): Promise<PgliteWireServer> {
  const { db, password } = options;
  const host = options.host ?? '127.0.0.1';
  const user = options.user ?? 'postgres';
  const database = options.database ?? 'postgres';
  const log = options.log ?? (() => undefined);
  await db.waitReady;
  const release = await takeExclusiveTurn(db);
  let parameterStatuses: Buffer;
  try {
    const greeting = await db.execProtocolRaw(startupPacket(user, database));
    parameterStatuses = Buffer.concat(backendMessagesOfType(greeting, 'S'));
  } finally {
    release();
  }

  const settings = {
    db,
    database,
    password,
    parameterStatuses,
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 60_000,
    log,
    failure: { reason: undefined as string | undefined },
  };
  const connections = new Set<PgliteWireConnection>();
  const server = createServer((socket: Socket) => {
    const connection = new PgliteWireConnection(socket, settings);
    connections.add(connection);
    socket.once('close', () => {
      void connection.close().finally(() => connections.delete(connection));
    });
  });
  server.on('error', (error) => log(`database server error: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const credentials = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://${credentials}@${host}:${port}/${database}?sslmode=disable`,
    host,
    port,
    failure: () => settings.failure.reason,
    stop: () =>
      (stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...connections].map((connection) => connection.close()));
        await closed;
      })()),
  };
}
