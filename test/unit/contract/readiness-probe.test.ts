import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadinessProbe } from '#contract/readiness-probe';
import { refusedUrl } from '../../helpers/stub-api';

interface ProbeTarget {
  url: string;
  paths: string[];
  close(): Promise<void>;
}

/** A loopback server answering every request with `status`, or never when `status` is undefined. */
async function serve(status: number | undefined): Promise<ProbeTarget> {
  const paths: string[] = [];
  const server = http.createServer((request, response) => {
    paths.push(`${request.method ?? ''} ${request.url ?? ''}`);
    if (status === undefined) return;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: status === 200 ? 'ready' : 'not ready' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/some/base`,
    paths,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('readiness probe', () => {
  let target: ProbeTarget | undefined;

  afterEach(async () => {
    await target?.close();
    target = undefined;
  });

  it('when the API answers 200, then it is ready, and GET /readyz is asked at the root', async () => {
    target = await serve(200);

    const result = await createReadinessProbe({ apiUrl: target.url, timeoutMs: 2000 })();

    expect(result).toEqual({ ready: true, status: 200, detail: 'ready' });
    expect(target.paths).toEqual(['GET /readyz']);
  });

  it.each([503, 500, 404, 204])(
    'when the API answers %i, then it is not ready, with the status',
    async (status) => {
      target = await serve(status);

      const result = await createReadinessProbe({ apiUrl: target.url, timeoutMs: 2000 })();

      expect(result).toEqual({ ready: false, status, detail: `HTTP ${status}` });
    },
  );

  it('when the API never answers, then the probe gives up at its timeout', async () => {
    target = await serve(undefined);

    const result = await createReadinessProbe({ apiUrl: target.url, timeoutMs: 50 })();

    expect(result.ready).toBe(false);
    expect(result.status).toBeUndefined();
  });

  it('when nothing listens, then it is not ready, without a status', async () => {
    const url = await refusedUrl();

    const result = await createReadinessProbe({ apiUrl: url, timeoutMs: 2000 })();

    expect(result.ready).toBe(false);
    expect(result.status).toBeUndefined();
  });

  // fetch's own errors come from another realm than jest's test context, where `instanceof Error`
  // is false; these doubles reject with the same shapes made in this realm.
  it('when fetch times out, then the detail says how long it waited', async () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
      name: 'TimeoutError',
    });
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockRejectedValueOnce(timeout);
    try {
      const result = await createReadinessProbe({ apiUrl: 'http://127.0.0.1:1', timeoutMs: 75 })();
      expect(result).toEqual({ ready: false, detail: 'no answer within 75 ms' });
      expect(fetchSpy).toHaveBeenCalledWith(new URL('http://127.0.0.1:1/readyz'), {
        signal: expect.any(AbortSignal) as AbortSignal,
      });
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('when fetch fails on the connection, then the detail is the cause, not fetch’s wrapper', async () => {
    const failure = new TypeError('fetch failed', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:1'),
    });
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockRejectedValueOnce(failure);
    try {
      const result = await createReadinessProbe({ apiUrl: 'http://127.0.0.1:1', timeoutMs: 50 })();
      expect(result).toEqual({ ready: false, detail: 'Error: connect ECONNREFUSED 127.0.0.1:1' });
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('when fetch fails with something that is not an error, then it is still no answer', async () => {
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockRejectedValueOnce('socket gone');
    try {
      const result = await createReadinessProbe({ apiUrl: 'http://127.0.0.1:1', timeoutMs: 50 })();
      expect(result).toEqual({ ready: false, detail: 'socket gone' });
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('when fetch fails with an error without a cause, then the error itself is the detail', async () => {
    const fetchSpy = jest
      .spyOn(globalThis, 'fetch')
      .mockRejectedValueOnce(new TypeError('invalid header'));
    try {
      const result = await createReadinessProbe({ apiUrl: 'http://127.0.0.1:1', timeoutMs: 50 })();
      expect(result).toEqual({ ready: false, detail: 'TypeError: invalid header' });
    } finally {
      fetchSpy.mockRestore();
    }
  });
});
