import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsManagerDouble {
  /** The endpoint for `AWS_ENDPOINT_URL_SECRETS_MANAGER` (or a client's `endpoint`). */
  url: string;
  /** Sets the value GetSecretValue answers for `secretId` from now on (as AWSCURRENT). */
  put(secretId: string, secretString: string): void;
  /** How many GetSecretValue calls asked for `secretId`. */
  readCount(secretId: string): number;
  close(): Promise<void>;
}

/**
 * A Secrets Manager stand-in on 127.0.0.1 that answers GetSecretValue in the service's JSON
 * protocol (`X-Amz-Target: secretsmanager.GetSecretValue`), so that the real AWS SDK (and the
 * code built on it) can be pointed at it with nothing more than `npm ci` installed. Anything else
 * is answered with the service's error shape.
 */
export async function startSecretsManagerDouble(): Promise<SecretsManagerDouble> {
  const secrets = new Map<string, { value: string; version: number }>();
  const reads = new Map<string, number>();

  const fail = (res: http.ServerResponse, type: string, message: string): void => {
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: type, message }));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        fail(res, 'InvalidRequestException', 'only GetSecretValue is implemented');
        return;
      }
      let secretId: unknown;
      try {
        secretId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown })
          .SecretId;
      } catch {
        fail(res, 'InvalidRequestException', 'body is not JSON');
        return;
      }
      const secret = typeof secretId === 'string' ? secrets.get(secretId) : undefined;
      if (typeof secretId !== 'string' || secret === undefined) {
        fail(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return;
      }
      reads.set(secretId, (reads.get(secretId) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          ARN: secretId,
          Name: secretId.split(':').at(-1),
          VersionId: `v${secret.version}`,
          SecretString: secret.value,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    put(secretId, value) {
      secrets.set(secretId, { value, version: (secrets.get(secretId)?.version ?? 0) + 1 });
    },
    readCount: (secretId) => reads.get(secretId) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
