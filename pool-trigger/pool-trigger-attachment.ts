import {
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
  type CognitoIdentityProviderClient,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { PoolTriggerError, SmsRoleNotPassableError, TriggerConflictError } from './errors';
import { readMfaSettings, restoreMfaSettings } from './mfa-settings';
import { attachmentOf, physicalIdOf, type TriggerAttachment } from './physical-id';
import { parseResourceProperties, type PoolTriggerProperties } from './resource-properties';
import { updateUserPoolInput } from './update-user-pool-input';

/** What the provider framework's onEvent handler returns. */
export interface PoolTriggerResponse {
  PhysicalResourceId: string;
}

export interface PoolTriggerAttachmentDependencies {
  cognito: CognitoIdentityProviderClient;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

const isNotFound = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ResourceNotFoundException';

/** The IAM roles a pool's SMS configuration names; writing it back passes them to Cognito. */
function smsRolesOf(pool: UserPoolType): string[] {
  const sms = pool.SmsConfiguration;
  return [sms?.SnsCallerArn, sms?.EumsSms?.CallerArn].filter(
    (arn): arn is string => arn !== undefined && arn !== '',
  );
}

/**
 * The custom resource that makes an existing user pool call `TriggerFunctionArn` after every
 * confirmation, and puts back what was there before when it is deleted.
 *
 * - Create: refuses (TriggerConflictError) when another function is the pool's PostConfirmation
 *   trigger, unless `ReplaceExistingTrigger`. Otherwise writes every setting back unchanged with
 *   the new trigger, and records the trigger it found (or none) in the physical ID.
 * - Update, same pool: re-points the trigger (a new function or version). The physical ID, and
 *   so the trigger to put back, stays the one recorded when the pool was first attached.
 * - Update, another pool: attaches to the new pool as a create would and returns a new physical
 *   ID; CloudFormation then deletes the old one, which restores the old pool.
 * - Delete: reads the pool again (its other settings may have changed since) and puts the
 *   recorded trigger back, or removes the key. A pool that is gone, or whose trigger someone has
 *   since pointed elsewhere, is left alone: the delete succeeds and says so in the log.
 */
export function createPoolTriggerAttachment(dependencies: PoolTriggerAttachmentDependencies) {
  const { cognito } = dependencies;
  const log = dependencies.log ?? (() => undefined);

  async function describe(userPoolId: string): Promise<UserPoolType | undefined> {
    try {
      const answer = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
      if (answer.UserPool === undefined) {
        throw new PoolTriggerError(`DescribeUserPool returned no pool for ${userPoolId}`);
      }
      return answer.UserPool;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function existingPool(userPoolId: string): Promise<UserPoolType> {
    const pool = await describe(userPoolId);
    if (pool === undefined) {
      throw new PoolTriggerError(
        `User pool ${userPoolId} does not exist in this account and region; check ` +
          'existingUserPoolId.',
      );
    }
    return pool;
  }

  /** Writes `pool`'s settings back as described, with PostConfirmation set to `trigger`. */
  async function writePostConfirmation(
    pool: UserPoolType,
    trigger: string | undefined,
    smsRoleArns: readonly string[],
  ): Promise<void> {
    const userPoolId = pool.Id ?? '';
    const input = updateUserPoolInput(pool, trigger);
    const notPassable = smsRolesOf(pool).filter((arn) => !smsRoleArns.includes(arn));
    if (notPassable.length > 0) throw new SmsRoleNotPassableError(userPoolId, notPassable);

    const mfaBefore = await readMfaSettings(cognito, userPoolId);
    await cognito.send(new UpdateUserPoolCommand(input));
    if (await restoreMfaSettings(cognito, userPoolId, mfaBefore)) {
      log('UpdateUserPool changed the MFA settings; the earlier ones were written back', {
        userPoolId,
      });
    }
    log('PostConfirmation trigger written', { userPoolId, postConfirmation: trigger ?? null });
  }

  /**
   * Makes `properties.triggerFunctionArn` the pool's trigger. `recorded` is what an earlier
   * event of this resource recorded for the same pool; `ownTriggers` are the functions this
   * resource may have attached itself (the current and, on update, the previous property).
   */
  async function attach(
    properties: PoolTriggerProperties,
    recorded: TriggerAttachment | undefined,
    ownTriggers: ReadonlySet<string>,
  ): Promise<TriggerAttachment> {
    const { userPoolId, triggerFunctionArn } = properties;
    const pool = await existingPool(userPoolId);
    const attached = pool.LambdaConfig?.PostConfirmation;

    let previousTrigger = recorded?.previousTrigger;
    if (attached !== undefined && !ownTriggers.has(attached)) {
      if (!properties.replaceExistingTrigger) {
        throw new TriggerConflictError(userPoolId, attached);
      }
      if (recorded === undefined) {
        previousTrigger = attached;
      } else {
        // The physical ID of a resource cannot change without CloudFormation deleting it, and
        // that delete would undo this very update: the first recorded trigger stays the one to
        // put back.
        log('replacing a PostConfirmation trigger attached since this stack attached its own', {
          userPoolId,
          replaced: attached,
          restoredOnDelete: previousTrigger ?? null,
        });
      }
    } else if (attached !== undefined && recorded === undefined) {
      log('the pool already calls this stack’s function; there is no earlier trigger to record', {
        userPoolId,
        attached,
      });
    }

    if (attached === triggerFunctionArn) {
      log('PostConfirmation trigger already attached; the pool was not changed', { userPoolId });
    } else {
      await writePostConfirmation(pool, triggerFunctionArn, properties.smsRoleArns);
    }
    return { userPoolId, previousTrigger };
  }

  async function create(properties: PoolTriggerProperties): Promise<PoolTriggerResponse> {
    const attachment = await attach(
      properties,
      undefined,
      new Set([properties.triggerFunctionArn]),
    );
    return { PhysicalResourceId: physicalIdOf(attachment) };
  }

  async function update(
    physicalId: string,
    properties: PoolTriggerProperties,
    oldProperties: Record<string, unknown>,
  ): Promise<PoolTriggerResponse> {
    const ownTriggers = new Set([properties.triggerFunctionArn]);
    if (typeof oldProperties['TriggerFunctionArn'] === 'string') {
      ownTriggers.add(oldProperties['TriggerFunctionArn']);
    }
    const recorded = attachmentOf(physicalId);
    if (recorded !== undefined && recorded.userPoolId === properties.userPoolId) {
      await attach(properties, recorded, ownTriggers);
      return { PhysicalResourceId: physicalId };
    }
    const attachment = await attach(properties, undefined, ownTriggers);
    return { PhysicalResourceId: physicalIdOf(attachment) };
  }

  async function remove(
    physicalId: string,
    properties: Record<string, unknown>,
  ): Promise<PoolTriggerResponse> {
    const recorded = attachmentOf(physicalId);
    if (recorded === undefined) {
      log('not a physical ID this resource made; nothing to restore', { physicalId });
      return { PhysicalResourceId: physicalId };
    }
    const { userPoolId, previousTrigger } = recorded;
    const pool = await describe(userPoolId);
    if (pool === undefined) {
      log('the user pool is gone; nothing to restore', { userPoolId });
      return { PhysicalResourceId: physicalId };
    }
    const ownTrigger = properties['TriggerFunctionArn'];
    const attached = pool.LambdaConfig?.PostConfirmation;
    if (attached === undefined || attached !== ownTrigger) {
      log('the pool’s PostConfirmation trigger is no longer this stack’s; it was left as it is', {
        userPoolId,
        attached: attached ?? null,
        notRestored: previousTrigger ?? null,
      });
      return { PhysicalResourceId: physicalId };
    }
    const smsRoleArns = Array.isArray(properties['SmsRoleArns'])
      ? properties['SmsRoleArns'].filter((arn): arn is string => typeof arn === 'string')
      : [];
    await writePostConfirmation(pool, previousTrigger, smsRoleArns);
    return { PhysicalResourceId: physicalId };
  }

  return {
    /** The provider framework's onEvent: one call per CloudFormation event. */
    async onEvent(event: CloudFormationCustomResourceEvent): Promise<PoolTriggerResponse> {
      switch (event.RequestType) {
        case 'Create':
          return create(parseResourceProperties(event.ResourceProperties));
        case 'Update':
          return update(
            event.PhysicalResourceId,
            parseResourceProperties(event.ResourceProperties),
            event.OldResourceProperties,
          );
        case 'Delete':
          // Read leniently: a delete that fails on a property would block the stack's deletion.
          return remove(event.PhysicalResourceId, event.ResourceProperties);
      }
    },
  };
}
