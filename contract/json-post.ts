import http from 'node:http';
import https from 'node:https';

/** Answers larger than this are cut off: the API's answers are a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

const KEEP_ALIVE = { keepAlive: true, maxSockets: 64 } as const;

/**
 * One keep-alive pool per process (a Lambda container, a consumer task), reused across
 * invocations: over TLS a fresh connection costs a handshake per request. node:http rather than
 * fetch: a fetch POST measured several times the CPU of the same request through http.request
 * (docs/benchmarks.md), and the consumer makes one per queued message.
 */
const defaultAgents = {
  'http:': new http.Agent(KEEP_ALIVE),
  'https:': new https.Agent(KEEP_ALIVE),
};

/** The keep-alive agent for `url`. */
export type AgentFor = (url: URL) => http.Agent;

const defaultAgentFor: AgentFor = (url) =>
  url.protocol === 'https:' ? defaultAgents['https:'] : defaultAgents['http:'];

/**
 * Agents that trust `ca` (PEM) instead of the public roots, for an API whose certificate comes
 * from a private CA (and for tests). Create once and reuse: each call makes a new pool.
 */
export function agentsTrusting(ca: string): AgentFor {
  const httpsAgent = new https.Agent({ ...KEEP_ALIVE, ca });
  return (url) => (url.protocol === 'https:' ? httpsAgent : defaultAgents['http:']);
}

export interface JsonPostResponse {
  status: number;
  /** The response body as text (cut at 1 MiB). */
  text: string;
}

/** The deadline passed before an answer arrived. */
export class RequestTimeoutError extends Error {
  override name = 'TimeoutError';
}

function postOnce(
  url: URL,
  headers: Record<string, string>,
  body: string,
  deadline: number,
  agent: http.Agent,
): Promise<JsonPostResponse & { reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    const timer = setTimeout(
      () => request.destroy(new RequestTimeoutError('deadline passed')),
      Math.max(1, deadline - Date.now()),
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      // A reused keep-alive socket that the server (or a Lambda freeze) closed fails at once;
      // the caller may retry that on a fresh socket.
      Object.assign(error, { reusedSocket: request.reusedSocket });
      reject(error);
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          reusedSocket: request.reusedSocket,
        });
      });
    });
    request.end(body);
  });
}

const isStaleSocketError = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { code, reusedSocket } = error as { code?: unknown; reusedSocket?: unknown };
  return reusedSocket === true && (code === 'ECONNRESET' || code === 'EPIPE');
};

export interface PostJsonOptions {
  timeoutMs: number;
  /** @default one process-wide keep-alive pool per protocol, trusting the public roots */
  agentFor?: AgentFor;
}

/**
 * POSTs a JSON text and reads the answer, within `timeoutMs` for the whole exchange. A request
 * that fails at once on a reused keep-alive socket is sent once more on a fresh one, which is
 * safe only because the registration endpoint is idempotent. Rejects with RequestTimeoutError
 * (name `TimeoutError`) at the deadline, or with the network error.
 */
export async function postJson(
  url: URL,
  headers: Record<string, string>,
  body: string,
  { timeoutMs, agentFor = defaultAgentFor }: PostJsonOptions,
): Promise<JsonPostResponse> {
  const deadline = Date.now() + Math.max(1, timeoutMs);
  const agent = agentFor(url);
  try {
    const { status, text } = await postOnce(url, headers, body, deadline, agent);
    return { status, text };
  } catch (error) {
    if (!isStaleSocketError(error) || Date.now() >= deadline) throw error;
    const { status, text } = await postOnce(url, headers, body, deadline, agent);
    return { status, text };
  }
}
