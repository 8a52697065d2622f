import autocannon from 'autocannon';
import { distributionOf, type Distribution } from './stats';

/** One request to send; built afresh for every request so bodies can be unique. */
export interface LoadRequest {
  method: 'POST' | 'PUT' | 'GET';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpLoadOptions {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Concurrent keep-alive connections, one request in flight on each. */
  connections: number;
  /** Total requests to complete. */
  amount: number;
  nextRequest: () => LoadRequest;
  /** Per-request timeout in seconds (default 10). */
  requestTimeoutSeconds?: number;
  /** The whole run is stopped after this long; unfinished requests then count as missing. */
  deadlineMs: number;
}

export interface HttpLoadResult {
  /** Responses received, by HTTP status. */
  statusCounts: Record<string, number>;
  responses: number;
  /** Connection errors and timeouts (autocannon counts timeouts among errors). */
  errors: number;
  timeouts: number;
  /** True when the deadline cut the run short. */
  stoppedAtDeadline: boolean;
  durationSeconds: number;
  /** Responses per second, from the start to the last response. */
  responsesPerSecond: number;
  /** Latency of every response (any status), in ms, from autocannon's per-request timer. */
  latencyMs: Distribution;
}

/**
 * Drives an HTTP server with autocannon for a fixed number of requests. Latencies come from each
 * `response` event rather than autocannon's histogram, which keeps only whole milliseconds.
 */
export function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let stoppedAtDeadline = false;
  const startedAt = process.hrtime.bigint();
  // autocannon calls back on its next one-second tick, not when the last answer arrives; timing
  // to the callback would round every run up to whole seconds (up to ~8% on a 13 s run).
  let lastResponseAt = startedAt;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.baseUrl,
        connections: options.connections,
        amount: options.amount,
        timeout: options.requestTimeoutSeconds ?? 10,
        requests: [
          {
            setupRequest: (request) => {
              const next = options.nextRequest();
              return {
                ...request,
                method: next.method,
                path: next.path,
                headers: next.headers,
                body: next.body,
              };
            },
          },
        ],
      },
      (error: unknown, result) => {
        clearTimeout(deadline);
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const durationSeconds = Number(lastResponseAt - startedAt) / 1e9;
        resolve({
          statusCounts,
          responses: latencies.length,
          errors: result.errors,
          timeouts: result.timeouts,
          stoppedAtDeadline,
          durationSeconds,
          responsesPerSecond: latencies.length / durationSeconds,
          latencyMs: distributionOf(latencies),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastResponseAt = process.hrtime.bigint();
      latencies.push(responseTime);
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    });
    // Declared after the instance; its callback only runs once autocannon has finished.
    const deadline = setTimeout(() => {
      stoppedAtDeadline = true;
      instance.stop();
    }, options.deadlineMs);
  });
}
