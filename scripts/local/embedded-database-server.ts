import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { startPgliteWireServer } from './pglite-wire-server';

export interface EmbeddedDatabaseServer {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres?sslmode=disable`. */
  url: string;
  port: number;
  /** Closes every client connection, then the database files. */
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseServerOptions {
  /** PGlite's data directory; undefined keeps the database in memory. */
  dataDir: string | undefined;
  /** @default 0 (a free port) */
  port?: number;
  log?: (line: string) => void;
}

/**
 * Opens the embedded PGlite database once, in this process, and serves it on a loopback port, so
 * that the API child, migrations, the reconciler and psql are all clients of one database (only
 * one process may open PGlite's files). A password made for this run keeps other local users
 * out; the URL that carries it is for files readable by the owner only.
 */
export async function startEmbeddedDatabaseServer({
  dataDir,
  port = 0,
  log,
}: EmbeddedDatabaseServerOptions): Promise<EmbeddedDatabaseServer> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const db = new PGlite(dataDir);
  try {
    const server = await startPgliteWireServer({
      db,
      port,
      password: randomBytes(18).toString('base64url'),
      ...(log ? { log } : {}),
    });
    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      stop: () =>
        (stopping ??= (async () => {
          await server.stop();
          // A backend that exited cannot be closed either; closing would wait forever.
          if (server.failure() === undefined) await db.close();
        })()),
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
