/**
 * The check must accept what our own stack deploys. The app is built as `npm run synth` builds
 * it, with the GuardWatch the system construct wires in, and then the synthesized WebACL's rules and IP set, converted to the
 * GetWebACL / GetIPSet answer shapes, are checked against the expectations the synthesized
 * function's own environment gives it.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IPSet, Rule, WebACL } from '@aws-sdk/client-wafv2';
import { loadConfig } from '../../guard-watch/config';
import { assessGuard, type GuardObservations } from '../../guard-watch/guard-assessment';
import { withAcceptedHeaderValues } from '../../rotation/guard-rule';
import { SYNC_DEFAULTS } from '../../stacks/cognito-user-sync';
import { WAF_RULE_NAMES } from '../../stacks/waf-guard';
import { GUARD_ARNS } from '../helpers/guard-state';
import { buildApp, logicalIdsOf, TEST_HOSTED_ZONE, type TemplateJson } from './synth-app';
import { resolveValue, type IntrinsicValues } from './waf-evaluator';

const NAT_IPS = ['203.0.113.10', '203.0.113.11'];
const HEADER_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:header-AbCdEf';
const HEADER_VALUES: Record<string, string> = {
  current: 'Current0123456789abcdefghijklmnopqrstuvwxyzABCD',
  previous: 'Previous0123456789abcdefghijklmnopqrstuvwxyzABC',
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isIntrinsic = (value: Json): boolean =>
  Object.keys(value).length === 1 &&
  ['Ref', 'Fn::GetAtt', 'Fn::Join'].includes(Object.keys(value)[0] ?? '');

const encoder = new TextEncoder();

/**
 * A CloudFormation WAF property as the WAF API returns it: intrinsics and dynamic references
 * resolved to the test values, search strings as bytes (the API's blobs), and the one key
 * CloudFormation spells differently (`IPSetReferenceStatement.Arn`, the API's `ARN`).
 */
function asApiShape(value: unknown, intrinsics: IntrinsicValues, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => asApiShape(item, intrinsics));
  if (isObject(value) && !isIntrinsic(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([field, inner]) => [
        key === 'IPSetReferenceStatement' && field === 'Arn' ? 'ARN' : field,
        asApiShape(inner, intrinsics, field),
      ]),
    );
  }
  const resolved = isObject(value) ? resolveValue(value, intrinsics) : value;
  return key === 'SearchString' && typeof resolved === 'string'
    ? encoder.encode(resolved)
    : resolved;
}

const onlyId = (json: TemplateJson, type: string): string => {
  const [id, ...others] = logicalIdsOf(json, type);
  if (id === undefined || others.length > 0) throw new Error(`expected one ${type}`);
  return id;
};

describe('the guard check, fed the guard our stack deploys', () => {
  const { stack } = buildApp({ stage: 'guardwatch', natGateways: 2, ...TEST_HOSTED_ZONE });
  // The GuardWatch the system construct wires in, as every stage deploys it.
  const { guardWatch } = stack.sync;
  const json = Template.fromStack(stack).toJSON() as TemplateJson;

  const eipIds = logicalIdsOf(json, 'AWS::EC2::EIP');
  const webAclId = onlyId(json, 'AWS::WAFv2::WebACL');
  const ipSetId = onlyId(json, 'AWS::WAFv2::IPSet');
  const loadBalancerId = onlyId(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  const [headerSecretId] = logicalIdsOf(json, 'AWS::SecretsManager::Secret', 'HeaderSecret');
  const intrinsics: IntrinsicValues = {
    getAtt: (logicalId, attribute) => {
      const ip = NAT_IPS[eipIds.indexOf(logicalId)];
      if (attribute === 'PublicIp' && ip !== undefined) return ip;
      if (logicalId === webAclId && attribute === 'Arn') return GUARD_ARNS.webAcl;
      if (logicalId === ipSetId && attribute === 'Arn') return GUARD_ARNS.natIpSet;
      throw new Error(`unexpected Fn::GetAtt ${logicalId}.${attribute}`);
    },
    ref: (logicalId) => {
      if (logicalId === loadBalancerId) return GUARD_ARNS.loadBalancer;
      if (logicalId === headerSecretId) return HEADER_SECRET_ARN;
      throw new Error(`unexpected Ref ${logicalId}`);
    },
    secretJsonKey: (arn, key) => {
      const value = HEADER_VALUES[key];
      if (arn !== HEADER_SECRET_ARN || value === undefined) throw new Error(`unexpected ${key}`);
      return value;
    },
  };

  const functionId = stack.getLogicalId(
    guardWatch.function.node.defaultChild as lambda.CfnFunction,
  );
  const environment = json.Resources[functionId]?.Properties?.['Environment'] as {
    Variables: Record<string, unknown>;
  };
  const settings = loadConfig(
    Object.fromEntries(
      Object.entries(environment.Variables).map(([name, value]) => [
        name,
        resolveValue(value, intrinsics),
      ]),
    ),
  );

  const webAclProperties = json.Resources[webAclId]?.Properties ?? {};
  const deployedWebAcl: WebACL = {
    Name: String(webAclProperties['Name']),
    Id: GUARD_ARNS.webAcl.split('/').at(-1),
    ARN: GUARD_ARNS.webAcl,
    DefaultAction: asApiShape(
      webAclProperties['DefaultAction'],
      intrinsics,
    ) as WebACL['DefaultAction'],
    Rules: asApiShape(webAclProperties['Rules'], intrinsics) as Rule[],
    VisibilityConfig: asApiShape(
      webAclProperties['VisibilityConfig'],
      intrinsics,
    ) as WebACL['VisibilityConfig'],
  };
  const deployedIpSet: IPSet = {
    Name: 'NatEgressIps',
    Id: GUARD_ARNS.natIpSet.split('/').at(-1),
    ARN: GUARD_ARNS.natIpSet,
    IPAddressVersion: 'IPV4',
    Addresses: asApiShape(
      json.Resources[ipSetId]?.Properties?.['Addresses'],
      intrinsics,
    ) as string[],
  };
  const observed = (webAcl: WebACL): GuardObservations => ({
    association: { ok: true, value: { webAclArn: GUARD_ARNS.webAcl } },
    webAcl: { ok: true, value: webAcl },
    ipSet: { ok: true, value: deployedIpSet },
  });

  test('the function is told to expect exactly the NAT addresses, the deployed rule names and the header', () => {
    expect(settings.expectations).toMatchObject({
      natEgressAddresses: NAT_IPS.map((ip) => `${ip}/32`),
      allowRuleName: WAF_RULE_NAMES.allowSignedRegistration,
      blockRuleName: WAF_RULE_NAMES.blockUnsignedRegistration,
      headerName: SYNC_DEFAULTS.authHeaderName,
    });
  });

  test('when the guard is as synthesized, then the check finds nothing', () => {
    expect(deployedWebAcl.Rules?.map((rule) => rule.Name)).toContain(
      WAF_RULE_NAMES.allowSignedRegistration,
    );

    expect(assessGuard(observed(deployedWebAcl), settings.expectations)).toStrictEqual([]);
  });

  test('when a header rotation rewrote the guard rule (as rotation/ does), then the check still finds nothing', () => {
    const rotated = withAcceptedHeaderValues(
      deployedWebAcl.Rules ?? [],
      {
        ruleName: WAF_RULE_NAMES.allowSignedRegistration,
        headerName: SYNC_DEFAULTS.authHeaderName,
      },
      ['Rotated0123456789abcdefghijklmnopqrstuvwxyzABCD', HEADER_VALUES['current'] ?? ''],
    );

    expect(
      assessGuard(observed({ ...deployedWebAcl, Rules: rotated }), settings.expectations),
    ).toStrictEqual([]);
  });

  test('when the synthesized block rule is switched to Count, then the check says so (the shape is really read)', () => {
    const counting = (deployedWebAcl.Rules ?? []).map((rule) =>
      rule.Name === WAF_RULE_NAMES.blockUnsignedRegistration
        ? { ...rule, Action: { Count: {} } }
        : rule,
    );

    expect(
      assessGuard(observed({ ...deployedWebAcl, Rules: counting }), settings.expectations).map(
        (finding) => finding.kind,
      ),
    ).toStrictEqual(['GuardRuleActionChanged']);
  });
});
