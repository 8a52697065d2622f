import { z } from 'zod';
import { envFields, parseEnv } from '#contract/config';
import { databaseEnvShape, databaseTargetFrom, type DatabaseTarget } from '../api/database-config';

/** Share of the pool's live rows one run may mark deleted without `--force`. */
export const DEFAULT_MAX_DELETE_SHARE = 0.05;
/**
 * ListUsers calls per second. Cognito's UserList quota (ListUsers and ListUsersInGroup together)
 * is 30 requests per second per account and Region; a third of it leaves room for everything
 * else in the account that lists users.
 */
export const DEFAULT_REQUESTS_PER_SECOND = 10;
/**
 * Users per database round trip. Each batch costs a commit or two whatever its size, and on
 * PGlite that fixed cost is about what 1,000 users cost to classify: at 5,000 the per-user cost
 * nearly halves (bench:reconcile), while a batch still takes only a few MiB of memory.
 */
export const DEFAULT_BATCH_SIZE = 5000;

const envSchema = z.object({
  COGNITO_USER_POOL_ID: z
    .string({ message: 'is required: the user pool to mirror' })
    .max(55)
    .regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a Cognito user pool id like eu-west-1_AbC123'),
  RECONCILE_MAX_DELETE_SHARE: z.coerce
    .number()
    .min(0, 'must be a share from 0 to 1 (0.05 = 5 %)')
    .max(1, 'must be a share from 0 to 1 (0.05 = 5 %)')
    .default(DEFAULT_MAX_DELETE_SHARE),
  RECONCILE_REQUESTS_PER_SECOND: z.coerce
    .number()
    .positive()
    .max(1000)
    .default(DEFAULT_REQUESTS_PER_SECOND),
  RECONCILE_MAX_RETRIES: z.coerce.number().int().min(0).max(30).default(8),
  RECONCILE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_BATCH_SIZE),
  RECONCILE_TIMEOUT_SECONDS: envFields.positiveInt(3600),
  LOG_LEVEL: envFields.logLevel,
  ...databaseEnvShape,
});

export interface ReconcilerConfig {
  userPoolId: string;
  maxDeleteShare: number;
  requestsPerSecond: number;
  maxRetries: number;
  batchSize: number;
  /** The run stops itself (as an incomplete scan) after this long. */
  timeoutMs: number;
  logLevel: string;
  database: DatabaseTarget;
}

/**
 * Reads and validates the reconciler's environment once, at start-up. Throws ConfigError naming
 * the variable at fault (never its value). Region, credentials and
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER are the SDK's own.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ReconcilerConfig> {
  const vars = parseEnv(envSchema, env);
  return Object.freeze({
    userPoolId: vars.COGNITO_USER_POOL_ID,
    maxDeleteShare: vars.RECONCILE_MAX_DELETE_SHARE,
    requestsPerSecond: vars.RECONCILE_REQUESTS_PER_SECOND,
    maxRetries: vars.RECONCILE_MAX_RETRIES,
    batchSize: vars.RECONCILE_BATCH_SIZE,
    timeoutMs: vars.RECONCILE_TIMEOUT_SECONDS * 1000,
    logLevel: vars.LOG_LEVEL,
    database: databaseTargetFrom(vars),
  });
}
