import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseHeaderSecretDocument } from '#contract/auth-header';

/**
 * Gives a header secret that holds only `current` a `previous` equal to it. The WAF guard rule
 * references both keys through CloudFormation dynamic references, which fail on a missing key;
 * Secrets Manager can generate only one key at creation. Returns whether it wrote a version.
 * A secret that has a `previous` already (every one that was rotated) is left alone.
 */
export async function seedPreviousHeaderValue(
  secretsManager: SecretsManagerClient,
  secretId: string,
): Promise<boolean> {
  const answer = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (answer.SecretString === undefined) throw new Error('the header secret has no string value');
  const document = parseHeaderSecretDocument(answer.SecretString);
  if (document.previous !== undefined) return false;
  await secretsManager.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: JSON.stringify({ current: document.current, previous: document.current }),
    }),
  );
  return true;
}
