import path from 'node:path';
import { z } from 'zod';
import { envFields } from '#contract/config';

/** Database variables, shared by every runtime that opens the users table (API, migrations, reconciler). */
export const databaseEnvShape = {
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL')
    .optional(),
  DATABASE_HOST: z.string().optional(),
  DATABASE_PORT: envFields.port.default(5432),
  DATABASE_NAME: z.string().optional(),
  DATABASE_USER: z.string().optional(),
  DATABASE_PASSWORD: z.string().optional(),
  DATABASE_SSL: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  DATABASE_POOL_MAX: envFields.positiveInt(10),
  PGLITE_DATA_DIR: z.string().default(path.join('.data', 'pglite')),
};

type DatabaseEnv = z.output<z.ZodObject<typeof databaseEnvShape>>;

export type DatabaseTarget =
  | {
      kind: 'postgres';
      connectionString?: string;
      host?: string;
      port: number;
      database?: string;
      user?: string;
      password?: string;
      ssl: 'disable' | 'require' | 'verify-full';
      poolMax: number;
    }
  /** Embedded PGlite; `dataDir` undefined means in memory. */
  | { kind: 'embedded'; dataDir: string | undefined };

/** PostgreSQL when DATABASE_URL or DATABASE_HOST is set, else the embedded PGlite. */
export function databaseTargetFrom(vars: DatabaseEnv): DatabaseTarget {
  if (vars.DATABASE_URL || vars.DATABASE_HOST) {
    return {
      kind: 'postgres',
      connectionString: vars.DATABASE_URL,
      host: vars.DATABASE_HOST,
      port: vars.DATABASE_PORT,
      database: vars.DATABASE_NAME,
      user: vars.DATABASE_USER,
      password: vars.DATABASE_PASSWORD,
      ssl: vars.DATABASE_SSL,
      poolMax: vars.DATABASE_POOL_MAX,
    };
  }
  const dataDir = vars.PGLITE_DATA_DIR === 'memory://' ? undefined : vars.PGLITE_DATA_DIR;
  return { kind: 'embedded', dataDir };
}
