/** What one look at the API's `GET /readyz` found. */
export interface ReadinessResult {
  /** 200: the API answers and reaches its database. */
  ready: boolean;
  status?: number;
  detail: string;
}

/** Asks the API whether it can store registrations now; never throws. */
export type ReadinessProbe = () => Promise<ReadinessResult>;

export interface ReadinessProbeOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  /** A probe that has not been answered by then counts as "not ready". */
  timeoutMs: number;
}

/**
 * A probe of the API's readiness endpoint, which answers 200 only when the API can reach its
 * database: the signal that deliveries would succeed again after an outage.
 */
export function createReadinessProbe({ apiUrl, timeoutMs }: ReadinessProbeOptions): ReadinessProbe {
  const endpoint = new URL('/readyz', apiUrl);
  return async () => {
    try {
      const response = await fetch(endpoint, { signal: AbortSignal.timeout(timeoutMs) });
      // Read to the end so the connection goes back to the pool.
      await response.arrayBuffer();
      return response.status === 200
        ? { ready: true, status: 200, detail: 'ready' }
        : { ready: false, status: response.status, detail: `HTTP ${response.status}` };
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      return {
        ready: false,
        detail: timedOut ? `no answer within ${timeoutMs} ms` : String(cause),
      };
    }
  };
}
