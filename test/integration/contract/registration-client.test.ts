import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { staticHeaderSecretSource, type HeaderSecretSource } from '#contract/header-secret-source';
import { createRegistrationClient } from '#contract/registration-client';
import { newHeaderSecret, newRegistration } from '../../helpers/registrations';
import { hang, refusedUrl, startStubApi, type StubApi } from '../../helpers/stub-api';

describe('registration client', () => {
  const secret = newHeaderSecret();
  let stub: StubApi;

  beforeAll(async () => {
    stub = await startStubApi();
  });

  afterAll(async () => {
    await stub.close();
  });

  const clientFor = (
    apiUrl: string,
    headerSecrets: HeaderSecretSource = staticHeaderSecretSource([secret]),
  ) => createRegistrationClient({ apiUrl, headerName: 'x-custom-auth', headerSecrets });

  it('when the API stores the user, then the result is delivered with the header and request id sent', async () => {
    stub.setBehaviour((request) => ({
      status: 201,
      body: { change: 'created', user: request.body },
    }));
    const registration = newRegistration();

    const result = await clientFor(stub.url).deliver(registration, {
      timeoutMs: 2000,
      requestId: 'req-1',
    });

    expect(result).toMatchObject({
      outcome: 'delivered',
      status: 201,
      created: true,
      change: 'created',
      user: { sub: registration.sub },
    });
    const seen = stub.requests.at(-1);
    expect(seen?.headers['x-custom-auth']).toBe(secret);
    expect(seen?.headers['x-request-id']).toBe('req-1');
    expect(seen?.body).toEqual(registration);
  });

  it.each([
    [413, { outcome: 'permanent', reason: 'rejected' }],
    // Contract v2 has no 409: a stray one is a misroute, not a verdict on the registration.
    [409, { outcome: 'retryable', reason: 'unexpected_status' }],
    [400, { outcome: 'permanent', reason: 'invalid_request' }],
    [503, { outcome: 'retryable', reason: 'unavailable' }],
    [500, { outcome: 'retryable', reason: 'server_error' }],
    [429, { outcome: 'retryable', reason: 'throttled' }],
    [404, { outcome: 'retryable', reason: 'unexpected_status' }],
  ])(
    'when the API answers %i, then the result is %j with its message',
    async (status, expected) => {
      stub.setBehaviour(() => ({
        status,
        body: { error: { code: 'x', message: `said ${status}` } },
      }));

      const result = await clientFor(stub.url).deliver(newRegistration(), { timeoutMs: 2000 });

      expect(result).toMatchObject({ ...expected, status, detail: `said ${status}` });
    },
  );

  it('when the API answers 403, then the header secret is re-read for the next attempt', async () => {
    stub.setBehaviour(() => ({ status: 403 }));
    let refreshes = 0;
    const source: HeaderSecretSource = {
      ...staticHeaderSecretSource([secret]),
      refresh: () => {
        refreshes += 1;
        return Promise.resolve(true);
      },
    };

    const result = await clientFor(stub.url, source).deliver(newRegistration(), {
      timeoutMs: 2000,
    });

    expect(result).toMatchObject({ outcome: 'retryable', reason: 'forbidden' });
    expect(refreshes).toBe(1);
  });

  it('when the API never answers, then the attempt ends as a timeout at its deadline', async () => {
    stub.setBehaviour(hang);
    const startedAt = Date.now();

    const result = await clientFor(stub.url).deliver(newRegistration(), { timeoutMs: 300 });

    expect(result).toMatchObject({ outcome: 'retryable', reason: 'timeout' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(Date.now() - startedAt).toBeLessThan(1500);
  });

  it('when nothing listens, then the attempt ends as a network failure at once', async () => {
    const result = await clientFor(await refusedUrl()).deliver(newRegistration(), {
      timeoutMs: 2000,
    });

    expect(result).toMatchObject({ outcome: 'retryable', reason: 'network' });
    expect((result as { detail: string }).detail).toMatch(/ECONNREFUSED/);
  });

  it('when a kept-alive connection was closed by the server, then the request is sent again on a fresh one', async () => {
    // A server that drops every connection on its second request: what a reused socket meets
    // after the server's idle timeout or a Lambda freeze.
    const requestsPerSocket = new WeakMap<object, number>();
    let seen = 0;
    const server = http.createServer((request, response) => {
      seen += 1;
      const count = (requestsPerSocket.get(request.socket) ?? 0) + 1;
      requestsPerSocket.set(request.socket, count);
      request.resume();
      if (count > 1) {
        request.socket.destroy();
        return;
      }
      request.on('end', () => {
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = clientFor(url);

      const first = await client.deliver(newRegistration(), { timeoutMs: 2000 });
      const second = await client.deliver(newRegistration(), { timeoutMs: 2000 });

      expect(first.outcome).toBe('delivered');
      expect(second.outcome).toBe('delivered');
      expect(seen).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
