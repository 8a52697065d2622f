import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { staticHeaderSecretSource } from '#contract/header-secret-source';
import { agentsTrusting } from '#contract/json-post';
import { createRegistrationClient, type RegistrationClient } from '#contract/registration-client';
import { newHeaderSecret, newRegistration } from '../../helpers/registrations';
import { testTls, type TestTls } from '../../helpers/test-ca';

interface TlsApi {
  url: string;
  /** TLS handshakes completed: one per connection. */
  readonly handshakes: number;
  /** Requests seen, per connection in arrival order. */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * An HTTPS server answering 201 to every POST; with `dropReusedConnections` it destroys a
 * connection on its second request, as a server past its idle timeout (or a thawed Lambda's stale
 * socket) does.
 */
async function startTlsApi(tls: TestTls, { dropReusedConnections = false } = {}): Promise<TlsApi> {
  let handshakes = 0;
  let requests = 0;
  const requestsPerSocket = new WeakMap<object, number>();
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    requests += 1;
    const count = (requestsPerSocket.get(request.socket) ?? 0) + 1;
    requestsPerSocket.set(request.socket, count);
    request.resume();
    if (dropReusedConnections && count > 1) {
      request.socket.destroy();
      return;
    }
    request.on('end', () => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  server.on('secureConnection', () => {
    handshakes += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get handshakes() {
      return handshakes;
    },
    get requests() {
      return requests;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('registration client over TLS', () => {
  let tls: TestTls;
  const secret = newHeaderSecret();

  beforeAll(async () => {
    tls = await testTls();
  }, 60_000);

  const clientFor = (url: string, trustTestCa = true): RegistrationClient =>
    createRegistrationClient({
      apiUrl: url,
      headerName: 'x-custom-auth',
      headerSecrets: staticHeaderSecretSource([secret]),
      ...(trustTestCa ? { agentFor: agentsTrusting(tls.ca) } : {}),
    });

  it('when the API serves a certificate from a trusted CA, then registrations are delivered over one kept-alive connection', async () => {
    const api = await startTlsApi(tls);
    try {
      const client = clientFor(api.url);

      const results = [];
      for (let index = 0; index < 3; index += 1) {
        results.push(await client.deliver(newRegistration(), { timeoutMs: 5000 }));
      }

      expect(results.map((result) => result.outcome)).toEqual([
        'delivered',
        'delivered',
        'delivered',
      ]);
      expect(api.requests).toBe(3);
      expect(api.handshakes).toBe(1);
    } finally {
      await api.close();
    }
  });

  it('when a kept-alive TLS connection was closed by the server, then the request is sent again on a fresh one', async () => {
    const api = await startTlsApi(tls, { dropReusedConnections: true });
    try {
      const client = clientFor(api.url);

      const first = await client.deliver(newRegistration(), { timeoutMs: 5000 });
      const second = await client.deliver(newRegistration(), { timeoutMs: 5000 });

      expect(first.outcome).toBe('delivered');
      expect(second.outcome).toBe('delivered');
      // The second registration met the dropped socket, then went through on a new handshake.
      expect(api.requests).toBe(3);
      expect(api.handshakes).toBe(2);
    } finally {
      await api.close();
    }
  });

  it('when the server presents a certificate no trusted CA signed, then nothing is sent and the attempt fails as a network error', async () => {
    const api = await startTlsApi(tls);
    try {
      const result = await clientFor(api.url, false).deliver(newRegistration(), {
        timeoutMs: 5000,
      });

      expect(result).toMatchObject({ outcome: 'retryable', reason: 'network' });
      expect((result as { detail: string }).detail).toMatch(/certificate/i);
      expect(api.requests).toBe(0);
    } finally {
      await api.close();
    }
  });
});
