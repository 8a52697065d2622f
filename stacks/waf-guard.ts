import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** The route the API hands to its registration handler (express: case-insensitive, optional `/`). */
export const REGISTRATION_PATH = '/user';

/** Rule names; they are also the `Rule` dimension of the WAF CloudWatch metrics. */
export const WAF_RULE_NAMES = {
  allowSignedRegistration: 'AllowSignedRegistration',
  blockUnsignedRegistration: 'BlockUnsignedRegistration',
  rateLimit: 'RateLimitPerSourceIp',
  commonRuleSet: 'AwsCommonRuleSet',
  knownBadInputs: 'AwsKnownBadInputs',
} as const;

/**
 * Every URI path express routes to `POST /user`, lower-cased: the path itself with an optional
 * trailing slash, also in absolute form (`http://host/user`) and with a fragment (`/user#x`) —
 * Node's URL parsing accepts both, and only a regular expression keeps them from slipping past
 * an exact match. Percent-encoded spellings (`/%75ser`) are not decoded by the router and 404.
 */
export const REGISTRATION_PATH_PATTERN = '^([a-z][a-z0-9+.-]*://[^/]*)?/user/?(#.*)?$';

/** Requests per source IP per 5 minutes before the rate rule blocks (registrations are exempt). */
export const RATE_LIMIT_PER_FIVE_MINUTES = 1000;

export interface WafGuardProps {
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The NAT addresses (IPv4): the only sources allowed to register users. */
  readonly natEgressIps: readonly string[];
  readonly authHeaderName: string;
  /**
   * Header values the guard accepts, as CloudFormation dynamic references to the secret (never
   * plain values): `current` and `previous`, the same keys the rotation keeps true, so a deploy
   * that rewrites the WebACL resolves to what the last rotation left.
   */
  readonly acceptedHeaderValues: readonly string[];
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

const lowercase = [{ priority: 0, type: 'LOWERCASE' }];
const noTransformation = [{ priority: 0, type: 'NONE' }];

const visibility = (
  metricName: string,
  { sampled = true } = {},
): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: sampled,
  metricName,
});
// Sampled requests show every header in clear in the console and GetSampledRequests, and the
// guard rules see the header value on every registration: those two rules keep metrics only.
const guardVisibility = (metricName: string) => visibility(metricName, { sampled: false });

/**
 * The WAFv2 WebACL on the ALB. Registrations (`POST /user`) are let through only when they carry
 * the shared header value AND come from one of the NAT Elastic IPs; every other request the API
 * would route to its registration handler is blocked with the API's own 403 body. Both guard rules
 * come before the managed rule groups, so a legitimate registration is never judged by them (IP
 * reputation lists flag cloud addresses; the common rule set limits body size). All other traffic
 * meets the rate limit and the AWS managed groups, and is otherwise allowed.
 */
export class WafGuard extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly natIpSet: wafv2.CfnIPSet;
  /** Metric name of the WebACL: the `WebACL` dimension of its CloudWatch metrics. */
  readonly webAclMetricName: string;

  constructor(scope: Construct, id: string, props: WafGuardProps) {
    super(scope, id);
    if (props.acceptedHeaderValues.length === 0) {
      throw new Error('WafGuard needs at least one accepted header value');
    }
    if (props.natEgressIps.length === 0) {
      throw new Error('WafGuard needs at least one NAT address');
    }
    const stack = Stack.of(this);

    this.natIpSet = new wafv2.CfnIPSet(this, 'NatEgressIps', {
      scope: 'REGIONAL',
      ipAddressVersion: 'IPV4',
      description: 'NAT Gateway Elastic IPs: producer and consumer egress',
      addresses: props.natEgressIps.map((address) => `${address}/32`),
    });

    const registrationPathExactly = (path: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'EXACTLY',
        searchString: path,
        textTransformations: lowercase,
      },
    });
    const isPost: wafv2.CfnWebACL.StatementProperty = {
      // Node's HTTP parser rejects methods that are not upper case, so no transformation.
      byteMatchStatement: {
        fieldToMatch: { method: {} },
        positionalConstraint: 'EXACTLY',
        searchString: 'POST',
        textTransformations: noTransformation,
      },
    };
    const headerEquals = (value: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        // The FieldToMatch children are untyped JSON: the key is `Name`, capital N.
        fieldToMatch: { singleHeader: { Name: props.authHeaderName } },
        positionalConstraint: 'EXACTLY',
        searchString: value,
        textTransformations: noTransformation,
      },
    });
    const headerStatements = props.acceptedHeaderValues.map(headerEquals);
    const [firstHeaderStatement] = headerStatements;
    const hasAcceptedHeader: wafv2.CfnWebACL.StatementProperty =
      headerStatements.length === 1 && firstHeaderStatement !== undefined
        ? firstHeaderStatement
        : { orStatement: { statements: headerStatements } };

    const allowSignedRegistration: wafv2.CfnWebACL.RuleProperty = {
      name: WAF_RULE_NAMES.allowSignedRegistration,
      priority: 0,
      action: { allow: {} },
      statement: {
        andStatement: {
          statements: [
            isPost,
            {
              orStatement: {
                statements: [
                  registrationPathExactly(REGISTRATION_PATH),
                  registrationPathExactly(`${REGISTRATION_PATH}/`),
                ],
              },
            },
            hasAcceptedHeader,
            { ipSetReferenceStatement: { arn: this.natIpSet.attrArn } },
          ],
        },
      },
      visibilityConfig: guardVisibility(WAF_RULE_NAMES.allowSignedRegistration),
    };

    const blockUnsignedRegistration: wafv2.CfnWebACL.RuleProperty = {
      name: WAF_RULE_NAMES.blockUnsignedRegistration,
      priority: 1,
      action: {
        block: { customResponse: { responseCode: 403, customResponseBodyKey: 'forbidden' } },
      },
      statement: {
        andStatement: {
          statements: [
            isPost,
            {
              regexMatchStatement: {
                fieldToMatch: { uriPath: {} },
                regexString: REGISTRATION_PATH_PATTERN,
                textTransformations: lowercase,
              },
            },
          ],
        },
      },
      visibilityConfig: guardVisibility(WAF_RULE_NAMES.blockUnsignedRegistration),
    };

    const managedRuleGroup = (
      name: string,
      managedName: string,
      priority: number,
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: managedName } },
      visibilityConfig: visibility(name),
    });

    this.webAclMetricName = `${stack.stackName}-api`;
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclMetricName,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description:
        'Registration guard: shared header and NAT source IP. Rate limit, AWS managed rules.',
      customResponseBodies: {
        // The API's own 403 body, so senders classify a WAF block exactly like an API refusal.
        forbidden: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ error: { code: 'forbidden', message: 'Forbidden' } }),
        },
      },
      rules: [
        allowSignedRegistration,
        blockUnsignedRegistration,
        {
          name: WAF_RULE_NAMES.rateLimit,
          priority: 2,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: RATE_LIMIT_PER_FIVE_MINUTES, aggregateKeyType: 'IP' },
          },
          visibilityConfig: visibility(WAF_RULE_NAMES.rateLimit),
        },
        managedRuleGroup(WAF_RULE_NAMES.commonRuleSet, 'AWSManagedRulesCommonRuleSet', 3),
        managedRuleGroup(WAF_RULE_NAMES.knownBadInputs, 'AWSManagedRulesKnownBadInputsRuleSet', 4),
      ],
      visibilityConfig: visibility(this.webAclMetricName),
    });

    new wafv2.CfnWebACLAssociation(this, 'LoadBalancerAssociation', {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF requires the `aws-waf-logs-` prefix. The header is redacted: its value is the secret.
    const logGroupName = `aws-waf-logs-${stack.stackName}`;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: props.authHeaderName } }],
    });
    logging.node.addDependency(logGroup);
  }

  /** Requests the guard's block rule stopped: scanners, and senders with a stale header value. */
  metricGuardBlockedRequests(): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: {
        WebACL: this.webAclMetricName,
        Region: Stack.of(this).region,
        Rule: WAF_RULE_NAMES.blockUnsignedRegistration,
      },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
  }
}
