import type { RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IDependable } from 'constructs';
import { ExistingPoolTrigger } from './existing-pool-trigger';
import type { StackOutputs } from './stack-outputs';
import type { AdoptedUserPool, SyncUserPool } from './user-pool-source';

export interface ExistingUserPoolProps extends AdoptedUserPool {
  /** Repository root: the trigger attachment's handler is bundled from it. */
  readonly sourceRoot: string;
  readonly postConfirmationTrigger: lambda.IFunction;
  /** For the attachment's log groups. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The team's user pool, imported by ID (no lookup), with the producer attached as its
 * PostConfirmation trigger by the ExistingPoolTrigger custom resource; Cognito may invoke the
 * producer for this pool only. The pool's app clients, domain and users stay the team's: the
 * stack creates no client, so there is no `UserPoolClientId` output.
 */
export class ExistingUserPool extends Construct implements SyncUserPool {
  readonly userPool: cognito.IUserPool;
  readonly trigger: ExistingPoolTrigger;
  /** Its users signed up before the producer was attached: the reconciler backfills them. */
  readonly holdsEarlierUsers = true;
  readonly triggerAttached: IDependable;
  readonly outputs: StackOutputs;

  constructor(scope: Construct, id: string, props: ExistingUserPoolProps) {
    super(scope, id);
    this.userPool = cognito.UserPool.fromUserPoolId(this, 'UserPool', props.userPoolId);
    this.trigger = new ExistingPoolTrigger(this, 'Trigger', {
      sourceRoot: props.sourceRoot,
      userPool: this.userPool,
      trigger: props.postConfirmationTrigger,
      replaceExistingTrigger: props.replaceExistingTrigger,
      smsRoleArns: props.smsRoleArns,
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    this.triggerAttached = this.trigger.resource;
    this.outputs = {
      UserPoolId: {
        value: this.userPool.userPoolId,
        description: 'The adopted Cognito user pool (its PostConfirmation trigger is the producer)',
      },
    };
  }
}
