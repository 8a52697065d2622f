import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string | undefined;
  url: string | undefined;
  /** The JSON body (an empty object when there was none or it was not JSON). */
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  receivedAt: number;
}

export interface StubAnswer {
  status: number;
  body?: unknown;
}

/** Decides the answer to one POST /user; may wait (to hold a request in flight). */
export type StubBehaviour = (request: StubRequest) => StubAnswer | Promise<StubAnswer>;

export interface StubApi {
  url: string;
  /** Every request except the readiness probes. */
  requests: StubRequest[];
  /** GET /readyz requests, answered by the readiness behaviour (200 unless set). */
  readonly probes: number;
  /** Requests being answered right now. */
  readonly inFlight: number;
  readonly peakInFlight: number;
  setBehaviour(behaviour: StubBehaviour): void;
  /** Answers GET /readyz; `() => 200` unless set. */
  setReadiness(readiness: () => number): void;
  /** Stops listening and cuts open connections: the port then refuses connections. */
  goDown(): Promise<void>;
  /** Listens on the same port again (after `goDown`). */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export const created = (request: StubRequest): StubAnswer => ({
  status: 201,
  body: {
    ...request.body,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  },
});

const parseBody = (text: string): Record<string, unknown> => {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** An answer that never comes: the request stays in flight until the stub closes. */
export const hang = (): Promise<StubAnswer> => new Promise<StubAnswer>(() => undefined);

/** A local URL on which nothing listens: connections are refused at once. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A stand-in for the API on 127.0.0.1:0 whose answers the test controls. */
export async function startStubApi(initial: StubBehaviour = created): Promise<StubApi> {
  let behaviour = initial;
  let readiness = (): number => 200;
  let inFlight = 0;
  let peakInFlight = 0;
  let probes = 0;
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/readyz') {
      probes += 1;
      const status = readiness();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: status === 200 ? 'ready' : 'unavailable' }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      const request: StubRequest = {
        method: req.method,
        url: req.url,
        body: parseBody(Buffer.concat(chunks).toString('utf8')),
        headers: req.headers,
        receivedAt: Date.now(),
      };
      requests.push(request);
      void Promise.resolve(behaviour(request)).then((answer) => {
        inFlight -= 1;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stopListening = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get probes() {
      return probes;
    },
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    setBehaviour(next) {
      behaviour = next;
    },
    setReadiness(next) {
      readiness = next;
    },
    goDown: stopListening,
    comeBack: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: stopListening,
  };
}
