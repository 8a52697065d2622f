import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA, createCert } from 'mkcert';

export interface Front {
  url: string;
  close(): Promise<void>;
}

export interface LoopbackTls {
  /** PEM of the CA a client must trust. */
  ca: string;
  key: string;
  cert: string;
}

/** A throwaway CA and a certificate it signed for 127.0.0.1, made in memory. */
export async function loopbackTls(): Promise<LoopbackTls> {
  const ca = await createCA({
    organization: 'cognito-user-sync bench',
    countryCode: 'ZZ',
    state: 'Bench',
    locality: 'Bench',
    validity: 1,
  });
  const server = await createCert({ ca, domains: ['127.0.0.1'], validity: 1 });
  return { ca: ca.cert, key: server.key, cert: server.cert };
}

/**
 * A reverse proxy in front of `targetUrl` on 127.0.0.1, speaking TLS when `tls` is given and plain
 * HTTP otherwise, with a keep-alive pool to the target: the load balancer's hop in miniature.
 * Measuring the API through both isolates what TLS adds to the sender's request.
 */
export async function startFront(targetUrl: string, tls?: LoopbackTls): Promise<Front> {
  const target = new URL(targetUrl);
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const forward: http.RequestListener = (request, response) => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
        agent: upstreamAgent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  };
  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, forward)
    : http.createServer(forward);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      upstreamAgent.destroy();
    },
  };
}
