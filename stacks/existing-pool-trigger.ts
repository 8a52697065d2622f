import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { PoolTriggerResourceProperties } from '../pool-trigger/resource-properties';
import {
  acknowledgeBasicExecution,
  BASIC_EXECUTION_FINDING,
  functionLogGroup,
  repositoryFunctionProps,
} from './lambda-bundling';
import { POOL_TRIGGER_BUNDLING } from './pool-trigger-bundling';

export interface ExistingPoolTriggerProps {
  /** Repository root: the entry is `pool-trigger/handler.ts` under it. */
  readonly sourceRoot: string;
  /** The team's pool, e.g. `UserPool.fromUserPoolId(this, 'Pool', existingUserPoolId)`. */
  readonly userPool: cognito.IUserPool;
  /** The function to attach as the pool's PostConfirmation trigger (the producer). */
  readonly trigger: lambda.IFunction;
  /**
   * Replace a PostConfirmation function the pool already has (it is put back when the stack is
   * deleted). When false, a pool with another PostConfirmation function fails the deployment.
   */
  readonly replaceExistingTrigger: boolean;
  /**
   * The IAM roles the pool's SMS configuration names (SmsConfiguration.SnsCallerArn, and
   * EumsSms.CallerArn). Writing the settings back passes them to Cognito, which takes
   * iam:PassRole on each; the function refuses a pool whose roles are not listed here.
   * @default none: the pool sends no SMS
   */
  readonly smsRoleArns?: readonly string[];
  /** For the log groups. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Makes an existing user pool, which CloudFormation cannot change, call `trigger` after every
 * confirmation. A custom resource (pool-trigger/) reads the pool's configuration and writes all
 * of it back with only LambdaConfig.PostConfirmation changed, since UpdateUserPool resets every
 * setting a request leaves out; deleting the stack puts back the trigger that was there before.
 * Cognito may invoke the trigger for this pool only, and the permission exists for as long as
 * the pool may call it: the attachment is made after it and undone before it is removed.
 */
export class ExistingPoolTrigger extends Construct {
  /** The custom resource's onEvent handler. */
  readonly function: nodejs.NodejsFunction;
  readonly provider: cr.Provider;
  readonly resource: CustomResource;
  /** Cognito's permission to invoke the trigger for this pool. */
  readonly invokePermission: lambda.CfnPermission;

  constructor(scope: Construct, id: string, props: ExistingPoolTriggerProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const smsRoleArns = [...(props.smsRoleArns ?? [])];
    const logGroup = (logGroupId: string) => functionLogGroup(this, logGroupId, removalPolicy);

    // The pool ARN (SourceArn) and this account (SourceAccount): no other pool, and no pool of
    // another account with the same ID, may invoke the trigger through this permission.
    this.invokePermission = new lambda.CfnPermission(this, 'CognitoInvokePermission', {
      action: 'lambda:InvokeFunction',
      functionName: props.trigger.functionArn,
      principal: 'cognito-idp.amazonaws.com',
      sourceArn: props.userPool.userPoolArn,
      sourceAccount: Stack.of(this).account,
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description:
        'Attaches the PostConfirmation trigger to an existing user pool, and detaches it',
      ...repositoryFunctionProps(props.sourceRoot, POOL_TRIGGER_BUNDLING),
      memorySize: 256,
      // Throttled calls are retried with back-off (pool-trigger/cognito-client.ts).
      timeout: Duration.minutes(5),
      logGroup: logGroup('Logs'),
      environment: { POWERTOOLS_SERVICE_NAME: 'pool-trigger' },
    });
    // Least privilege: read and write this one pool's configuration, including the MFA
    // settings UpdateUserPool does not own (read before and after, restored if it changed them).
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'cognito-idp:DescribeUserPool',
          'cognito-idp:UpdateUserPool',
          'cognito-idp:GetUserPoolMfaConfig',
          'cognito-idp:SetUserPoolMfaConfig',
        ],
        resources: [props.userPool.userPoolArn],
      }),
    );
    if (smsRoleArns.length > 0) {
      // Writing SmsConfiguration back passes its roles to Cognito; to Cognito and nothing else.
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: smsRoleArns,
          conditions: { StringEquals: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' } },
        }),
      );
    }

    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: logGroup('ProviderLogs'),
    });

    const properties: PoolTriggerResourceProperties = {
      UserPoolId: props.userPool.userPoolId,
      TriggerFunctionArn: props.trigger.functionArn,
      ReplaceExistingTrigger: props.replaceExistingTrigger,
      SmsRoleArns: smsRoleArns,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::ExistingPoolTrigger',
      properties,
      // Retaining it would leave the pool calling a function the stack deletes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.resource.node.addDependency(this.invokePermission);

    acknowledgeFindings(this.function, this.provider);
  }
}

function acknowledgeFindings(onEvent: lambda.Function, provider: cr.Provider): void {
  acknowledgeBasicExecution(onEvent.role);

  // The provider framework's own function: its code and role are aws-cdk-lib's.
  const framework = provider.node.tryFindChild('framework-onEvent');
  if (framework === undefined) return;
  const onEventLogicalId = Stack.of(onEvent).getLogicalId(
    onEvent.node.defaultChild as lambda.CfnFunction,
  );
  Validations.of(framework).acknowledge(
    {
      id: BASIC_EXECUTION_FINDING,
      reason:
        'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for writing the function’s own logs; it grants no data access.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${onEventLogicalId}.Arn>:*]`,
      reason:
        'The provider framework invokes the onEvent handler by ARN and by any of its versions ' +
        '(`<arn>:*`); the wildcard covers versions of that one function, nothing else.',
    },
  );
}
