import path from 'node:path';
import { z } from 'zod';
import { chooseHeaderSource, envFields, parseEnv } from '#contract/config';

const envSchema = z.object({
  PORT: envFields.port.default(3000),
  HOST: z.string().default('0.0.0.0'),
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
  MIGRATE_ON_START: z.enum(['true', 'false']).optional(),
  AUTH_HEADER_NAME: envFields.authHeaderName,
  AUTH_HEADER_SECRETS: envFields.headerSecretList.optional(),
  AUTH_SECRET_ARN: envFields.secretArn.optional(),
  SHUTDOWN_TIMEOUT_MS: envFields.positiveInt(10_000),
  LOG_LEVEL: envFields.logLevel,
});

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

export type HeaderSecretsConfig =
  | { kind: 'static'; acceptedHeaderValues: readonly string[] }
  | { kind: 'secrets-manager'; secretArn: string };

export interface ApiConfig {
  port: number;
  host: string;
  database: DatabaseTarget;
  migrateOnStart: boolean;
  authHeaderName: string;
  headerSecrets: HeaderSecretsConfig;
  shutdownTimeoutMs: number;
  logLevel: string;
}

/**
 * Reads and validates the API's environment once, at start-up. Throws ConfigError naming the
 * variable at fault (never its value).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ApiConfig> {
  const vars = parseEnv(envSchema, env);

  const choice = chooseHeaderSource(
    'AUTH_HEADER_SECRETS',
    vars.AUTH_HEADER_SECRETS,
    vars.AUTH_SECRET_ARN,
  );
  const headerSecrets: HeaderSecretsConfig =
    choice.kind === 'static' ? { kind: 'static', acceptedHeaderValues: choice.value } : choice;

  let database: DatabaseTarget;
  if (vars.DATABASE_URL || vars.DATABASE_HOST) {
    database = {
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
  } else {
    const dataDir = vars.PGLITE_DATA_DIR === 'memory://' ? undefined : vars.PGLITE_DATA_DIR;
    database = { kind: 'embedded', dataDir };
  }

  return Object.freeze({
    port: vars.PORT,
    host: vars.HOST,
    database,
    // The embedded database has no separate migration step to forget, so it migrates itself.
    migrateOnStart: vars.MIGRATE_ON_START
      ? vars.MIGRATE_ON_START === 'true'
      : database.kind === 'embedded',
    authHeaderName: vars.AUTH_HEADER_NAME,
    headerSecrets,
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
    logLevel: vars.LOG_LEVEL,
  });
}
