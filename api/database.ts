import fs from 'node:fs';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Logger } from '#contract/logger';
import { createConnectionRecycler, type ConnectionRecycler } from './connection-recycling';
import type { DatabaseTarget } from './database-config';
import {
  secretsManagerCredentialSource,
  type DatabaseCredentialSource,
} from './database-credentials';
import { needsFreshConnections } from './database-errors';
import { tlsOptionsFor } from './database-tls';

export interface OpenDatabaseOptions {
  /** Overrides the source a `postgres-secret` target builds (tests). */
  credentials?: DatabaseCredentialSource;
}

/** Settings every pooled PostgreSQL connection shares, wherever its credentials come from. */
const sharedConnectionSettings = {
  connectionTimeoutMillis: 2_000,
  // Server-side cap: a stuck statement must not hold a pooled connection forever.
  statement_timeout: 5_000,
  application_name: 'cognito-user-sync-api',
};

/** The credential source of each database opened from a secret, for `withFreshCredentials`. */
const credentialSources = new WeakMap<
  Knex,
  { credentials: DatabaseCredentialSource; logger: Logger | undefined }
>();

/**
 * The knex configuration for a target: PostgreSQL (`pg`) or the embedded PGlite, on which the
 * same migrations and SQL run. Connection waits are short so that an unreachable database turns
 * into a fast 503 rather than a request hanging behind the pool.
 *
 * For a `postgres-secret` target, knex asks a connection provider for the settings; the provider
 * reports them expired once the credentials were refreshed, so the next connection logs in with
 * the new ones (see `withFreshCredentials`).
 */
export function knexConfigFor(
  target: DatabaseTarget,
  logger?: Logger,
  credentials?: DatabaseCredentialSource,
): Knex.Config {
  // knex prints pool and driver warnings with console.log unless given a logger.
  const log = logger && {
    warn: (message: unknown) => logger.warn({ detail: String(message) }, 'database warning'),
    error: (message: unknown) => logger.error({ detail: String(message) }, 'database error'),
    deprecate: (message: unknown) => logger.debug({ detail: String(message) }, 'knex deprecation'),
    debug: (message: unknown) => logger.debug({ detail: String(message) }, 'knex debug'),
  };
  if (target.kind === 'embedded') {
    if (target.dataDir !== undefined) fs.mkdirSync(target.dataDir, { recursive: true });
    return {
      client: ClientPgLite,
      dialect: 'postgres',
      connection: target.dataDir === undefined ? {} : { filename: target.dataDir },
      ...(log ? { log } : {}),
    };
  }
  const ssl = tlsOptionsFor(target.ssl);
  const common = {
    client: 'pg',
    pool: { min: 0, max: target.poolMax, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 2_500,
    ...(log ? { log } : {}),
  };
  if (target.kind === 'postgres') {
    return {
      ...common,
      connection: { connectionString: target.connectionString, ssl, ...sharedConnectionSettings },
    };
  }
  if (target.kind === 'postgres-credentials') {
    const { host, port, database, user, password } = target.credentials;
    return {
      ...common,
      connection: { host, port, database, user, password, ssl, ...sharedConnectionSettings },
    };
  }
  const source = credentials ?? secretsManagerCredentialSource({ secretArn: target.secretArn });
  const connectionFromSecret = async (): Promise<Knex.PgConnectionConfig> => {
    const generation = source.generation;
    const current = await source.current();
    const settings: Knex.PgConnectionConfig & { expirationChecker: () => boolean } = {
      host: current.host,
      port: current.port,
      database: current.database,
      user: current.user,
      password: current.password,
      ssl,
      ...sharedConnectionSettings,
      // knex calls the provider again, for the next connection, once this returns true.
      expirationChecker: () => source.generation !== generation,
    };
    return settings;
  };
  return { ...common, connection: connectionFromSecret };
}

/** The connection recycler of each PostgreSQL pool, for `retireConnections`. */
const recyclers = new WeakMap<Knex, { recycler: ConnectionRecycler; logger: Logger | undefined }>();

/**
 * Opens a knex instance for a target (see `knexConfigFor`). A database opened from a secret
 * remembers its credential source, so `withFreshCredentials` can re-read it.
 *
 * A PostgreSQL pool drops its connections once any query on it fails with a failover-class
 * SQLSTATE (a read-only server, an administrator shutdown: `needsFreshConnections`), so the
 * next attempt connects afresh, to wherever the endpoint's name points now. knex reports every
 * failed query through its public `query-error` event, wherever the query was run from.
 */
export function openDatabase(
  target: DatabaseTarget,
  logger?: Logger,
  options: OpenDatabaseOptions = {},
): Knex {
  if (target.kind === 'embedded') return knex(knexConfigFor(target, logger));
  const credentials =
    target.kind === 'postgres-secret'
      ? (options.credentials ?? secretsManagerCredentialSource({ secretArn: target.secretArn }))
      : undefined;
  const config = knexConfigFor(target, logger, credentials);
  const recycler = createConnectionRecycler();
  const db = knex({ ...config, pool: { ...config.pool, ...recycler.poolHooks } });
  recyclers.set(db, { recycler, logger });
  db.on('query-error', (error: unknown) => {
    if (needsFreshConnections(error)) retire(recycler, logger, error);
  });
  if (credentials) credentialSources.set(db, { credentials, logger });
  return db;
}

/** Retires the pool's connections and says so, once per generation of connections. */
function retire(recycler: ConnectionRecycler, logger: Logger | undefined, cause: unknown): void {
  if (!recycler.retireAll()) return;
  const code =
    typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  logger?.warn(
    { code: typeof code === 'string' ? code : undefined },
    'database is not taking writes here (failover?); reconnecting every pooled connection',
  );
}

/**
 * Makes the pool of `db` open new connections instead of reusing those it holds: for a caller
 * that learnt without an error that the server cannot take writes (the readiness probe reading
 * `transaction_read_only`). No-op for the embedded database, which has no pool.
 */
export function retireConnections(db: Knex): void {
  const pool = recyclers.get(db);
  if (pool) retire(pool.recycler, pool.logger, { code: '25006' });
}

/**
 * PostgreSQL refused the login: a wrong password (28P01), or a role that may not log in or does
 * not exist (28000). Nothing was executed, so the work can be retried as it is.
 */
export function isLoginRefused(error: unknown): boolean {
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === '28P01' || code === '28000';
}

/**
 * Runs `work`; when the database refused the login and its credentials come from a secret, reads
 * the secret again and runs `work` once more. A password rotation then costs one extra login
 * instead of a failed request, and needs no restart. Other errors pass through untouched.
 */
export async function withFreshCredentials<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const source = credentialSources.get(db);
    if (source === undefined || !isLoginRefused(error)) throw error;
    source.logger?.warn(
      { code: (error as { code: string }).code },
      'database refused the login; reading the credentials again',
    );
    await source.credentials.refresh();
    return work();
  }
}
