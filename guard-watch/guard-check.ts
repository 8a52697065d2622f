import type { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { GuardWatchSettings } from './config';
import { assessGuard, type GuardFindingKind } from './guard-assessment';
import { observeGuard } from './guard-observer';
import { publishGuardMetrics } from './publish-guard-metrics';

export interface GuardCheckDependencies {
  readonly waf: WAFV2Client;
  readonly settings: GuardWatchSettings;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** What one run found; also the function's return value, for whoever invokes it by hand. */
export interface GuardCheckResult {
  readonly weakened: boolean;
  readonly findings: readonly GuardFindingKind[];
}

/**
 * One check of the live guard: read, compare, then log each finding and publish the verdict.
 * Never throws for what it reads: a failed read is itself a finding (CannotVerify).
 */
export function createGuardCheck({ waf, settings, metrics, logger }: GuardCheckDependencies): {
  run(): Promise<GuardCheckResult>;
} {
  return {
    async run() {
      const observed = await observeGuard(waf, settings.resources);
      const findings = assessGuard(observed, settings.expectations);
      for (const { kind, detail } of findings) {
        logger.error('WAF registration guard weakened', { finding: kind, detail });
      }
      if (findings.length === 0) {
        logger.info('WAF registration guard intact', {
          webAclArn: settings.expectations.webAclArn,
          loadBalancerArn: settings.resources.loadBalancerArn,
        });
      }
      publishGuardMetrics(metrics, findings);
      return { weakened: findings.length > 0, findings: findings.map((entry) => entry.kind) };
    },
  };
}
