import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as triggers from 'aws-cdk-lib/triggers';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct, type IConstruct } from 'constructs';
import { HEADER_VALUE_LENGTH } from './header-secret';
import {
  acknowledgeBasicExecution,
  functionLogGroup,
  repositoryFunctionProps,
} from './lambda-bundling';
import { PRODUCER_BUNDLING } from './producer-bundling';

/** How often the header value changes unless the `headerRotationDays` setting says otherwise. */
export const DEFAULT_HEADER_ROTATION_DAYS = 30;
/** Regional WAF propagation the rotation waits out before senders may get the new value. */
export const WAF_PROPAGATION_SECONDS = 75;
/**
 * Youngest the current value may be for a rotation to start: above every sender's and the
 * API's cache (5 minutes each) plus the propagation wait.
 */
export const MIN_ROTATION_INTERVAL_SECONDS = 900;

export interface HeaderRotationProps {
  readonly sourceRoot: string;
  readonly secret: secretsmanager.ISecret;
  readonly webAcl: wafv2.CfnWebACL;
  /** The IP set the guard rule references: UpdateWebACL is authorised on referenced sets too. */
  readonly natIpSet: wafv2.CfnIPSet;
  readonly webAclName: string;
  readonly guardRuleName: string;
  readonly authHeaderName: string;
  readonly rotationDays: number;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Automatic rotation of the header secret: a Secrets Manager schedule calls a function that
 * follows the four rotation steps and rewrites the WAF guard rule so that the values in use are
 * accepted throughout (see rotation/header-rotation.ts). A one-off trigger runs before the WebACL
 * is created and gives a fresh secret its `previous` key, which the guard rule references.
 */
export class HeaderRotation extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly seedFunction: nodejs.NodejsFunction;
  /** Runs the seed function during the deployment; the WebACL must come after it. */
  readonly seedTrigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: HeaderRotationProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const logGroup = (logGroupId: string) => functionLogGroup(this, logGroupId, removalPolicy);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'Rotates the registration header value and keeps the WAF guard rule in step',
      ...repositoryFunctionProps(
        props.sourceRoot,
        PRODUCER_BUNDLING,
        path.join('rotation', 'handler.ts'),
      ),
      memorySize: 256,
      // setSecret waits out WAF propagation; lock retries and API calls need little on top.
      timeout: Duration.seconds(WAF_PROPAGATION_SECONDS + 120),
      logGroup: logGroup('Logs'),
      environment: {
        WEB_ACL_NAME: props.webAclName,
        WEB_ACL_ID: props.webAcl.attrId,
        WEB_ACL_SCOPE: 'REGIONAL',
        GUARD_RULE_NAME: props.guardRuleName,
        AUTH_HEADER_NAME: props.authHeaderName,
        HEADER_VALUE_LENGTH: String(HEADER_VALUE_LENGTH),
        WAF_PROPAGATION_SECONDS: String(WAF_PROPAGATION_SECONDS),
        MIN_ROTATION_INTERVAL_SECONDS: String(MIN_ROTATION_INTERVAL_SECONDS),
        POWERTOOLS_SERVICE_NAME: 'header-rotation',
      },
    });
    // No VPC: it calls only the Secrets Manager and WAF APIs, never the API itself. Testing the
    // new value end to end would make an API task re-read the secret before the value is current.

    // Least privilege, and why each grant is there:
    // - read and write the header secret's versions and stages (the four steps); addRotationSchedule
    //   below grants exactly that on this one secret, plus GetRandomPassword (no resource type);
    // - read and update this one WebACL. UpdateWebACL is also authorised against every resource
    //   the WebACL references, so it names the NAT IP set as well; nothing else.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['wafv2:GetWebACL', 'wafv2:UpdateWebACL'],
        resources: [props.webAcl.attrArn, props.natIpSet.attrArn],
      }),
    );
    props.secret.addRotationSchedule('Schedule', {
      rotationLambda: this.function,
      automaticallyAfter: Duration.days(props.rotationDays),
      // A deploy must not rotate: rotations are spaced by the schedule (or started by hand).
      rotateImmediatelyOnUpdate: false,
    });

    this.seedFunction = new nodejs.NodejsFunction(this, 'SeedFunction', {
      description: 'Gives a new header secret its "previous" key before the WebACL references it',
      ...repositoryFunctionProps(
        props.sourceRoot,
        PRODUCER_BUNDLING,
        path.join('rotation', 'seed-handler.ts'),
      ),
      memorySize: 256,
      timeout: Duration.seconds(30),
      logGroup: logGroup('SeedLogs'),
      environment: { HEADER_SECRET_ARN: props.secret.secretArn },
    });
    // Reads the value to copy it into `previous`, and writes that one version.
    props.secret.grantRead(this.seedFunction);
    props.secret.grantWrite(this.seedFunction);
    this.seedTrigger = new triggers.Trigger(this, 'SeedTrigger', {
      handler: this.seedFunction,
      // Once per stack: a later deploy finds `previous` present (the function is idempotent too).
      executeOnHandlerChange: false,
    });
    this.seedTrigger.executeBefore(props.webAcl);

    for (const fn of [this.function, this.seedFunction]) acknowledgeBasicExecution(fn.role);
    const rotationRole: IConstruct | undefined = this.function.role;
    if (rotationRole !== undefined) {
      Validations.of(rotationRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:GetRandomPassword has no resource type, so it can only be granted on *; ' +
          'it generates a value and touches no secret. Every other grant names the header secret, ' +
          'the WebACL or the NAT IP set.',
      });
    }
  }

  /** Roles that must be able to read the secret besides the senders and the API. */
  get readers(): iam.IRole[] {
    return [this.function.role, this.seedFunction.role].filter(
      (role): role is iam.IRole => role !== undefined,
    );
  }
}
