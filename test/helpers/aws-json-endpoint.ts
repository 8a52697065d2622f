import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call as an AWS JSON 1.1 service receives it. */
export interface AwsJsonCall {
  /** The `X-Amz-Target` header: `<service prefix>.<Operation>`. */
  readonly target: string;
  /** The operation, the part of the target after the dot. */
  readonly operation: string;
  /** The request body, as sent. */
  readonly body: string;
}

/** What the endpoint answers: the status and the body, written as is (already JSON). */
export interface AwsJsonAnswer {
  readonly status: number;
  readonly body: string;
}

export interface AwsJsonEndpoint {
  /** `http://127.0.0.1:<port>`, for a client's `endpoint` or an `AWS_ENDPOINT_URL_*` variable. */
  readonly url: string;
  /** Every call received, in order. */
  readonly calls: readonly AwsJsonCall[];
  close(): Promise<void>;
}

/** An AWS error answer: status 400 and the `__type` / `message` body the SDK reads. */
export function awsJsonError(type: string, message = type): AwsJsonAnswer {
  return { status: 400, body: JSON.stringify({ __type: type, message }) };
}

/**
 * A loopback stand-in for an AWS service's JSON 1.1 endpoint, so that the real AWS SDK (and the
 * code built on it) can be pointed at it with nothing more than `npm ci` installed. `answer`
 * decides each response from the call (and, through `calls`, from the ones before it).
 */
export async function startAwsJsonEndpoint(
  answer: (call: AwsJsonCall) => AwsJsonAnswer,
): Promise<AwsJsonEndpoint> {
  const calls: AwsJsonCall[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const call = {
        target,
        operation: target.split('.')[1] ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      const { status, body } = answer(call);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
