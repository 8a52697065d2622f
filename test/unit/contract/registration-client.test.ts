import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { staticHeaderSecretSource, type HeaderSecretSource } from '#contract/header-secret-source';
import { classifyStatus, createRegistrationClient } from '#contract/registration-client';
import { newHeaderSecret, newRegistration } from '../../../fixtures/registrations';

interface RawApi {
  url: string;
  seen: http.IncomingHttpHeaders[];
  answer(status: number, text: string): void;
  close(): Promise<void>;
}

/** A loopback API answering every POST with a fixed status and raw body text. */
async function rawApi(): Promise<RawApi> {
  let reply = { status: 201, text: '' };
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => {
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(reply.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answer: (status, text) => {
      reply = { status, text };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('registration client answers', () => {
  const secret = newHeaderSecret();
  let api: RawApi;

  beforeAll(async () => {
    api = await rawApi();
  });

  afterAll(async () => {
    await api.close();
  });

  const deliver = (headerSecrets: HeaderSecretSource = staticHeaderSecretSource([secret])) =>
    createRegistrationClient({
      apiUrl: api.url,
      headerName: 'x-origin-verify',
      headerSecrets,
    }).deliver(newRegistration(), { timeoutMs: 2000 });

  it('when no request id is given, then none is sent, and the header goes under its configured name', async () => {
    api.answer(201, '{"change":"created"}');
    const before = api.seen.length;

    await deliver();

    const headers = api.seen[before];
    expect(headers?.['x-request-id']).toBeUndefined();
    expect(headers?.['x-origin-verify']).toBe(secret);
    expect(headers?.['content-type']).toBe('application/json');
  });

  it.each([
    [201, '', 'created', true],
    [200, '', 'unchanged', false],
    [200, 'not json', 'unchanged', false],
    [201, '{"change":"renamed"}', 'created', true],
    [200, '{"change":"stale"}', 'stale', false],
    [201, '{"change":"updated"}', 'updated', true],
    [200, '"a string"', 'unchanged', false],
    [200, 'null', 'unchanged', false],
  ])(
    'when the API answers %i with %j, then it is delivered with change %s',
    async (status, text, change, created) => {
      api.answer(status, text);

      const result = await deliver();

      expect(result).toEqual({ outcome: 'delivered', status, created, change });
    },
  );

  it('when the answer holds the stored user, then it is passed on', async () => {
    const user = { sub: 'x', email: 'a@b.c' };
    api.answer(200, JSON.stringify({ change: 'unchanged', user }));

    const result = await deliver();

    expect(result).toEqual({
      outcome: 'delivered',
      status: 200,
      created: false,
      change: 'unchanged',
      user,
    });
  });

  it.each([
    ['no body', ''],
    ['a body that is not JSON', '<html>'],
    ['an error without a message', '{"error":{"code":"x"}}'],
    ['an error whose message is no text', '{"error":{"message":42}}'],
    ['an error that is no object', '{"error":"gone"}'],
    ['a null error', '{"error":null}'],
  ])('when a failure comes with %s, then the detail is the status', async (_case, text) => {
    api.answer(404, text);

    const result = await deliver();

    expect(result).toEqual({
      outcome: 'retryable',
      reason: 'unexpected_status',
      status: 404,
      detail: 'HTTP 404',
    });
  });

  it('when a 403 is answered and the secret re-read works, then the detail is the API’s alone', async () => {
    api.answer(403, '{"error":{"code":"forbidden","message":"bad header"}}');
    let refreshes = 0;

    const result = await deliver({
      ...staticHeaderSecretSource([secret]),
      refresh: () => {
        refreshes += 1;
        return Promise.resolve(false);
      },
    });

    expect(result).toEqual({
      outcome: 'retryable',
      reason: 'forbidden',
      status: 403,
      detail: 'bad header',
    });
    expect(refreshes).toBe(1);
  });

  it('when a 403 is answered and the re-read fails, then the detail adds why', async () => {
    api.answer(403, '');

    const result = await deliver({
      ...staticHeaderSecretSource([secret]),
      refresh: () => Promise.reject(new Error('AccessDeniedException')),
    });

    expect(result).toEqual({
      outcome: 'retryable',
      reason: 'forbidden',
      status: 403,
      detail: 'HTTP 403; header secret refresh failed: Error: AccessDeniedException',
    });
  });

  it('when another retryable status comes, then the secret is not re-read', async () => {
    api.answer(503, '');
    let refreshes = 0;

    await deliver({
      ...staticHeaderSecretSource([secret]),
      refresh: () => {
        refreshes += 1;
        return Promise.resolve(true);
      },
    });

    expect(refreshes).toBe(0);
  });

  it.each([
    [400, 'invalid_request'],
    [422, 'invalid_request'],
    [413, 'rejected'],
    [415, 'rejected'],
  ])(
    'when the API answers %i, then it is permanent: %s, with the message',
    async (status, reason) => {
      api.answer(status, '{"error":{"code":"x","message":"no"}}');

      expect(await deliver()).toEqual({ outcome: 'permanent', reason, status, detail: 'no' });
    },
  );

  it('when the header value cannot be read, then deliver rejects and nothing is sent', async () => {
    const before = api.seen.length;
    const failing: HeaderSecretSource = {
      ...staticHeaderSecretSource([secret]),
      currentValue: () => Promise.reject(new Error('secret unavailable')),
    };

    await expect(deliver(failing)).rejects.toThrow('secret unavailable');
    expect(api.seen).toHaveLength(before);
  });

  it('when the API never answers, then the detail says how long it waited', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const result = await createRegistrationClient({
        apiUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        headerName: 'x-custom-auth',
        headerSecrets: staticHeaderSecretSource([secret]),
      }).deliver(newRegistration(), { timeoutMs: 120 });

      expect(result).toEqual({
        outcome: 'retryable',
        reason: 'timeout',
        detail: 'no answer within 120 ms',
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('classifyStatus boundaries', () => {
  it.each([
    [199, { outcome: 'retryable', reason: 'unexpected_status' }],
    [200, { outcome: 'delivered' }],
    [299, { outcome: 'delivered' }],
    [300, { outcome: 'retryable', reason: 'unexpected_status' }],
    [401, { outcome: 'retryable', reason: 'unexpected_status' }],
    [412, { outcome: 'retryable', reason: 'unexpected_status' }],
    [413, { outcome: 'permanent', reason: 'rejected' }],
    [414, { outcome: 'retryable', reason: 'unexpected_status' }],
    [415, { outcome: 'permanent', reason: 'rejected' }],
    [422, { outcome: 'permanent', reason: 'invalid_request' }],
    [428, { outcome: 'retryable', reason: 'unexpected_status' }],
    [499, { outcome: 'retryable', reason: 'unexpected_status' }],
    [501, { outcome: 'retryable', reason: 'server_error' }],
    [505, { outcome: 'retryable', reason: 'server_error' }],
  ])('when the status is %i, then the class is %j', (status, expected) => {
    expect(classifyStatus(status)).toEqual(expected);
  });
});
