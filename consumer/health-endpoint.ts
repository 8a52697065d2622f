import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthEndpoint {
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /healthz` on loopback, for the container health check: it answers while the process's
 * event loop runs. It says nothing about the API or the queue on purpose: a consumer paused by an
 * API outage is healthy, and replacing it would only lose the pause state.
 */
export async function startHealthEndpoint(
  port: number,
  host = '127.0.0.1',
): Promise<HealthEndpoint> {
  const server = http.createServer((req, res) => {
    const ok = req.method === 'GET' && req.url === '/healthz';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { status: 'ok' } : { error: { code: 'not_found' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
