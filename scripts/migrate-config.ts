import { z } from 'zod';
import { ConfigError, parseEnv } from '#contract/config';
import {
  databaseEnvShape,
  databaseTargetFrom,
  rdsSecretDocument,
  type DatabaseTarget,
} from '../api/database-config';
import type { DatabaseCredentials } from '../api/database-credentials';

const envSchema = z.object({
  ...databaseEnvShape,
  DATABASE_CREDENTIALS: rdsSecretDocument.optional(),
  DATABASE_APP_CREDENTIALS: rdsSecretDocument.optional(),
});

export interface MigrateConfig {
  /** The database to migrate, logged into as the migration role (in AWS, the RDS master). */
  database: DatabaseTarget;
  /**
   * The application role's login, from its RDS-format secret (`DATABASE_APP_CREDENTIALS`): when
   * set, the role is created or updated after the migrations, with the application's privileges.
   */
  appRole: DatabaseCredentials | undefined;
}

/**
 * The migration runner's settings: the database variables the API reads, or the secret document
 * itself (`DATABASE_CREDENTIALS`, as ECS injects it into the migrate container, so that the
 * task role, shared with the API container, needs no access to the master secret), plus the
 * application role's secret document. Nothing about headers or ports: the runner only talks to
 * the database. Errors name the variable, never a value.
 */
export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): Readonly<MigrateConfig> {
  const vars = parseEnv(envSchema, env);
  let database: DatabaseTarget;
  if (vars.DATABASE_CREDENTIALS !== undefined) {
    if (vars.DATABASE_URL || vars.DATABASE_SECRET_ARN) {
      throw new ConfigError(
        'Invalid configuration: DATABASE_CREDENTIALS excludes DATABASE_URL and DATABASE_SECRET_ARN; set one',
      );
    }
    database = {
      kind: 'postgres-credentials',
      credentials: vars.DATABASE_CREDENTIALS,
      ssl: vars.DATABASE_SSL ?? 'verify-full',
      poolMax: 1,
    };
  } else {
    database = databaseTargetFrom(vars);
  }
  return Object.freeze({ database, appRole: vars.DATABASE_APP_CREDENTIALS });
}
