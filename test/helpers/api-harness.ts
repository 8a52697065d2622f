import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import pino from 'pino';
import { DEFAULT_AUTH_HEADER_NAME } from '#contract/auth-header';
import type { HeaderSecretSource } from '#contract/header-secret-source';
import type { ApiConfig } from '../../api/config';
import { startApi, type RunningApi } from '../../api/start-api';
import { newHeaderSecret } from './registrations';

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
    port: 0,
    host: '127.0.0.1',
    database: { kind: 'embedded', dataDir: undefined },
    migrateOnStart: false,
    authHeaderName: DEFAULT_AUTH_HEADER_NAME,
    headerSecrets: { kind: 'static', acceptedHeaderValues: headerValues },
    shutdownTimeoutMs: 5_000,
    logLevel: 'debug',
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
