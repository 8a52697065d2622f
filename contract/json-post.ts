import http from 'node:http';
import https from 'node:https';

/** Answers larger than this are cut off: the API's answers are a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * One keep-alive pool per process (a Lambda container, a consumer task), reused across
 * invocations. node:http rather than fetch: on Node 20 a fetch POST costs several times the CPU
 * of the same request through http.request, and the consumer makes one per queued message.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

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
  signal: AbortSignal | undefined,
): Promise<JsonPostResponse & { reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const request = transport.request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    const timer = setTimeout(
      () => request.destroy(new RequestTimeoutError('deadline passed')),
      Math.max(1, deadline - Date.now()),
    );
    const onAbort = (): void => {
      request.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    request.on('error', (error) => {
      settle();
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
        settle();
        reject(error);
      });
      response.on('end', () => {
        settle();
        resolve({
          status: response.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          reusedSocket: request.reusedSocket,
        });
      });
    });
    if (signal?.aborted) onAbort();
    request.end(body);
  });
}

const isStaleSocketError = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { code, reusedSocket } = error as { code?: unknown; reusedSocket?: unknown };
  return reusedSocket === true && (code === 'ECONNRESET' || code === 'EPIPE');
};

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
  { timeoutMs, signal }: { timeoutMs: number; signal?: AbortSignal },
): Promise<JsonPostResponse> {
  const deadline = Date.now() + Math.max(1, timeoutMs);
  try {
    const { status, text } = await postOnce(url, headers, body, deadline, signal);
    return { status, text };
  } catch (error) {
    if (!isStaleSocketError(error) || Date.now() >= deadline) throw error;
    const { status, text } = await postOnce(url, headers, body, deadline, signal);
    return { status, text };
  }
}
