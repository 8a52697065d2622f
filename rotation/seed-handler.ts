import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { envFields, parseEnv } from '#contract/config';
import { seedPreviousHeaderValue } from './seed-previous';

const logger = new Logger({ serviceName: 'header-secret-seed' });
const config = parseEnv(z.object({ HEADER_SECRET_ARN: envFields.secretArn }), process.env);
const secretsManager = new SecretsManagerClient({});

/** Run once by the deployment (a CDK trigger) before the WebACL that references `previous`. */
export async function handler(): Promise<{ seeded: boolean }> {
  const seeded = await seedPreviousHeaderValue(secretsManager, config.HEADER_SECRET_ARN);
  logger.info(seeded ? 'previous header value seeded' : 'previous header value present already');
  return { seeded };
}
