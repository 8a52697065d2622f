import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from './config';
import { createHeaderRotation, type RotationEvent } from './header-rotation';

const logger = new Logger({ serviceName: 'header-rotation' });
// Clients and configuration once per container, outside the handler.
const rotation = createHeaderRotation({
  secretsManager: new SecretsManagerClient({}),
  waf: new WAFV2Client({}),
  settings: loadConfig(),
  sleep: (ms) => sleep(ms),
  // Never the secret's content: only what happened.
  log: (message, details) => logger.info(message, details ?? {}),
});

/** Secrets Manager rotation entry point: one call per step. */
export async function handler(event: RotationEvent): Promise<void> {
  logger.appendKeys({ step: event.Step, version: event.ClientRequestToken });
  await rotation.run(event);
}
