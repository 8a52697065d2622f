import fs from 'node:fs';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Logger } from '#contract/logger';
import type { DatabaseTarget } from './config';

/**
 * Opens a knex instance on PostgreSQL (`pg`) or on the embedded PGlite. The same migrations and
 * SQL run on both. Connection waits are short so that an unreachable database turns into a fast
 * 503 rather than a request hanging behind the pool.
 */
export function openDatabase(target: DatabaseTarget, logger?: Logger): Knex {
  // knex prints pool and driver warnings with console.log unless given a logger.
  const log = logger && {
    warn: (message: unknown) => logger.warn({ detail: String(message) }, 'database warning'),
    error: (message: unknown) => logger.error({ detail: String(message) }, 'database error'),
    deprecate: (message: unknown) => logger.debug({ detail: String(message) }, 'knex deprecation'),
    debug: (message: unknown) => logger.debug({ detail: String(message) }, 'knex debug'),
  };
  if (target.kind === 'embedded') {
    if (target.dataDir !== undefined) fs.mkdirSync(target.dataDir, { recursive: true });
    return knex({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: target.dataDir === undefined ? {} : { filename: target.dataDir },
      ...(log ? { log } : {}),
    });
  }
  const ssl =
    target.ssl === 'disable' ? false : { rejectUnauthorized: target.ssl === 'verify-full' };
  return knex({
    client: 'pg',
    connection: {
      connectionString: target.connectionString,
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password,
      ssl,
      connectionTimeoutMillis: 2_000,
      // Server-side cap: a stuck statement must not hold a pooled connection forever.
      statement_timeout: 5_000,
      application_name: 'cognito-user-sync-api',
    },
    pool: { min: 0, max: target.poolMax, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 2_500,
    ...(log ? { log } : {}),
  });
}
