import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), then closes sockets. */
  close(): Promise<void>;
}

export interface ListenOptions {
  port: number;
  host: string;
  shutdownTimeoutMs: number;
}

/** Starts an HTTP server for `listener` and resolves once it is listening. */
export function listen(listener: RequestListener, options: ListenOptions): Promise<RunningServer> {
  const server = http.createServer(listener);
  // Longer than the ALB's idle timeout (60 s), so the ALB, not us, closes idle keep-alives.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shownHost =
        options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${shownHost}:${port}`,
        port,
        close: () => {
          closing ??= new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs);
            force.unref();
            // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
            const sweep = setInterval(() => server.closeIdleConnections(), 100);
            sweep.unref();
            server.close(() => {
              clearTimeout(force);
              clearInterval(sweep);
              done();
            });
            server.closeIdleConnections();
          });
          return closing;
        },
      });
    });
  });
}
