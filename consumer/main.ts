import { SQSClient } from '@aws-sdk/client-sqs';
import { senderHeaderSecretSource } from '#contract/header-secret-source';
import { createServiceLogger } from '#contract/logger';
import { createReadinessProbe } from '#contract/readiness-probe';
import { createRegistrationClient } from '#contract/registration-client';
import { runService, stopOnSignals } from '#contract/service-lifecycle';
import { describeConfig, loadConfig } from './config';
import { createWorker } from './create-worker';
import { startHealthEndpoint } from './health-endpoint';

/** A probe unanswered by then counts as "still down"; short, so probes keep their interval. */
const PROBE_TIMEOUT_MS = 2000;

/** `npm run consumer`: the worker alone, configured only by the environment. */
runService('consumer', async () => {
  const config = loadConfig();
  const logger = createServiceLogger('consumer', config.logLevel);
  logger.info({ config: describeConfig(config) }, 'configuration loaded');

  // Region, credentials and AWS_ENDPOINT_URL_SQS come from the SDK's own environment handling.
  const sqs = new SQSClient({});
  const client = createRegistrationClient({
    apiUrl: config.apiUrl,
    headerName: config.headerName,
    headerSecrets: senderHeaderSecretSource(config.headerSecret),
  });
  const worker = createWorker({
    sqs,
    client,
    config,
    logger,
    probe: createReadinessProbe({ apiUrl: config.apiUrl, timeoutMs: PROBE_TIMEOUT_MS }),
  });
  const health =
    config.healthPort === undefined ? undefined : await startHealthEndpoint(config.healthPort);
  // The stop itself is bounded by STOP_TIMEOUT_MS and logs the final counters.
  stopOnSignals(logger, async () => {
    await worker.stop();
    await health?.close();
    sqs.destroy();
  });
  worker.start();
});
