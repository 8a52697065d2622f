import type {
  IPSet,
  PositionalConstraint,
  Rule,
  Statement,
  TextTransformationType,
  WebACL,
} from '@aws-sdk/client-wafv2';
import type { GuardExpectations, GuardObservations } from '../../guard-watch/guard-assessment';
import type { GuardWatchSettings } from '../../guard-watch/config';
import { REGISTRATION_PATH_PATTERN, WAF_RULE_NAMES } from '../../stacks/waf-guard';

/**
 * The registration guard as GetWebACLForResource, GetWebACL and GetIPSet answer for a healthy
 * deployment, in the SDK's shapes (search strings as bytes), for tests to break one part at a
 * time. Mirrors what stacks/waf-guard.ts deploys; test/infra/guard-watch-deployed-guard.test.ts
 * checks the real synthesized WebACL against the same expectations.
 */
export const GUARD_ARNS = {
  webAcl:
    'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/CognitoUserSync-dev-api/0a1b2c3d-1111-2222-3333-444455556666',
  otherWebAcl:
    'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/team-default/9f8e7d6c-1111-2222-3333-444455556666',
  natIpSet:
    'arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/NatEgressIps-AbCd/1a2b3c4d-1111-2222-3333-444455556666',
  otherIpSet:
    'arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/office/2b3c4d5e-1111-2222-3333-444455556666',
  loadBalancer:
    'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/CognitoUserSync-dev/50dc6c495c0c9188',
} as const;

export const NAT_EGRESS_ADDRESSES = ['203.0.113.10/32', '203.0.113.11/32'];
export const HEADER_NAME = 'x-custom-auth';
const CURRENT = 'Current0123456789abcdefghijklmnopqrstuvwxyzABCD';
const PREVIOUS = 'Previous0123456789abcdefghijklmnopqrstuvwxyzABC';

export const guardExpectations = (): GuardExpectations => ({
  webAclArn: GUARD_ARNS.webAcl,
  ipSetArn: GUARD_ARNS.natIpSet,
  allowRuleName: WAF_RULE_NAMES.allowSignedRegistration,
  blockRuleName: WAF_RULE_NAMES.blockUnsignedRegistration,
  headerName: HEADER_NAME,
  registrationPathPattern: REGISTRATION_PATH_PATTERN,
  natEgressAddresses: [...NAT_EGRESS_ADDRESSES],
});

/**
 * The environment the construct gives the function (stacks/guard-watch.ts) for this guard; the
 * header name in another case than the WAF rule's, as a team might set it.
 */
export const guardWatchEnv = (): NodeJS.ProcessEnv => ({
  WEB_ACL_ARN: GUARD_ARNS.webAcl,
  NAT_IP_SET_ARN: GUARD_ARNS.natIpSet,
  LOAD_BALANCER_ARN: GUARD_ARNS.loadBalancer,
  EXPECTED_NAT_ADDRESSES: NAT_EGRESS_ADDRESSES.join(','),
  ALLOW_RULE_NAME: WAF_RULE_NAMES.allowSignedRegistration,
  BLOCK_RULE_NAME: WAF_RULE_NAMES.blockUnsignedRegistration,
  AUTH_HEADER_NAME: 'X-Custom-Auth',
  REGISTRATION_PATH_PATTERN,
});

/**
 * What the guard check's config makes of {@link guardWatchEnv}: each ARN split into the name, id
 * and scope the Get calls take, and the header name lower-cased, as WAF compares it.
 */
export const guardWatchSettings = (): GuardWatchSettings => ({
  resources: {
    webAcl: {
      arn: GUARD_ARNS.webAcl,
      name: 'CognitoUserSync-dev-api',
      id: '0a1b2c3d-1111-2222-3333-444455556666',
      scope: 'REGIONAL',
    },
    natIpSet: {
      arn: GUARD_ARNS.natIpSet,
      name: 'NatEgressIps-AbCd',
      id: '1a2b3c4d-1111-2222-3333-444455556666',
      scope: 'REGIONAL',
    },
    loadBalancerArn: GUARD_ARNS.loadBalancer,
  },
  expectations: guardExpectations(),
});

const encoder = new TextEncoder();
const bytes = (value: string): Uint8Array => encoder.encode(value);
const none = [{ Priority: 0, Type: 'NONE' as const }];
const lowercase = [{ Priority: 0, Type: 'LOWERCASE' as const }];
const visibility = (name: string) => ({
  CloudWatchMetricsEnabled: true,
  SampledRequestsEnabled: false,
  MetricName: name,
});

export const isPost = (): Statement => ({
  ByteMatchStatement: {
    FieldToMatch: { Method: {} },
    PositionalConstraint: 'EXACTLY',
    SearchString: bytes('POST'),
    TextTransformations: none,
  },
});

const pathEquals = (path: string): Statement => ({
  ByteMatchStatement: {
    FieldToMatch: { UriPath: {} },
    PositionalConstraint: 'EXACTLY',
    SearchString: bytes(path),
    TextTransformations: lowercase,
  },
});

export const headerEquals = (
  value: string,
  {
    name = HEADER_NAME,
    constraint = 'EXACTLY',
  }: { name?: string; constraint?: PositionalConstraint } = {},
): Statement => ({
  ByteMatchStatement: {
    FieldToMatch: { SingleHeader: { Name: name } },
    PositionalConstraint: constraint,
    SearchString: bytes(value),
    TextTransformations: none,
  },
});

export const natSourceCheck = (arn: string = GUARD_ARNS.natIpSet): Statement => ({
  IPSetReferenceStatement: { ARN: arn },
});

export const registrationPathRegex = ({
  pattern = REGISTRATION_PATH_PATTERN,
  transformation = 'LOWERCASE',
}: { pattern?: string; transformation?: TextTransformationType } = {}): Statement => ({
  RegexMatchStatement: {
    FieldToMatch: { UriPath: {} },
    RegexString: pattern,
    TextTransformations: [{ Priority: 0, Type: transformation }],
  },
});

/** The allow rule's four conditions, in the deployed order: method, path, header, source. */
export const allowConditions = (ipSetArn: string = GUARD_ARNS.natIpSet): Statement[] => [
  isPost(),
  { OrStatement: { Statements: [pathEquals('/user'), pathEquals('/user/')] } },
  { OrStatement: { Statements: [headerEquals(CURRENT), headerEquals(PREVIOUS)] } },
  natSourceCheck(ipSetArn),
];

export const allowRule = (statements: Statement[] = allowConditions()): Rule => ({
  Name: WAF_RULE_NAMES.allowSignedRegistration,
  Priority: 0,
  Action: { Allow: {} },
  Statement: { AndStatement: { Statements: statements } },
  VisibilityConfig: visibility(WAF_RULE_NAMES.allowSignedRegistration),
});

export const blockRule = (statements: Statement[] = [isPost(), registrationPathRegex()]): Rule => ({
  Name: WAF_RULE_NAMES.blockUnsignedRegistration,
  Priority: 1,
  Action: {
    Block: { CustomResponse: { ResponseCode: 403, CustomResponseBodyKey: 'forbidden' } },
  },
  Statement: { AndStatement: { Statements: statements } },
  VisibilityConfig: visibility(WAF_RULE_NAMES.blockUnsignedRegistration),
});

const managedGroup = (name: string, managedName: string, priority: number): Rule => ({
  Name: name,
  Priority: priority,
  OverrideAction: { None: {} },
  Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: managedName } },
  VisibilityConfig: visibility(name),
});

/** The WebACL's rules as deployed; `ipSetArn` is what the allow rule references. */
export const deployedRules = (ipSetArn: string = GUARD_ARNS.natIpSet): Rule[] => [
  allowRule(allowConditions(ipSetArn)),
  blockRule(),
  {
    Name: WAF_RULE_NAMES.rateLimit,
    Priority: 2,
    Action: { Block: {} },
    Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP' } },
    VisibilityConfig: visibility(WAF_RULE_NAMES.rateLimit),
  },
  managedGroup(WAF_RULE_NAMES.commonRuleSet, 'AWSManagedRulesCommonRuleSet', 3),
  managedGroup(WAF_RULE_NAMES.knownBadInputs, 'AWSManagedRulesKnownBadInputsRuleSet', 4),
];

export const deployedWebAcl = (rules: Rule[] = deployedRules()): WebACL => ({
  Name: 'CognitoUserSync-dev-api',
  Id: '0a1b2c3d-1111-2222-3333-444455556666',
  ARN: GUARD_ARNS.webAcl,
  DefaultAction: { Allow: {} },
  Rules: rules,
  VisibilityConfig: visibility('CognitoUserSync-dev-api'),
});

export const deployedIpSet = (addresses: string[] = [...NAT_EGRESS_ADDRESSES]): IPSet => ({
  Name: 'NatEgressIps-AbCd',
  Id: '1a2b3c4d-1111-2222-3333-444455556666',
  ARN: GUARD_ARNS.natIpSet,
  IPAddressVersion: 'IPV4',
  Addresses: addresses,
});

/** Every read answered, and the guard as deployed; override one part to break it. */
export const intactGuard = (overrides: Partial<GuardObservations> = {}): GuardObservations => ({
  association: { ok: true, value: { webAclArn: GUARD_ARNS.webAcl } },
  webAcl: { ok: true, value: deployedWebAcl() },
  ipSet: { ok: true, value: deployedIpSet() },
  ...overrides,
});
