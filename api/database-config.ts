import path from 'node:path';
import { z } from 'zod';
import { ConfigError, envFields, parseEnv } from '#contract/config';
import { parseRdsSecret, type DatabaseCredentials } from './database-credentials';

/**
 * How the connection to PostgreSQL is protected:
 * - `disable`: no TLS (a local server);
 * - `require`: encrypted, but the server's certificate is not checked (anyone on the path could
 *   pose as the server); only for servers whose CA is not bundled;
 * - `verify-full`: encrypted, and the certificate must chain to the Amazon RDS CA bundle shipped
 *   with the code and name the host connected to.
 */
export type DatabaseTlsMode = 'disable' | 'require' | 'verify-full';

export type DatabaseTarget =
  /** A server named by a connection URL (`DATABASE_URL`); credentials are part of the URL. */
  | { kind: 'postgres'; connectionString: string; ssl: DatabaseTlsMode; poolMax: number }
  /**
   * A server whose address and credentials are read from an RDS-format Secrets Manager secret
   * (`DATABASE_SECRET_ARN`), and read again when a login is refused.
   */
  | { kind: 'postgres-secret'; secretArn: string; ssl: DatabaseTlsMode; poolMax: number }
  /**
   * A server named by the RDS-format secret document itself, as ECS injects a whole secret into
   * a container (the migrate container): read once, never refreshed.
   */
  | {
      kind: 'postgres-credentials';
      credentials: DatabaseCredentials;
      ssl: DatabaseTlsMode;
      poolMax: number;
    }
  /** Embedded PGlite; `dataDir` undefined means in memory. */
  | { kind: 'embedded'; dataDir: string | undefined };

/**
 * The database variables, shared by every runtime that opens the database (the API, `npm run
 * migrate`, the knexfile), so that all of them reach the same database from the same settings.
 */
export const databaseEnvShape = {
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL')
    .optional(),
  DATABASE_SECRET_ARN: envFields.secretArn.optional(),
  DATABASE_SSL: z.enum(['disable', 'require', 'verify-full']).optional(),
  DATABASE_POOL_MAX: envFields.positiveInt(10),
  PGLITE_DATA_DIR: z.string().default(path.join('.data', 'pglite')),
};

/**
 * An RDS-format secret document in a variable. Problems name the missing fields, never a value.
 */
export const rdsSecretDocument = z.string().transform((raw, ctx) => {
  try {
    return parseRdsSecret(raw);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid' });
    return z.NEVER;
  }
});

const databaseEnvSchema = z.object(databaseEnvShape);
type DatabaseEnv = z.output<typeof databaseEnvSchema>;

/**
 * Turns parsed database variables into a target: a connection URL, a secret, or the embedded
 * default. A secret names an RDS instance, which refuses unencrypted connections, so TLS is
 * verified unless DATABASE_SSL says otherwise.
 */
export function databaseTargetFrom(vars: DatabaseEnv): DatabaseTarget {
  if (vars.DATABASE_URL && vars.DATABASE_SECRET_ARN) {
    throw new ConfigError(
      'Invalid configuration: DATABASE_URL and DATABASE_SECRET_ARN are exclusive; set one',
    );
  }
  if (vars.DATABASE_SECRET_ARN) {
    return {
      kind: 'postgres-secret',
      secretArn: vars.DATABASE_SECRET_ARN,
      ssl: vars.DATABASE_SSL ?? 'verify-full',
      poolMax: vars.DATABASE_POOL_MAX,
    };
  }
  if (vars.DATABASE_URL) {
    return {
      kind: 'postgres',
      connectionString: vars.DATABASE_URL,
      ssl: vars.DATABASE_SSL ?? 'disable',
      poolMax: vars.DATABASE_POOL_MAX,
    };
  }
  const dataDir = vars.PGLITE_DATA_DIR === 'memory://' ? undefined : vars.PGLITE_DATA_DIR;
  return { kind: 'embedded', dataDir };
}

/**
 * Reads only the database variables (for tools that open the database and nothing else, such as
 * the migration runner). Throws ConfigError naming the variable at fault, never its value.
 */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  return Object.freeze(databaseTargetFrom(parseEnv(databaseEnvSchema, env)));
}
