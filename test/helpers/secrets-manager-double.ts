import { awsJsonError, startAwsJsonEndpoint } from './aws-json-endpoint';

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

  const endpoint = await startAwsJsonEndpoint(({ target, body }) => {
    if (target !== 'secretsmanager.GetSecretValue') {
      return awsJsonError('InvalidRequestException', 'only GetSecretValue is implemented');
    }
    let secretId: unknown;
    try {
      secretId = (JSON.parse(body) as { SecretId?: unknown }).SecretId;
    } catch {
      return awsJsonError('InvalidRequestException', 'body is not JSON');
    }
    const secret = typeof secretId === 'string' ? secrets.get(secretId) : undefined;
    if (typeof secretId !== 'string' || secret === undefined) {
      return awsJsonError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    reads.set(secretId, (reads.get(secretId) ?? 0) + 1);
    return {
      status: 200,
      body: JSON.stringify({
        ARN: secretId,
        Name: secretId.split(':').at(-1),
        VersionId: `v${secret.version}`,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      }),
    };
  });

  return {
    url: endpoint.url,
    put(secretId, value) {
      secrets.set(secretId, { value, version: (secrets.get(secretId)?.version ?? 0) + 1 });
    },
    readCount: (secretId) => reads.get(secretId) ?? 0,
    close: () => endpoint.close(),
  };
}
