import { z } from 'zod';
import { chooseHeaderSource, envFields, parseEnv } from '#contract/config';
import { databaseEnvShape, databaseTargetFrom, type DatabaseTarget } from './database-config';
import {
  DEFAULT_TRUSTED_PROXY_HOPS,
  parseSourceAddressRange,
  type SourceAddressRange,
} from './source-address-policy';

export type { DatabaseTarget } from './database-config';

/**
 * `ALLOWED_SOURCE_IPS`: comma-separated addresses or CIDRs. Entries are named by position in
 * problems, as every other variable's values are kept out of messages.
 */
const sourceAddressList = z.string().transform((raw, ctx) => {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one address or CIDR' });
  }
  const ranges: SourceAddressRange[] = [];
  entries.forEach((entry, index) => {
    const parsed = parseSourceAddressRange(entry);
    if (parsed.ok) ranges.push(parsed.range);
    else ctx.addIssue({ code: 'custom', message: `entry ${index + 1} ${parsed.problem}` });
  });
  return ranges;
});

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
  ALLOWED_SOURCE_IPS: sourceAddressList.optional(),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(DEFAULT_TRUSTED_PROXY_HOPS),
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
  /**
   * Who may `POST /user`, by client address (`ALLOWED_SOURCE_IPS`); undefined means no address
   * check, for local runs. The stack always sets it (the NAT addresses), so that the API still
   * refuses strangers if the WAF guard is detached, counting or edited.
   */
  allowedSourceRanges: readonly SourceAddressRange[] | undefined;
  /**
   * Proxies in front of the API that append to `X-Forwarded-For` (`TRUSTED_PROXY_HOPS`): the
   * client address is the entry that many places from the right. 1 (default): the load balancer.
   * 0: nothing in front, the address is the TCP peer's (a local run, a direct connection).
   */
  trustedProxyHops: number;
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
    allowedSourceRanges: vars.ALLOWED_SOURCE_IPS,
    trustedProxyHops: vars.TRUSTED_PROXY_HOPS,
  });
}
