import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';

/** Where and as whom to log in: the fields of an RDS-format secret. */
export interface DatabaseCredentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** The secret RDS (and its rotation functions) keep: `{engine, host, port, dbname, username, password, …}`. */
const rdsSecretSchema = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535),
  dbname: z.string().min(1),
  username: z.string().min(1),
  password: z.string().min(1),
});

/**
 * Parses an RDS-format secret. The error names the missing fields, never a value: the document
 * holds a password.
 */
export function parseRdsSecret(secretString: string): DatabaseCredentials {
  let document: unknown;
  try {
    document = JSON.parse(secretString);
  } catch {
    throw new Error('database secret is not JSON');
  }
  const parsed = rdsSecretSchema.safeParse(document);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))];
    throw new Error(`database secret lacks valid fields: ${fields.join(', ')}`);
  }
  const { host, port, dbname, username, password } = parsed.data;
  return { host, port, database: dbname, user: username, password };
}

/**
 * Database credentials that can change under a running process (a rotation). `current()` is
 * cached; `refresh()` reads the source again, and is meant to be called when the server refuses
 * a login with the cached credentials.
 */
export interface DatabaseCredentialSource {
  current(): Promise<DatabaseCredentials>;
  /**
   * Re-reads the source. Concurrent callers share one read, and refreshes closer together than
   * the minimum interval are skipped, so a burst of refused logins (or a password that is simply
   * wrong) costs one Secrets Manager call per interval.
   */
  refresh(): Promise<void>;
  /** Grows by one each time `refresh()` read new values. */
  readonly generation: number;
}

export interface SecretsManagerCredentialOptions {
  secretArn: string;
  /** @default a client configured by the SDK's own environment (region, endpoint override) */
  client?: SecretsManagerClient;
  /** Refreshes closer together than this are skipped. @default 2000 */
  minRefreshIntervalMs?: number;
  now?: () => number;
}

/** Credentials kept in an RDS-format Secrets Manager secret (`DATABASE_SECRET_ARN`). */
export function secretsManagerCredentialSource(
  options: SecretsManagerCredentialOptions,
): DatabaseCredentialSource {
  const client = options.client ?? new SecretsManagerClient({});
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? 2_000;
  const now = options.now ?? Date.now;
  let cached: Promise<DatabaseCredentials> | undefined;
  let refreshing: Promise<void> | undefined;
  let lastRefreshAt = Number.NEGATIVE_INFINITY;
  let generation = 0;

  const read = (): Promise<DatabaseCredentials> => {
    const reading = client
      .send(new GetSecretValueCommand({ SecretId: options.secretArn }))
      .then((output) => {
        if (output.SecretString === undefined) throw new Error('database secret has no string');
        return parseRdsSecret(output.SecretString);
      });
    // A failed read is not kept: the next caller tries again.
    reading.catch(() => {
      if (cached === reading) cached = undefined;
    });
    cached = reading;
    return reading;
  };

  return {
    current: () => cached ?? read(),
    async refresh() {
      if (refreshing === undefined) {
        if (now() - lastRefreshAt < minRefreshIntervalMs) return;
        lastRefreshAt = now();
        refreshing = read().then(
          () => {
            generation += 1;
            refreshing = undefined;
          },
          (error: unknown) => {
            refreshing = undefined;
            throw error;
          },
        );
      }
      await refreshing;
    },
    get generation() {
      return generation;
    },
  };
}
