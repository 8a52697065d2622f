import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import pino from 'pino';
import type { DatabaseTarget } from '../../api/config';
import { openDatabase } from '../../api/database';
import { migratorConfig } from '../../migrations/index';

/** The PostgreSQL server the suite runs against, or undefined for the embedded PGlite default. */
export const serverDatabaseUrl: string | undefined = process.env.DATABASE_URL || undefined;

/** Database warnings are expected in outage tests; keep them out of the test output. */
export const quietLogger = pino({ level: 'silent' });

/** Which engine this run uses, for test titles. */
export const databaseKind = serverDatabaseUrl ? 'PostgreSQL server' : 'embedded PGlite';

export function postgresTarget(connectionString: string): DatabaseTarget {
  return { kind: 'postgres', connectionString, ssl: 'disable', poolMax: 10 };
}

/**
 * A migrated database for one test file: the shared server database (tests keep apart by
 * unique subs and emails; migrations are idempotent and guarded by knex's lock) or a fresh
 * in-memory PGlite.
 */
export async function openTestDatabase(): Promise<Knex> {
  const db = openDatabase(
    serverDatabaseUrl
      ? postgresTarget(serverDatabaseUrl)
      : { kind: 'embedded', dataDir: undefined },
  );
  await migrateWithRetry(db);
  return db;
}

/** Parallel test files may meet knex's migration lock; wait for the other runner instead of failing. */
async function migrateWithRetry(db: Knex): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await db.migrate.latest(migratorConfig);
      return;
    } catch (error) {
      const locked = error instanceof Error && error.name === 'MigrationLocked';
      if (!locked || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * A brand-new, empty database on the server (for migration up/down tests that must not disturb
 * other files). Returns its URL and a function that drops it.
 */
export async function createScratchServerDatabase(
  serverUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cus_scratch_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
      try {
        await dropper.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.destroy();
      }
    },
  };
}
