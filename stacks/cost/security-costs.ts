import { resourcesOf } from './cfn-template';
import { counted, idleLine, usageLine, type CostLine, type CostRule } from './cost-line';

/**
 * Secrets Manager secrets by the month (a replica in another region is a secret too) and KMS
 * customer keys by the month; their API calls are usage. AWS managed keys (aws/rds,
 * aws/secretsmanager) and SQS-managed encryption cost nothing and are not in the template.
 */
export const securityCosts: CostRule = {
  types: ['AWS::SecretsManager::Secret', 'AWS::KMS::Key'],
  price(template, prices) {
    const lines: CostLine[] = [];

    const secrets = resourcesOf(template, 'AWS::SecretsManager::Secret');
    if (secrets.length > 0) {
      const copies = secrets.reduce((sum, secret) => {
        const replicas = secret.properties['ReplicaRegions'];
        return sum + 1 + (Array.isArray(replicas) ? replicas.length : 0);
      }, 0);
      const ids = secrets.map((secret) => secret.logicalId);
      lines.push(
        idleLine(
          `Secrets Manager: ${counted(copies, 'secret')}`,
          copies,
          prices.prices.secretMonth,
          ids,
        ),
        usageLine('Secrets Manager API calls', prices.prices.secretsApiCalls10k, ids),
      );
    }

    const keys = resourcesOf(template, 'AWS::KMS::Key');
    if (keys.length > 0) {
      const rotated = keys.filter((key) => key.properties['EnableKeyRotation'] === true).length;
      const ids = keys.map((key) => key.logicalId);
      lines.push(
        idleLine(
          `KMS: ${counted(keys.length, 'customer managed key')}`,
          keys.length,
          prices.prices.kmsKeyMonth,
          ids,
          rotated === 0
            ? undefined
            : `${rotated} rotated yearly: each of the first two rotations adds one key-month (the first year is shown)`,
        ),
        usageLine('KMS requests', prices.prices.kmsRequests10k, ids, '20,000 a month are free'),
      );
    }
    return { lines };
  },
};
