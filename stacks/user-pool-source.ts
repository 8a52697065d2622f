import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, IDependable } from 'constructs';
import { ExistingUserPool } from './existing-user-pool';
import type { StackOutputs } from './stack-outputs';
import { UserPool } from './user-pool';

/**
 * Where the user pool comes from:
 * - `create`: a pool of the stack's own, with the producer as its PostConfirmation trigger;
 * - `adopt`: the team's pool, given by ID; a custom resource makes the producer its
 *   PostConfirmation trigger (see ExistingPoolTrigger) and puts the earlier one back on delete.
 */
export type UserPoolSource =
  { readonly kind: 'create' } | ({ readonly kind: 'adopt' } & AdoptedUserPool);

export interface AdoptedUserPool {
  readonly userPoolId: string;
  /** Replace a PostConfirmation function the pool already has, instead of failing the deploy. */
  readonly replaceExistingTrigger: boolean;
  /** IAM roles the pool's SMS configuration names (passed back to Cognito on update). */
  readonly smsRoleArns: readonly string[];
}

/** What the rest of the system sees of the user pool, whichever its source. */
export interface SyncUserPool {
  readonly userPool: cognito.IUserPool;
  /**
   * True when the pool may hold users from before the deployment, who never fired the trigger:
   * the reconciler then runs once right after the deploy to backfill them.
   */
  readonly holdsEarlierUsers: boolean;
  /** Done once the producer is the pool's trigger: later confirmations reach it. */
  readonly triggerAttached: IDependable;
  /** Stack outputs this part contributes, by output ID. */
  readonly outputs: StackOutputs;
}

export interface UserPoolFromOptions {
  /** Repository root: the existing-pool trigger's handler is bundled from it. */
  readonly sourceRoot: string;
  /** The function every confirmation calls. */
  readonly postConfirmationTrigger: lambda.IFunction;
  readonly deletionProtection: boolean;
  readonly removalPolicy?: RemovalPolicy;
}

/** Builds or adopts the user pool `source` says, as construct `id` of `scope`. */
export function userPoolFrom(
  scope: Construct,
  id: string,
  source: UserPoolSource,
  options: UserPoolFromOptions,
): SyncUserPool {
  if (source.kind === 'create') {
    return new UserPool(scope, id, {
      postConfirmationTrigger: options.postConfirmationTrigger,
      deletionProtection: options.deletionProtection,
      ...(options.removalPolicy === undefined ? {} : { removalPolicy: options.removalPolicy }),
    });
  }
  return new ExistingUserPool(scope, id, {
    ...source,
    sourceRoot: options.sourceRoot,
    postConfirmationTrigger: options.postConfirmationTrigger,
    ...(options.removalPolicy === undefined ? {} : { removalPolicy: options.removalPolicy }),
  });
}
