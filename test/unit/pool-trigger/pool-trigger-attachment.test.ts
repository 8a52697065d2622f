import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import {
  PoolTriggerError,
  SmsRoleNotPassableError,
  TriggerConflictError,
} from '../../../pool-trigger/errors';
import { createPoolTriggerAttachment } from '../../../pool-trigger/pool-trigger-attachment';
import {
  createEvent,
  deleteEvent,
  poolTriggerProperties,
  updateEvent,
} from '../../helpers/custom-resource-events';
import {
  describedMfaSettings,
  describedUserPool,
  OTHER_TRIGGERS,
  POOL_ID,
  PRODUCER_ARN,
  PRODUCER_V2_ARN,
  SMS_ROLE_ARNS,
  TEAM_POST_CONFIRMATION_ARN,
} from '../../helpers/described-user-pool';
import { UserPoolDouble, type UserPoolDoubleOptions } from '../../helpers/user-pool-double';

const OTHER_POOL_ID = 'eu-west-1_OtherPool7';
const SOMEONE_ELSES_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:another-team-hook';

/** Properties for the fixture pool and the producer, with the SMS roles the pool needs. */
const properties = (overrides: Partial<Parameters<typeof poolTriggerProperties>[0]> = {}) =>
  poolTriggerProperties({
    UserPoolId: POOL_ID,
    TriggerFunctionArn: PRODUCER_ARN,
    SmsRoleArns: [...SMS_ROLE_ARNS],
    ...overrides,
  });

/** `pool` with `trigger` as its PostConfirmation function and nothing else changed. */
const withTrigger = (pool: UserPoolType, trigger: string): UserPoolType => ({
  ...pool,
  LambdaConfig: { ...OTHER_TRIGGERS, PostConfirmation: trigger },
});

/** The pool as a later Describe shows it, ignoring what Cognito itself moves on every update. */
const settingsOf = (pool: UserPoolType | undefined) => {
  const { LastModifiedDate: _modified, ...settings } = pool ?? {};
  return settings;
};

describe('attaching the producer to an existing pool', () => {
  let double: UserPoolDouble;
  let logged: { message: string; details?: Record<string, unknown> }[];

  function setUp(pool: UserPoolType | undefined, options: UserPoolDoubleOptions = {}) {
    double = new UserPoolDouble(pool, { mfa: describedMfaSettings(), ...options });
    logged = [];
    return createPoolTriggerAttachment({
      cognito: new CognitoIdentityProviderClient({ region: 'eu-west-1' }),
      log: (message, details) => logged.push({ message, details }),
    });
  }

  afterEach(() => double.restore());

  describe('create', () => {
    test('when the pool has no PostConfirmation trigger, then every setting is written back with the producer attached', async () => {
      const original = describedUserPool();
      const attachment = setUp(original);

      const response = await attachment.onEvent(createEvent(properties()));

      expect(double.updates).toHaveLength(1);
      expect(settingsOf(double.pool)).toStrictEqual(
        settingsOf(withTrigger(original, PRODUCER_ARN)),
      );
      expect(response.PhysicalResourceId).toBe(`${POOL_ID}/PostConfirmation/previous=none`);
    });

    test('when another function is attached and replacing is not allowed, then it refuses, naming the function and the setting, and changes nothing', async () => {
      const original = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });
      const attachment = setUp(original);

      const attempt = attachment.onEvent(createEvent(properties()));

      await expect(attempt).rejects.toThrow(TriggerConflictError);
      await expect(attempt).rejects.toThrow(TEAM_POST_CONFIRMATION_ARN);
      await expect(attempt).rejects.toThrow('replaceExistingTrigger=true');
      expect(double.updates).toHaveLength(0);
      expect(double.pool).toStrictEqual(original);
    });

    test('when another function is attached and replacing is allowed, then the producer replaces it and the replaced one is recorded', async () => {
      const original = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });
      const attachment = setUp(original);

      const response = await attachment.onEvent(
        createEvent(properties({ ReplaceExistingTrigger: 'true' })),
      );

      expect(settingsOf(double.pool)).toStrictEqual(
        settingsOf(withTrigger(original, PRODUCER_ARN)),
      );
      expect(response.PhysicalResourceId).toBe(
        `${POOL_ID}/PostConfirmation/previous=${TEAM_POST_CONFIRMATION_ARN}`,
      );
    });

    test('when the pool already calls the producer, then nothing is written and no earlier trigger is recorded', async () => {
      const attachment = setUp(describedUserPool({ postConfirmation: PRODUCER_ARN }));

      const response = await attachment.onEvent(createEvent(properties()));

      expect(double.updates).toHaveLength(0);
      expect(response.PhysicalResourceId).toBe(`${POOL_ID}/PostConfirmation/previous=none`);
    });

    test('when the pool does not exist, then it fails saying so', async () => {
      const attachment = setUp(undefined);

      await expect(attachment.onEvent(createEvent(properties()))).rejects.toThrow(
        `User pool ${POOL_ID} does not exist`,
      );
    });

    test('when the pool sends SMS through a role the function may not pass, then it refuses, naming the role, and changes nothing', async () => {
      const attachment = setUp(describedUserPool());

      const attempt = attachment.onEvent(
        createEvent(properties({ SmsRoleArns: [SMS_ROLE_ARNS[0]] })),
      );

      await expect(attempt).rejects.toThrow(SmsRoleNotPassableError);
      await expect(attempt).rejects.toThrow(SMS_ROLE_ARNS[1]);
      expect(double.updates).toHaveLength(0);
    });

    test('when a property is malformed, then it fails naming the property', async () => {
      const attachment = setUp(describedUserPool());

      const attempt = attachment.onEvent(
        createEvent(properties({ TriggerFunctionArn: 'producer' })),
      );

      await expect(attempt).rejects.toThrow(PoolTriggerError);
      await expect(attempt).rejects.toThrow(/TriggerFunctionArn: must be a Lambda ARN/);
    });
  });

  describe('MFA settings, which belong to SetUserPoolMfaConfig', () => {
    test('when UpdateUserPool leaves them alone, then they are not written', async () => {
      const attachment = setUp(describedUserPool());

      await attachment.onEvent(createEvent(properties()));

      expect(double.mfaWrites).toHaveLength(0);
      expect(double.mfa).toStrictEqual(describedMfaSettings());
    });

    test('when UpdateUserPool turns TOTP off, then the earlier MFA settings are written back', async () => {
      const attachment = setUp(describedUserPool(), { updateResetsTotp: true });

      await attachment.onEvent(createEvent(properties()));

      expect(double.mfaWrites).toStrictEqual([{ UserPoolId: POOL_ID, ...describedMfaSettings() }]);
      expect(double.mfa).toStrictEqual(describedMfaSettings());
      expect(logged.map((entry) => entry.message)).toContain(
        'UpdateUserPool changed the MFA settings; the earlier ones were written back',
      );
    });
  });

  describe('update', () => {
    test('when the trigger is re-pointed to a new version, then the pool calls it and the originally recorded trigger stays the one to restore', async () => {
      const original = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });
      const attachment = setUp(original);
      const created = await attachment.onEvent(
        createEvent(properties({ ReplaceExistingTrigger: 'true' })),
      );

      const updated = await attachment.onEvent(
        updateEvent(
          created.PhysicalResourceId,
          properties({ TriggerFunctionArn: PRODUCER_V2_ARN }),
          properties({ ReplaceExistingTrigger: 'true' }),
        ),
      );

      expect(settingsOf(double.pool)).toStrictEqual(
        settingsOf(withTrigger(original, PRODUCER_V2_ARN)),
      );
      expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
    });

    test('when the pool ID changes, then the new pool gets the trigger under a new physical ID, which makes CloudFormation delete the old one', async () => {
      const otherPool = { ...describedUserPool(), Id: OTHER_POOL_ID };
      const attachment = setUp(otherPool);

      const updated = await attachment.onEvent(
        updateEvent(
          `${POOL_ID}/PostConfirmation/previous=none`,
          properties({ UserPoolId: OTHER_POOL_ID }),
          properties(),
        ),
      );

      expect(settingsOf(double.pool)).toStrictEqual(
        settingsOf(withTrigger(otherPool, PRODUCER_ARN)),
      );
      expect(updated.PhysicalResourceId).toBe(`${OTHER_POOL_ID}/PostConfirmation/previous=none`);
    });

    test('when someone attached another function since and replacing is not allowed, then the update refuses', async () => {
      const attachment = setUp(describedUserPool({ postConfirmation: SOMEONE_ELSES_ARN }));

      await expect(
        attachment.onEvent(
          updateEvent(
            `${POOL_ID}/PostConfirmation/previous=none`,
            properties({ TriggerFunctionArn: PRODUCER_V2_ARN }),
            properties(),
          ),
        ),
      ).rejects.toThrow(TriggerConflictError);
      expect(double.updates).toHaveLength(0);
    });
  });

  describe('delete', () => {
    test('when the pool had no trigger before, then the key is removed and the settings of today are written back', async () => {
      const original = describedUserPool();
      const attachment = setUp(original);
      const created = await attachment.onEvent(createEvent(properties()));
      // Someone changes the pool between deploy and delete: the delete must keep that change.
      double.pool = { ...double.pool, UserPoolTags: { team: 'identity', reviewed: '2026-11' } };

      await attachment.onEvent(deleteEvent(created.PhysicalResourceId, properties()));

      expect(double.pool?.LambdaConfig).toStrictEqual(OTHER_TRIGGERS);
      expect(settingsOf(double.pool)).toStrictEqual(
        settingsOf({ ...original, UserPoolTags: { team: 'identity', reviewed: '2026-11' } }),
      );
    });

    test('when the producer had replaced a function, then that function is the trigger again', async () => {
      const original = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });
      const attachment = setUp(original);
      const created = await attachment.onEvent(
        createEvent(properties({ ReplaceExistingTrigger: 'true' })),
      );

      await attachment.onEvent(
        deleteEvent(created.PhysicalResourceId, properties({ ReplaceExistingTrigger: 'true' })),
      );

      expect(settingsOf(double.pool)).toStrictEqual(settingsOf(original));
    });

    test('when the trigger was re-pointed to a new version, then the delete still recognises it as the producer and restores', async () => {
      const original = describedUserPool();
      const attachment = setUp(original);
      const created = await attachment.onEvent(createEvent(properties()));
      await attachment.onEvent(
        updateEvent(
          created.PhysicalResourceId,
          properties({ TriggerFunctionArn: PRODUCER_V2_ARN }),
          properties(),
        ),
      );

      await attachment.onEvent(
        deleteEvent(
          created.PhysicalResourceId,
          properties({ TriggerFunctionArn: PRODUCER_V2_ARN }),
        ),
      );

      expect(settingsOf(double.pool)).toStrictEqual(settingsOf(original));
    });

    test('when the pool is gone, then the delete succeeds without writing', async () => {
      const attachment = setUp(describedUserPool());
      const created = await attachment.onEvent(createEvent(properties()));
      double.pool = undefined;
      const writes = double.updates.length;

      await expect(
        attachment.onEvent(deleteEvent(created.PhysicalResourceId, properties())),
      ).resolves.toStrictEqual({ PhysicalResourceId: created.PhysicalResourceId });
      expect(double.updates).toHaveLength(writes);
      expect(logged.map((entry) => entry.message)).toContain(
        'the user pool is gone; nothing to restore',
      );
    });

    test('when someone pointed the trigger elsewhere since, then theirs is left in place', async () => {
      const attachment = setUp(describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN }));
      const created = await attachment.onEvent(
        createEvent(properties({ ReplaceExistingTrigger: 'true' })),
      );
      double.pool = {
        ...double.pool,
        LambdaConfig: { ...double.pool?.LambdaConfig, PostConfirmation: SOMEONE_ELSES_ARN },
      };
      const writes = double.updates.length;

      await attachment.onEvent(deleteEvent(created.PhysicalResourceId, properties()));

      expect(double.pool?.LambdaConfig?.PostConfirmation).toBe(SOMEONE_ELSES_ARN);
      expect(double.updates).toHaveLength(writes);
      expect(logged.at(-1)).toStrictEqual({
        message:
          'the pool’s PostConfirmation trigger is no longer this stack’s; it was left as it is',
        details: {
          userPoolId: POOL_ID,
          attached: SOMEONE_ELSES_ARN,
          notRestored: TEAM_POST_CONFIRMATION_ARN,
        },
      });
    });

    test('when the create had failed (the provider framework’s marker ID), then the delete touches nothing', async () => {
      const attachment = setUp(describedUserPool({ postConfirmation: PRODUCER_ARN }));

      await attachment.onEvent(
        deleteEvent('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', properties()),
      );

      expect(double.updates).toHaveLength(0);
      expect(double.pool?.LambdaConfig?.PostConfirmation).toBe(PRODUCER_ARN);
    });
  });

  test('when a create is followed by a delete, then DescribeUserPool shows the pool exactly as before', async () => {
    const original = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });
    const attachment = setUp(original, { updateResetsTotp: true });

    const created = await attachment.onEvent(
      createEvent(properties({ ReplaceExistingTrigger: 'true' })),
    );
    await attachment.onEvent(
      deleteEvent(created.PhysicalResourceId, properties({ ReplaceExistingTrigger: 'true' })),
    );

    expect(settingsOf(double.pool)).toStrictEqual(settingsOf(original));
    expect(double.mfa).toStrictEqual(describedMfaSettings());
  });
});
