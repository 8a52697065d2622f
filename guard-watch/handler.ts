import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadConfig } from './config';
import { createGuardCheck, type GuardCheckResult } from './guard-check';
import { GUARD_WEAKENED_METRIC } from './guard-metric';

const logger = new Logger({ serviceName: GUARD_WEAKENED_METRIC.service });
// Clients and configuration once per container, outside the handler. The client's region is
// the function's: the WebACL is REGIONAL and lives where the load balancer does.
const check = createGuardCheck({
  waf: new WAFV2Client({ maxAttempts: 3 }),
  settings: loadConfig(),
  metrics: new Metrics({
    namespace: GUARD_WEAKENED_METRIC.namespace,
    serviceName: GUARD_WEAKENED_METRIC.service,
  }),
  logger,
});

/** The schedule's event, or a CloudTrail event for a WAF change: either way, check everything. */
export async function handler(event: { 'detail-type'?: string }): Promise<GuardCheckResult> {
  logger.appendKeys({ trigger: event['detail-type'] ?? 'direct invocation' });
  return check.run();
}
