import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import pino from 'pino';
import { DEFAULT_AUTH_HEADER_NAME } from '#contract/auth-header';
import type { HeaderSecretSource } from '#contract/header-secret-source';
import type { ApiConfig } from '../../api/config';
import { startApi, type RunningApi } from '../../api/start-api';
import { newHeaderSecret } from '../../fixtures/registrations';
import { openTestDatabase } from '../../fixtures/test-database';

export interface TestApi extends RunningApi {
  headerName: string;
  /** Accepted values, current first. */
  headerValues: readonly string[];
  /** Everything the API logged so far (JSON lines). */
  logOutput(): string;
  /** POSTs a JSON value (or raw string) to a path with the current header unless overridden. */
  post(
    path: string,
    body: unknown,
    options?: { headers?: Record<string, string>; raw?: boolean },
  ): Promise<{ status: number; body: unknown }>;
  get(path: string): Promise<{ status: number; body: unknown }>;
}

export interface TestApiOptions {
  db: Knex;
  headerValues?: readonly string[];
  headerSecrets?: HeaderSecretSource;
  /** A fixed port, e.g. to bring an API back where its clients expect it. @default 0 (any) */
  port?: number;
}

/** Starts the real API on an ephemeral port over the given database, capturing its logs. */
export async function startTestApi(options: TestApiOptions): Promise<TestApi> {
  const headerValues = options.headerValues ?? [newHeaderSecret(), newHeaderSecret()];
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug', base: { service: 'api' } }, sink);
  const config: ApiConfig = {
    port: options.port ?? 0,
    host: '127.0.0.1',
    database: { kind: 'embedded', dataDir: undefined },
    migrateOnStart: false,
    authHeaderName: DEFAULT_AUTH_HEADER_NAME,
    headerSecrets: { kind: 'static', acceptedHeaderValues: headerValues },
    shutdownTimeoutMs: 5_000,
    logLevel: 'debug',
    // Loopback clients, no proxy in front: no address check (test/unit/api/source-address-guard).
    allowedSourceRanges: undefined,
    trustedProxyHops: 0,
  };
  const api = await startApi({
    config,
    logger,
    db: options.db,
    ...(options.headerSecrets ? { headerSecrets: options.headerSecrets } : {}),
  });
  const [current] = headerValues;

  const parse = async (response: Response): Promise<{ status: number; body: unknown }> => {
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  };

  return {
    ...api,
    headerName: DEFAULT_AUTH_HEADER_NAME,
    headerValues,
    logOutput: () => chunks.join(''),
    async post(path, body, postOptions = {}) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(current ? { [DEFAULT_AUTH_HEADER_NAME]: current } : {}),
        ...postOptions.headers,
      };
      const response = await fetch(`${api.url}${path}`, {
        method: 'POST',
        headers,
        body: postOptions.raw ? String(body) : JSON.stringify(body),
      });
      return parse(response);
    },
    async get(path) {
      return parse(await fetch(`${api.url}${path}`));
    },
  };
}

/** Rows stored for a sub (0 or 1): the ground truth for "no partial write". */
export async function countUsers(db: Knex, sub: string): Promise<number> {
  const rows: { count: string | number }[] = await db('users').where({ sub }).count({ count: '*' });
  return Number(rows[0]?.count ?? 0);
}

/** The API and its database for one describe block, opened before its tests and closed after. */
export interface ApiOnTestDatabase {
  readonly api: TestApi;
  readonly db: Knex;
}

/**
 * Registers beforeAll/afterAll hooks that open a migrated test database (the PostgreSQL server
 * or PGlite), start the real API on it, and close both afterwards.
 */
export function useApiOnTestDatabase(options: Omit<TestApiOptions, 'db'> = {}): ApiOnTestDatabase {
  let api: TestApi | undefined;
  let db: Knex | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
    api = await startTestApi({ ...options, db });
  });
  afterAll(async () => {
    await api?.stop();
    await db?.destroy();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the API is started in beforeAll');
    return value;
  };
  return {
    get api() {
      return started(api);
    },
    get db() {
      return started(db);
    },
  };
}

/** The `error.code` of an API error body. */
export const errorCodeOf = (body: unknown): unknown =>
  (body as { error?: { code?: unknown } }).error?.code;

/** The `error.message` of an API error body. */
export const errorMessageOf = (body: unknown): string =>
  String((body as { error?: { message?: unknown } }).error?.message);
