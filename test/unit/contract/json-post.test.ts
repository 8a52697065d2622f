import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { agentsTrusting, postJson, RequestTimeoutError } from '#contract/json-post';

type Answer = (request: http.IncomingMessage, response: http.ServerResponse, body: string) => void;

interface Server {
  url: URL;
  seen: Array<{ headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

async function serve(answer: Answer): Promise<Server> {
  const seen: Server['seen'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ headers: request.headers, body });
      answer(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/user`),
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const failureOf = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => new Error('expected a failure'),
    (error: unknown) => error as Error,
  );

describe('postJson', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('when the API answers, then status and body come back, and the body was sent with its byte length', async () => {
    server = await serve((_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end('{"change":"créé"}');
    });
    const body = JSON.stringify({ name: 'Zoë 😀' });

    const answer = await postJson(server.url, { 'content-type': 'application/json' }, body, {
      timeoutMs: 2000,
    });

    expect(answer).toEqual({ status: 201, text: '{"change":"créé"}' });
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]?.body).toBe(body);
    expect(server.seen[0]?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(server.seen[0]?.headers['content-type']).toBe('application/json');
  });

  it('when the answer is larger than 1 MiB, then the text is cut at no more than 1 MiB', async () => {
    const piece = 'x'.repeat(64 * 1024);
    server = await serve((_request, response) => {
      response.writeHead(200);
      for (let i = 0; i < 32; i += 1) response.write(piece);
      response.end();
    });

    const answer = await postJson(server.url, {}, '{}', { timeoutMs: 5000 });

    expect(answer.status).toBe(200);
    expect(answer.text.length).toBeGreaterThan(512 * 1024);
    expect(answer.text.length).toBeLessThanOrEqual(1024 * 1024);
  });

  it('when the answer is exactly 1 MiB, then all of it is kept', async () => {
    const text = 'y'.repeat(1024 * 1024);
    server = await serve((_request, response) => {
      response.writeHead(200);
      response.end(text);
    });

    const answer = await postJson(server.url, {}, '{}', { timeoutMs: 5000 });

    expect(answer.text.length).toBe(1024 * 1024);
  });

  it('when no answer comes before the deadline, then it rejects with a TimeoutError', async () => {
    server = await serve(() => undefined);

    const failure = await failureOf(postJson(server.url, {}, '{}', { timeoutMs: 50 }));

    expect(failure).toBeInstanceOf(RequestTimeoutError);
    expect(failure.name).toBe('TimeoutError');
    expect(failure.message).toBe('deadline passed');
  });

  it('when the connection breaks in the middle of the answer, then it rejects and is not retried', async () => {
    server = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial', () => response.socket?.destroy());
    });

    const failure = await failureOf(postJson(server.url, {}, '{}', { timeoutMs: 2000 }));

    // Node's own errors come from another realm than jest's context: compare by shape.
    expect(failure).toMatchObject({ message: 'aborted', code: 'ECONNRESET' });
    expect(failure).not.toBeInstanceOf(RequestTimeoutError);
    expect(server.seen).toHaveLength(1);
  });

  it('when a fresh connection is reset, then the error comes back without a second attempt', async () => {
    server = await serve((request) => {
      request.socket.destroy();
    });

    const failure = await failureOf(
      postJson(server.url, {}, '{}', {
        timeoutMs: 2000,
        agentFor: () => new http.Agent({ keepAlive: false }),
      }),
    );

    expect((failure as { code?: string }).code).toBe('ECONNRESET');
    expect((failure as { reusedSocket?: boolean }).reusedSocket).toBe(false);
    expect(server.seen).toHaveLength(1);
  });

  it('when a kept-alive connection is reset, then the request is sent once more on a fresh one', async () => {
    const perSocket = new WeakMap<object, number>();
    server = await serve((request, response) => {
      const count = (perSocket.get(request.socket) ?? 0) + 1;
      perSocket.set(request.socket, count);
      if (count > 1) {
        request.socket.destroy();
        return;
      }
      response.writeHead(200);
      response.end('ok');
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await postJson(server.url, {}, '{}', {
        timeoutMs: 2000,
        agentFor: () => agent,
      });
      const second = await postJson(server.url, {}, '{}', {
        timeoutMs: 2000,
        agentFor: () => agent,
      });

      expect(first).toEqual({ status: 200, text: 'ok' });
      expect(second).toEqual({ status: 200, text: 'ok' });
      expect(server.seen).toHaveLength(3);
    } finally {
      agent.destroy();
    }
  });
});

describe('agentsTrusting', () => {
  it('when the URL is https, then a keep-alive agent trusting only the given CA serves it; plain http shares the default pool', () => {
    const agentFor = agentsTrusting('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
    const other = agentsTrusting('another CA');

    const secure = agentFor(new URL('https://api.example.com/user'));
    const plain = agentFor(new URL('http://127.0.0.1:3000/user'));

    expect(secure).toBeInstanceOf(https.Agent);
    expect(secure).toBe(agentFor(new URL('https://other.example.com')));
    expect(secure).not.toBe(other(new URL('https://api.example.com')));
    expect((secure as https.Agent).options).toMatchObject({
      keepAlive: true,
      maxSockets: 64,
      ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    });
    expect(plain).not.toBeInstanceOf(https.Agent);
    expect(plain).toBe(other(new URL('http://localhost')));
    // node:http's Agent keeps its options as fields the type declarations leave out.
    expect(plain as unknown as { keepAlive: boolean; maxSockets: number }).toMatchObject({
      keepAlive: true,
      maxSockets: 64,
    });
  });
});

describe('postJson over https', () => {
  it('when the URL is https, then TLS is spoken through the default https pool, so a plain http server cannot answer', async () => {
    const server = http.createServer((_request, response) => {
      response.writeHead(200);
      response.end('plain');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const failure = await failureOf(
        postJson(new URL(`https://127.0.0.1:${port}/user`), {}, '{}', { timeoutMs: 2000 }),
      );

      expect(String((failure as { code?: string }).code)).toMatch(/SSL|EPROTO/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
