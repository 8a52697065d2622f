import { z } from 'zod';
import { envFields, parseEnv } from '#contract/config';
import { databaseEnvShape, databaseTargetFrom, type DatabaseTarget } from '../api/database-config';

const envSchema = z.object({
  ...databaseEnvShape,
  DATABASE_APP_SECRET_ARN: envFields.secretArn.optional(),
});

export interface MigrateConfig {
  /** The database to migrate, logged into as the migration role (in AWS, the RDS master). */
  database: DatabaseTarget;
  /**
   * The application role's RDS-format secret: when set, the role it names is created or updated
   * after the migrations, with the application's privileges.
   */
  appRoleSecretArn: string | undefined;
}

/**
 * The migration runner's settings: the database variables the API reads, plus the application
 * role's secret. Nothing about headers or ports: the runner only talks to the database.
 */
export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): Readonly<MigrateConfig> {
  const vars = parseEnv(envSchema, env);
  return Object.freeze({
    database: databaseTargetFrom(vars),
    appRoleSecretArn: vars.DATABASE_APP_SECRET_ARN,
  });
}
