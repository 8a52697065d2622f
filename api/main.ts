import { ConfigError } from '#contract/config';
import { createServiceLogger } from '#contract/logger';
import { loadConfig } from './config';
import { startApi } from './start-api';

/** `npm run api`: the API alone, configured by the environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createServiceLogger('api', config.logLevel);
  const api = await startApi({ config, logger });
  logger.info(
    { url: api.url, database: config.database.kind, authHeaderName: config.authHeaderName },
    'api listening',
  );

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    api.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  // Config errors name the variable; anything else at start-up is printed as is.
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  if (!(error instanceof ConfigError) && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
});
