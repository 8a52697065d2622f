import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '#contract/config';
import {
  secretsManagerHeaderSecretSource,
  staticHeaderSecretSource,
  type HeaderSecretSource,
} from '#contract/header-secret-source';
import { createServiceLogger } from '#contract/logger';
import { createRegistrationClient } from '#contract/registration-client';
import { describeConfig, loadConfig, type HeaderSecretSetting } from './config';
import { createWorker } from './create-worker';

const headerSecretSourceFor = (setting: HeaderSecretSetting): HeaderSecretSource =>
  setting.kind === 'static'
    ? staticHeaderSecretSource([setting.value])
    : secretsManagerHeaderSecretSource({ secretArn: setting.secretArn });

/** `npm run consumer`: the worker alone, configured only by the environment. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`consumer: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createServiceLogger('consumer', config.logLevel);
  logger.info({ config: describeConfig(config) }, 'configuration loaded');

  // Region, credentials and AWS_ENDPOINT_URL_SQS come from the SDK's own environment handling.
  const sqs = new SQSClient({});
  const client = createRegistrationClient({
    apiUrl: config.apiUrl,
    headerName: config.headerName,
    headerSecrets: headerSecretSourceFor(config.headerSecret),
  });
  const worker = createWorker({ sqs, client, config, logger });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl-C reaches a whole process group, so a supervisor's SIGTERM may follow;
    // repeats change nothing, and the stop is bounded by STOP_TIMEOUT_MS anyway.
    if (stopping) {
      logger.info({ signal }, 'already stopping');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutdown requested');
    void worker.stop().then(
      () => {
        sqs.destroy();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  worker.start();
}

main().catch((error: unknown) => {
  process.stderr.write(`consumer: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
