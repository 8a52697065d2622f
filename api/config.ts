import { z } from 'zod';
import { chooseHeaderSource, envFields, parseEnv } from '#contract/config';
import { databaseEnvShape, databaseTargetFrom, type DatabaseTarget } from './database-config';

export type { DatabaseTarget } from './database-config';

const envSchema = z.object({
  PORT: envFields.port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  ...databaseEnvShape,
  MIGRATE_ON_START: z.enum(['true', 'false']).optional(),
  AUTH_HEADER_NAME: envFields.authHeaderName,
  AUTH_HEADER_SECRETS: envFields.headerSecretList.optional(),
  AUTH_SECRET_ARN: envFields.secretArn.optional(),
  SHUTDOWN_TIMEOUT_MS: envFields.positiveInt(10_000),
  LOG_LEVEL: envFields.logLevel,
});

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

  const database: DatabaseTarget = databaseTargetFrom(vars);

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
