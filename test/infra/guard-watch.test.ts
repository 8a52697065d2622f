import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { GuardWatch, type GuardWatchProps } from '../../stacks/guard-watch';
import { REGISTRATION_PATH_PATTERN, WAF_RULE_NAMES } from '../../stacks/waf-guard';
import { acknowledgementsOf, nagFindingsOf } from './nag-findings';

const SOURCE_ROOT = path.resolve(__dirname, '../..');
const LOAD_BALANCER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/team-api/50dc6c495c0c9188';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111122223333:team-alarms';
const NAT_ADDRESSES = ['203.0.113.10/32', '203.0.113.11/32'];

type Options = Partial<Pick<GuardWatchProps, 'checkInterval' | 'checkOnGuardChanges'>>;

/** The construct alone in a bare stack, with a WebACL and an IP set of its own. */
function synthesize(options: Options = {}) {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-guard-watch-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'GuardWatchTest', { env: { region: 'eu-west-1' } });
  const natIpSet = new wafv2.CfnIPSet(stack, 'NatIps', {
    scope: 'REGIONAL',
    ipAddressVersion: 'IPV4',
    addresses: NAT_ADDRESSES,
  });
  const webAcl = new wafv2.CfnWebACL(stack, 'WebAcl', {
    name: 'team-api',
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: {
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: false,
      metricName: 'team-api',
    },
  });
  const loadBalancer = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(
    stack,
    'LoadBalancer',
    { loadBalancerArn: LOAD_BALANCER_ARN, securityGroupId: 'sg-0123456789abcdef0' },
  );
  const construct = new GuardWatch(stack, 'GuardWatch', {
    sourceRoot: SOURCE_ROOT,
    webAcl,
    natIpSet,
    loadBalancer,
    authHeaderName: 'x-custom-auth',
    alarmTopic: sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN),
    ...options,
  });
  const template = Template.fromStack(stack);
  const ref = (element: { node: { defaultChild?: unknown } } | wafv2.CfnWebACL | wafv2.CfnIPSet) =>
    stack.getLogicalId(
      (element instanceof wafv2.CfnWebACL || element instanceof wafv2.CfnIPSet
        ? element
        : element.node.defaultChild) as lambda.CfnFunction,
    );
  return {
    app,
    stack,
    construct,
    template,
    functionId: ref(construct.function),
    webAclId: ref(webAcl),
    ipSetId: ref(natIpSet),
  };
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** (action, resource) pairs the check's role is granted, however CDK groups the statements. */
function grantsOf(synthesized: ReturnType<typeof synthesize>): [string, string][] {
  const role = synthesized.construct.function.role;
  if (role === undefined) throw new Error('the function has no role');
  const policies = synthesized.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [synthesized.stack.resolve(role.roleName)] },
  });
  return Object.values(policies)
    .flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
          .PolicyDocument.Statement,
    )
    .flatMap((statement) => {
      expect(statement.Effect).toBe('Allow');
      const resources = [statement.Resource].flat();
      return [statement.Action]
        .flat()
        .flatMap((action) =>
          resources.map((resource): [string, string] => [action, JSON.stringify(resource)]),
        );
    })
    .sort();
}

describe('the guard watch construct', () => {
  const synthesized = synthesize();
  const { template } = synthesized;

  test('the check runs every 5 minutes from an EventBridge rule, invoking the function without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [synthesized.functionId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
  });

  test('only the two rules may invoke the function (its resource policy names each rule)', () => {
    const rules = Object.keys(template.findResources('AWS::Events::Rule')).sort();
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (permission) => (permission as { Properties: Record<string, unknown> }).Properties,
    );

    expect(rules).toHaveLength(2);
    expect(
      permissions.map((permission) => [permission['Principal'], permission['SourceArn']]),
    ).toEqual(
      expect.arrayContaining(
        rules.map((rule) => ['events.amazonaws.com', { 'Fn::GetAtt': [rule, 'Arn'] }]),
      ),
    );
    expect(permissions).toHaveLength(2);
  });

  test('the function may make the three reads on this WebACL, IP set and load balancer, and nothing else', () => {
    const webAcl = JSON.stringify({ 'Fn::GetAtt': [synthesized.webAclId, 'Arn'] });
    const ipSet = JSON.stringify({ 'Fn::GetAtt': [synthesized.ipSetId, 'Arn'] });
    const loadBalancer = JSON.stringify(LOAD_BALANCER_ARN);

    expect(grantsOf(synthesized)).toStrictEqual(
      [
        ['elasticloadbalancing:GetLoadBalancerWebACL', loadBalancer],
        ['wafv2:GetIPSet', ipSet],
        ['wafv2:GetWebACL', webAcl],
        ['wafv2:GetWebACLForResource', loadBalancer],
        ['wafv2:GetWebACLForResource', webAcl],
      ].sort(),
    );
  });

  test('the function is told what to check: our ARNs, the rule names, the header, the pattern and exactly the NAT addresses', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          WEB_ACL_ARN: { 'Fn::GetAtt': [synthesized.webAclId, 'Arn'] },
          NAT_IP_SET_ARN: { 'Fn::GetAtt': [synthesized.ipSetId, 'Arn'] },
          LOAD_BALANCER_ARN: LOAD_BALANCER_ARN,
          EXPECTED_NAT_ADDRESSES: NAT_ADDRESSES.join(','),
          ALLOW_RULE_NAME: WAF_RULE_NAMES.allowSignedRegistration,
          BLOCK_RULE_NAME: WAF_RULE_NAMES.blockUnsignedRegistration,
          AUTH_HEADER_NAME: 'x-custom-auth',
          REGISTRATION_PATH_PATTERN: REGISTRATION_PATH_PATTERN,
        }),
      },
    });
  });

  test('the alarm fires on GuardWeakened ≥ 1 and on missing data, over three runs, and reaches the alarm topic both ways', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CognitoUserSync',
      MetricName: 'GuardWeakened',
      Dimensions: [{ Name: 'service', Value: 'guard-watch' }],
      Statistic: 'Maximum',
      Period: 900,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [TOPIC_ARN],
      OKActions: [TOPIC_ARN],
    });
  });

  test('a WAF change recorded by CloudTrail runs the check at once', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.wafv2'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['wafv2.amazonaws.com'],
          eventName: Match.arrayWith(['DisassociateWebACL', 'UpdateWebACL', 'UpdateIPSet']),
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [synthesized.functionId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
  });

  test('when the interval is 2 minutes and change events are off, then the schedule, the alarm period and the rules follow', () => {
    const custom = synthesize({ checkInterval: Duration.minutes(2), checkOnGuardChanges: false });

    custom.template.resourceCountIs('AWS::Events::Rule', 1);
    custom.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
    });
    custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Period: 360 });
  });

  test.each([Duration.seconds(90), Duration.minutes(0), Duration.hours(2)])(
    'when the interval is %s, then the construct refuses it',
    (checkInterval) => {
      expect(() => synthesize({ checkInterval })).toThrow(/whole minutes, from 1 to 60/);
    },
  );

  test('cdk-nag AwsSolutions finds nothing unacknowledged, and each acknowledgement gives a reason', () => {
    const { app, construct } = synthesize();

    const findings = nagFindingsOf(app);

    expect(findings).toStrictEqual([]);
    const reasons = acknowledgementsOf(construct).map((acknowledgement) => acknowledgement.reason);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length).toBeGreaterThanOrEqual(80);
  });
});
