import {
  displayName,
  numberOf,
  referencedId,
  resourceById,
  resourcesOf,
  type CfnTemplate,
  type TemplateResource,
} from './cfn-template';
import { runsPerMonth } from './compute-costs';
import { counted, idleLine, usageLine, type CostLine, type CostRule } from './cost-line';
import type { PriceTable } from './price-table';

interface RuleTarget {
  Arn?: unknown;
}

/** The Lambda functions of the template a rule invokes. */
function targetFunctions(template: CfnTemplate, rule: TemplateResource): TemplateResource[] {
  const targets = rule.properties['Targets'];
  if (!Array.isArray(targets)) return [];
  return (targets as RuleTarget[])
    .map((target) => resourceById(template, referencedId(target.Arn)))
    .filter((found): found is TemplateResource => found?.type === 'AWS::Lambda::Function');
}

/** GB-second price of a function's architecture (x86 unless it says arm64). */
function gbSecondPrice(prices: PriceTable, fn: TemplateResource) {
  const architectures = fn.properties['Architectures'];
  const arm = Array.isArray(architectures) && architectures.includes('arm64');
  return {
    price: arm ? prices.prices.lambdaArmGbSecond : prices.prices.lambdaGbSecond,
    arch: arm ? 'ARM' : 'x86',
  };
}

/**
 * EventBridge rules. Neither kind bills by itself: a scheduled rule's events are not custom
 * events, and AWS management events (CloudTrail's API calls) are ingested free. What a
 * scheduled rule costs is what it runs: its Lambda targets run at idle too, so each gets idle
 * lines of requests and compute (runs from its `rate(…)`, the memory it is given, the price
 * table's assumed seconds a run). A rule that matches events runs its targets only when they
 * happen: a usage line.
 */
export const scheduledFunctionCosts: CostRule = {
  types: ['AWS::Events::Rule'],
  price(template, prices) {
    const lines: CostLine[] = [];
    const eventDriven: TemplateResource[] = [];
    const secondsPerRun = prices.assumptions.scheduledFunctionSecondsPerRun;

    for (const rule of resourcesOf(template, 'AWS::Events::Rule')) {
      const functions = targetFunctions(template, rule);
      if (functions.length === 0) continue;
      const expression = rule.properties['ScheduleExpression'];
      if (typeof expression !== 'string') {
        eventDriven.push(rule);
        continue;
      }
      const enabled = (rule.properties['State'] ?? 'ENABLED') === 'ENABLED';
      const runs = enabled ? runsPerMonth(expression, prices.hoursPerMonth) : 0;
      for (const fn of functions) {
        const name = displayName(fn.logicalId);
        const resources = [rule.logicalId, fn.logicalId];
        if (runs === undefined) {
          lines.push(
            usageLine(
              `Lambda ${name}: runs of ${expression}`,
              prices.prices.lambdaRequestsMillion,
              resources,
              'a cron schedule: priced per run, not per month',
            ),
          );
          continue;
        }
        const memoryGb = (numberOf(fn.properties['MemorySize']) ?? 128) / 1024;
        const { price, arch } = gbSecondPrice(prices, fn);
        const shownRuns = Math.round(runs).toLocaleString('en-US');
        lines.push(
          idleLine(
            `Lambda ${name}: ${shownRuns} scheduled runs`,
            runs / 1e6,
            prices.prices.lambdaRequestsMillion,
            resources,
            `${expression}${enabled ? '' : ' (disabled)'}; one million requests a month are free per account (not deducted)`,
          ),
          idleLine(
            `Lambda ${name}: ${shownRuns} runs × ${memoryGb * 1024} MB × ${secondsPerRun} s (${arch})`,
            runs * memoryGb * secondsPerRun,
            price,
            resources,
            `${secondsPerRun} s a run is the price table's assumption; 400,000 GB-seconds a month are free per account (not deducted)`,
          ),
        );
      }
    }

    if (eventDriven.length > 0) {
      lines.push(
        usageLine(
          `Lambda runs on matched events: ${counted(eventDriven.length, 'EventBridge rule')}`,
          prices.prices.lambdaRequestsMillion,
          eventDriven.map((rule) => rule.logicalId),
          'AWS management events are delivered free; the target runs once per matching change',
        ),
      );
    }
    return { lines };
  },
};
