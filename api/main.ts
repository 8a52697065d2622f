import { createServiceLogger } from '#contract/logger';
import { runService, stopOnSignals } from '#contract/service-lifecycle';
import { loadConfig } from './config';
import { startApi } from './start-api';

/** `npm run api`: the API alone, configured by the environment. */
runService('api', async () => {
  const config = loadConfig();
  const logger = createServiceLogger('api', config.logLevel);
  const api = await startApi({ config, logger });
  logger.info(
    {
      url: api.url,
      database: config.database.kind,
      authHeaderName: config.authHeaderName,
      // Addresses are not secret; an unset list is worth seeing in a deployed task's first line.
      allowedSourceIps:
        config.allowedSourceRanges?.map((range) => `${range.address}/${range.prefixLength}`) ??
        'any (ALLOWED_SOURCE_IPS unset)',
      trustedProxyHops: config.trustedProxyHops,
    },
    'api listening',
  );
  stopOnSignals(logger, () => api.stop());
});
