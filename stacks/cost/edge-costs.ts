import { displayName, resourcesOf } from './cfn-template';
import {
  counted,
  idleLine,
  usageLine,
  type CostRule,
  type CostLine,
  type NotPriced,
} from './cost-line';

/** AWS managed rule groups that carry a subscription and per-request fees of their own. */
const PAID_MANAGED_GROUPS = new Set([
  'AWSManagedRulesBotControlRuleSet',
  'AWSManagedRulesATPRuleSet',
  'AWSManagedRulesACFPRuleSet',
  'AWSManagedRulesAntiDDoSRuleSet',
]);

interface WafRule {
  Name?: string;
  Statement?: { ManagedRuleGroupStatement?: { Name?: string; VendorName?: string } };
}

/**
 * Application load balancers by the hour (LCUs are usage: health checks do not count), the public
 * IPv4 address an internet-facing load balancer holds in each of its subnets, and WAF web ACLs: a
 * monthly fee per web ACL, per rule and per managed rule group, requests as usage.
 */
export const edgeCosts: CostRule = {
  types: ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::WAFv2::WebACL'],
  price(template, prices) {
    const hours = prices.hoursPerMonth;
    const lines: CostLine[] = [];
    const notPriced: NotPriced[] = [];

    for (const balancer of resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      const { properties, logicalId } = balancer;
      const name = displayName(logicalId);
      if ((properties['Type'] ?? 'application') !== 'application') {
        notPriced.push({
          type: balancer.type,
          count: 1,
          reason: `${logicalId}: a ${String(properties['Type'])} load balancer`,
        });
        continue;
      }
      lines.push(
        idleLine(`Application load balancer ${name}`, hours, prices.prices.albHour, [logicalId]),
        usageLine(`Load balancer capacity units of ${name}`, prices.prices.albLcuHour, [logicalId]),
      );
      const internetFacing = (properties['Scheme'] ?? 'internet-facing') === 'internet-facing';
      const publicIpv4 = properties['IpAddressType'] !== 'dualstack-without-public-ipv4';
      if (!internetFacing || !publicIpv4) continue;
      const subnets = properties['Subnets'] ?? properties['SubnetMappings'];
      if (!Array.isArray(subnets)) {
        notPriced.push({
          type: balancer.type,
          count: 1,
          reason: `${logicalId}: public IPv4 addresses of subnets the template does not list`,
        });
        continue;
      }
      lines.push(
        idleLine(
          `Public IPv4: ${name}, one in each of ${counted(subnets.length, 'subnet')}`,
          subnets.length * hours,
          prices.prices.publicIpv4Hour,
          [logicalId],
          'the minimum: a load balancer that scales out holds more addresses',
        ),
      );
    }

    for (const webAcl of resourcesOf(template, 'AWS::WAFv2::WebACL')) {
      const { logicalId } = webAcl;
      const name = displayName(logicalId);
      const rules = (webAcl.properties['Rules'] ?? []) as WafRule[];
      const managed = rules.filter((rule) => rule.Statement?.ManagedRuleGroupStatement);
      const custom = rules.length - managed.length;
      lines.push(
        idleLine(`WAF web ACL ${name}`, 1, prices.prices.wafWebAclMonth, [logicalId]),
        idleLine(`WAF ${name}: ${counted(custom, 'rule')}`, custom, prices.prices.wafRuleMonth, [
          logicalId,
        ]),
        idleLine(
          `WAF ${name}: ${counted(managed.length, 'managed rule group')}`,
          managed.length,
          prices.prices.wafRuleMonth,
          [logicalId],
          managed.length === 0
            ? undefined
            : managed.map((rule) => rule.Statement?.ManagedRuleGroupStatement?.Name).join(', '),
        ),
        usageLine(`WAF ${name} requests inspected`, prices.prices.wafRequestsMillion, [logicalId]),
      );
      for (const rule of managed) {
        const group = rule.Statement?.ManagedRuleGroupStatement?.Name ?? '';
        if (PAID_MANAGED_GROUPS.has(group)) {
          notPriced.push({
            type: webAcl.type,
            count: 1,
            reason: `${logicalId}: the ${group} subscription and its request fees`,
          });
        }
      }
    }
    return { lines, notPriced };
  },
};
