/**
 * The system construct (stacks/cognito-user-sync.ts) wires this in after the WAF guard and the
 * alarm topic exist, and outputs `GuardWatchFunctionName`, which the runbook invokes to re-check
 * at once. The rule names, the registration path pattern and the NAT addresses default to what
 * stacks/waf-guard.ts deploys (`WAF_RULE_NAMES`, `REGISTRATION_PATH_PATTERN`, the IP set's own
 * address list), so nothing else needs passing unless the guard is built differently.
 */
import { Duration, Fn, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { GuardFindingKind } from '../guard-watch/guard-assessment';
import { GUARD_WEAKENED_METRIC } from '../guard-watch/guard-metric';
import { GUARD_WATCH_BUNDLING } from './guard-watch-bundling';
import {
  acknowledgeBasicExecution,
  functionLogGroup,
  repositoryFunctionProps,
} from './lambda-bundling';
import { REGISTRATION_PATH_PATTERN, WAF_RULE_NAMES } from './waf-guard';

/** The WAF calls that change what the guard is; each one triggers a check at once. */
const GUARD_CHANGING_CALLS = [
  'AssociateWebACL',
  'DisassociateWebACL',
  'UpdateWebACL',
  'DeleteWebACL',
  'UpdateIPSet',
  'DeleteIPSet',
];

export interface GuardWatchProps {
  /** Repository root: the entry is `guard-watch/handler.ts` under it. */
  readonly sourceRoot: string;
  /** The guard's WebACL (WafGuard.webAcl): REGIONAL, in this stack's region. */
  readonly webAcl: wafv2.CfnWebACL;
  /** The IP set the allow rule requires (WafGuard.natIpSet). */
  readonly natIpSet: wafv2.CfnIPSet;
  /**
   * Exactly the addresses (CIDRs) the IP set must hold: the NAT egress IPs, usually tokens.
   * @default the IP set's own `addresses`, as deployed
   */
  readonly expectedNatAddresses?: readonly string[];
  /** The load balancer the WebACL must stay associated with. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The header the allow rule compares (the rule's values are secret and never checked). */
  readonly authHeaderName: string;
  /** Where the alarm (and its return to OK) is sent. */
  readonly alarmTopic: sns.ITopic;
  /** @default WAF_RULE_NAMES.allowSignedRegistration and .blockUnsignedRegistration */
  readonly guardRuleNames?: { readonly allow: string; readonly block: string };
  /** The block rule's expression for the registration paths. @default REGISTRATION_PATH_PATTERN */
  readonly registrationPathPattern?: string;
  /**
   * How often the check runs (whole minutes, 1 to 60). The alarm looks at three runs, so one
   * late or lost run never pages; three in a row do.
   * @default Duration.minutes(5)
   */
  readonly checkInterval?: Duration;
  /**
   * Also run the check within seconds of a WAF change (association, WebACL or IP set), from
   * CloudTrail's events. Needs a CloudTrail trail in the account; delivery is best effort, so the
   * schedule stays the guarantee.
   * @default true
   */
  readonly checkOnGuardChanges?: boolean;
  /** For the log group. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An alarm when the source-address guard is weakened. A small function reads the live state
 * every few minutes — is the load balancer still associated with OUR WebACL
 * (GetWebACLForResource), do the guard rules still exist first, in order, as Allow and Block,
 * still requiring the header and the NAT IP set (GetWebACL), does the IP set hold exactly the
 * NAT addresses (GetIPSet) — logs each finding and publishes `GuardWeakened` 0/1. The alarm
 * fires on 1, and on missing data: a check that stopped running, or cannot read what it checks,
 * is itself a weakened guard.
 *
 * Why a scheduled check and not AWS Config: Config's managed rules see only part of this —
 * `alb-waf-enabled` (with `wafWebAclIds`) covers the association, `wafv2-webacl-not-empty` that
 * the WebACL has some rule — and none sees a rule switched to Count, a rule put in front of the
 * guard, or an address added to the IP set. They also need a configuration recorder in the
 * account and region, which many accounts have and a stack must not create (one recorder per
 * region: a second collides), and they bill per configuration item and evaluation. The check
 * reads the state itself and needs nothing account-wide.
 */
export class GuardWatch extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly schedule: events.Rule;
  /** Runs the check on a WAF change (absent when `checkOnGuardChanges` is false). */
  readonly changeTrigger: events.Rule | undefined;
  readonly alarm: cloudwatch.Alarm;
  /** How often the check runs; the alarm's period is three of these. */
  readonly checkInterval: Duration;

  constructor(scope: Construct, id: string, props: GuardWatchProps) {
    super(scope, id);
    const interval = props.checkInterval ?? Duration.minutes(5);
    const minutes = interval.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
      throw new Error('GuardWatch checkInterval must be whole minutes, from 1 to 60');
    }
    const ruleNames = props.guardRuleNames ?? {
      allow: WAF_RULE_NAMES.allowSignedRegistration,
      block: WAF_RULE_NAMES.blockUnsignedRegistration,
    };
    this.checkInterval = interval;
    const expectedAddresses = [...(props.expectedNatAddresses ?? props.natIpSet.addresses)];
    if (expectedAddresses.length === 0) {
      throw new Error('GuardWatch needs at least one expected NAT address');
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'Checks that the WAF registration guard is still associated and unweakened',
      ...repositoryFunctionProps(props.sourceRoot, GUARD_WATCH_BUNDLING),
      memorySize: 256,
      // Three reads in parallel, each with the SDK's few retries.
      timeout: Duration.seconds(30),
      // A failed run is not retried: the next one comes within minutes, and the alarm already
      // counts a missing run as a breach.
      retryAttempts: 0,
      logGroup: functionLogGroup(this, 'Logs', props.removalPolicy),
      environment: {
        WEB_ACL_ARN: props.webAcl.attrArn,
        NAT_IP_SET_ARN: props.natIpSet.attrArn,
        LOAD_BALANCER_ARN: props.loadBalancer.loadBalancerArn,
        EXPECTED_NAT_ADDRESSES: Fn.join(',', expectedAddresses),
        ALLOW_RULE_NAME: ruleNames.allow,
        BLOCK_RULE_NAME: ruleNames.block,
        AUTH_HEADER_NAME: props.authHeaderName,
        REGISTRATION_PATH_PATTERN: props.registrationPathPattern ?? REGISTRATION_PATH_PATTERN,
        POWERTOOLS_SERVICE_NAME: GUARD_WEAKENED_METRIC.service,
      },
    });
    // No VPC: it calls only the WAF API.

    // Least privilege: the three reads, on this WebACL, IP set and load balancer only.
    // - GetWebACLForResource is authorised on the WebACL it finds and on the load balancer, and
    //   depends on elasticloadbalancing:GetLoadBalancerWebACL (permission only) on the latter.
    //   Since it may name only our WebACL, a load balancer moved to another WebACL answers
    //   AccessDenied — reported as CannotVerify, so it alarms just the same.
    // - GetWebACL on this WebACL; GetIPSet on this IP set.
    const grants: [string[], string[]][] = [
      [['wafv2:GetWebACLForResource'], [props.webAcl.attrArn, props.loadBalancer.loadBalancerArn]],
      [['elasticloadbalancing:GetLoadBalancerWebACL'], [props.loadBalancer.loadBalancerArn]],
      [['wafv2:GetWebACL'], [props.webAcl.attrArn]],
      [['wafv2:GetIPSet'], [props.natIpSet.attrArn]],
    ];
    for (const [grantedActions, resources] of grants) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({ actions: grantedActions, resources }),
      );
    }

    // EventBridge rules, not Scheduler: a rule invokes through the function's resource policy
    // (limited to the rule's ARN), where a schedule needs a role granted the function and
    // every version of it (`:*`).
    const invokeCheck = new eventTargets.LambdaFunction(this.function, { retryAttempts: 0 });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Checks the WAF registration guard',
      schedule: events.Schedule.rate(interval),
      targets: [invokeCheck],
    });

    this.changeTrigger =
      (props.checkOnGuardChanges ?? true)
        ? new events.Rule(this, 'OnGuardChange', {
            description: 'Checks the WAF registration guard when WAF associations or rules change',
            eventPattern: {
              source: ['aws.wafv2'],
              detailType: ['AWS API Call via CloudTrail'],
              detail: { eventSource: ['wafv2.amazonaws.com'], eventName: GUARD_CHANGING_CALLS },
            },
            targets: [invokeCheck],
          })
        : undefined;

    this.alarm = new cloudwatch.Alarm(this, 'GuardWeakened', {
      alarmDescription:
        'The WAF registration guard is weakened, or its check cannot tell: POST /user may be ' +
        'protected by the API alone. The check logs one line per finding; see "When the guard ' +
        'is weakened" in docs/operations.md.',
      metric: this.metricGuardWeakened(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // A check that stopped running (or fails before publishing) is a weakened guard too.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const notify = new actions.SnsAction(props.alarmTopic);
    this.alarm.addAlarmAction(notify);
    this.alarm.addOkAction(notify);

    acknowledgeBasicExecution(
      this.function.role,
      'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for writing the function’s ' +
        'own logs (and its metrics, which travel in them as EMF); it grants no data access.',
    );
  }

  /**
   * `GuardWeakened`, worst of the last three runs: 1 when any run found the guard weakened, 0
   * when all were clean, no data when none ran. Give `finding` for that kind alone (its
   * datapoints exist only while it is found).
   */
  metricGuardWeakened(finding?: GuardFindingKind): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: GUARD_WEAKENED_METRIC.namespace,
      metricName: GUARD_WEAKENED_METRIC.metricName,
      dimensionsMap: {
        service: GUARD_WEAKENED_METRIC.service,
        ...(finding === undefined ? {} : { [GUARD_WEAKENED_METRIC.findingDimension]: finding }),
      },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(3 * this.checkInterval.toMinutes()),
    });
  }
}
