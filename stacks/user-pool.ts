import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IDependable } from 'constructs';
import type { StackOutputs } from './stack-outputs';
import type { SyncUserPool } from './user-pool-source';

export interface UserPoolProps {
  /** Called after every confirmation; registers the user with the API. */
  readonly postConfirmationTrigger: lambda.IFunction;
  readonly deletionProtection: boolean;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Cognito user pool whose sign-ups are copied into the application's database. Self sign-up
 * by e-mail; TOTP multi-factor authentication is required at sign-in (it plays no part in sign-up,
 * so the trigger fires as soon as the e-mail is confirmed).
 */
export class UserPool extends Construct implements SyncUserPool {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  /** A new pool: every user in it confirms after the trigger is in place. */
  readonly holdsEarlierUsers = false;
  /** The trigger is part of the pool's own definition. */
  readonly triggerAttached: IDependable;
  readonly outputs: StackOutputs;

  constructor(scope: Construct, id: string, props: UserPoolProps) {
    super(scope, id);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: props.deletionProtection,
      lambdaTriggers: { postConfirmation: props.postConfirmationTrigger },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.client = this.userPool.addClient('AppClient', {
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      generateSecret: false,
    });
    this.triggerAttached = this.userPool;
    this.outputs = {
      UserPoolId: { value: this.userPool.userPoolId, description: 'Cognito user pool' },
      UserPoolClientId: { value: this.client.userPoolClientId, description: 'App client' },
    };

    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The Plus feature plan (threat protection) is billed per monthly active user; it is a ' +
        'product decision for the pool that goes live, not a prerequisite of the sync this stack ' +
        'delivers. Essentials with required TOTP MFA and a strong password policy is the baseline.',
    });
  }
}
