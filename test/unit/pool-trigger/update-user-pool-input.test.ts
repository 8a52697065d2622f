import {
  LambdaConfigType$,
  UpdateUserPoolRequest$,
  UserPoolType$,
  type UpdateUserPoolCommandInput,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { UnknownUserPoolFieldError } from '../../../pool-trigger/errors';
import {
  COPIED_FIELDS,
  DESCRIBE_ONLY_FIELDS,
  LAMBDA_CONFIG_FIELDS,
  updateUserPoolInput,
} from '../../../pool-trigger/update-user-pool-input';
import {
  describedUserPool,
  OTHER_TRIGGERS,
  POOL_ID,
  PRODUCER_ARN,
  TEAM_POST_CONFIRMATION_ARN,
} from '../../helpers/described-user-pool';

/** The member names of one of the SDK's static structure schemas: what it (de)serializes. */
const membersOf = (schema: readonly unknown[]): string[] => [...(schema[4] as string[])].sort();

/**
 * What UpdateUserPool must receive for the fixture, written out field by field rather than
 * derived from the module's lists, so that a field dropped from those lists shows up here.
 */
function expectedInput(pool: UserPoolType, postConfirmation: string): UpdateUserPoolCommandInput {
  const { UnusedAccountValidityDays: _derived, ...adminCreateUserConfig } =
    pool.AdminCreateUserConfig ?? {};
  return {
    UserPoolId: pool.Id,
    PoolName: pool.Name,
    Policies: pool.Policies,
    DeletionProtection: pool.DeletionProtection,
    LambdaConfig: { ...pool.LambdaConfig, PostConfirmation: postConfirmation },
    AutoVerifiedAttributes: pool.AutoVerifiedAttributes,
    SmsVerificationMessage: pool.SmsVerificationMessage,
    EmailVerificationMessage: pool.EmailVerificationMessage,
    EmailVerificationSubject: pool.EmailVerificationSubject,
    VerificationMessageTemplate: pool.VerificationMessageTemplate,
    SmsAuthenticationMessage: pool.SmsAuthenticationMessage,
    UserAttributeUpdateSettings: pool.UserAttributeUpdateSettings,
    MfaConfiguration: pool.MfaConfiguration,
    DeviceConfiguration: pool.DeviceConfiguration,
    EmailConfiguration: pool.EmailConfiguration,
    SmsConfiguration: pool.SmsConfiguration,
    UserPoolTags: pool.UserPoolTags,
    // The deprecated twin of Policies.PasswordPolicy.TemporaryPasswordValidityDays is left out.
    AdminCreateUserConfig: adminCreateUserConfig,
    UserPoolAddOns: pool.UserPoolAddOns,
    DcrConfiguration: pool.DcrConfiguration,
    AccountRecoverySetting: pool.AccountRecoverySetting,
    UserPoolTier: pool.UserPoolTier,
    KeyConfiguration: pool.KeyConfiguration,
    IssuerConfiguration: pool.IssuerConfiguration,
    AcrConfiguration: pool.AcrConfiguration,
  };
}

describe('the UpdateUserPool request built from DescribeUserPool', () => {
  test('when the pool has every documented setting, then each is written back unchanged and only PostConfirmation is new', () => {
    const pool = describedUserPool();

    const input = updateUserPoolInput(pool, PRODUCER_ARN);

    expect(input).toStrictEqual(expectedInput(pool, PRODUCER_ARN));
  });

  test('when PostConfirmation is replaced, then every other trigger, the custom senders and their KMS key stay', () => {
    const pool = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });

    const input = updateUserPoolInput(pool, PRODUCER_ARN);

    expect(input.LambdaConfig).toStrictEqual({ ...OTHER_TRIGGERS, PostConfirmation: PRODUCER_ARN });
  });

  test('when PostConfirmation is removed, then the key is gone and the other triggers stay', () => {
    const pool = describedUserPool({ postConfirmation: PRODUCER_ARN });

    const input = updateUserPoolInput(pool, undefined);

    expect(input.LambdaConfig).toStrictEqual(OTHER_TRIGGERS);
    expect(input.LambdaConfig).not.toHaveProperty('PostConfirmation');
  });

  test('when the pool has no trigger at all, then LambdaConfig holds PostConfirmation alone', () => {
    const { LambdaConfig: _none, ...pool } = describedUserPool();

    expect(updateUserPoolInput(pool, PRODUCER_ARN).LambdaConfig).toStrictEqual({
      PostConfirmation: PRODUCER_ARN,
    });
    expect(updateUserPoolInput(pool, undefined).LambdaConfig).toStrictEqual({});
  });

  test('when the password policy has no TemporaryPasswordValidityDays, then UnusedAccountValidityDays is written back', () => {
    const pool = describedUserPool();
    delete pool.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays;

    const input = updateUserPoolInput(pool, PRODUCER_ARN);

    expect(input.AdminCreateUserConfig).toStrictEqual(pool.AdminCreateUserConfig);
    expect(input.AdminCreateUserConfig?.UnusedAccountValidityDays).toBe(3);
  });

  test('when an older verification-message field disagrees with the template, then only the template is written', () => {
    const pool = { ...describedUserPool(), EmailVerificationSubject: 'An older subject' };

    const input = updateUserPoolInput(pool, PRODUCER_ARN);

    expect(input).not.toHaveProperty('EmailVerificationSubject');
    expect(input.VerificationMessageTemplate).toStrictEqual(pool.VerificationMessageTemplate);
    expect(input.EmailVerificationMessage).toBe(pool.EmailVerificationMessage);
    expect(input.SmsVerificationMessage).toBe(pool.SmsVerificationMessage);
  });

  test('when the request is built, then the described pool is not modified', () => {
    const pool = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });
    const copy = structuredClone(pool);

    updateUserPoolInput(pool, PRODUCER_ARN);

    expect(pool).toStrictEqual(copy);
  });

  test('when the answer holds a field the module does not know, then it refuses, naming the field', () => {
    const pool = { ...describedUserPool(), FutureSetting: { Enabled: true } } as UserPoolType;

    expect(() => updateUserPoolInput(pool, PRODUCER_ARN)).toThrow(UnknownUserPoolFieldError);
    expect(() => updateUserPoolInput(pool, PRODUCER_ARN)).toThrow(/FutureSetting/);
  });

  test('when LambdaConfig holds a trigger the module does not know, then it refuses, naming it', () => {
    const pool = describedUserPool();
    pool.LambdaConfig = { ...pool.LambdaConfig, FutureTrigger: 'arn' } as typeof pool.LambdaConfig;

    expect(() => updateUserPoolInput(pool, PRODUCER_ARN)).toThrow(/LambdaConfig\.FutureTrigger/);
  });

  test('the request names the pool by its ID', () => {
    expect(updateUserPoolInput(describedUserPool(), PRODUCER_ARN).UserPoolId).toBe(POOL_ID);
  });
});

describe('the field lists against the bundled SDK (the run-time twin of the compile-time check)', () => {
  test('the copied fields are exactly what UpdateUserPool takes, apart from UserPoolId', () => {
    const updatable = membersOf(UpdateUserPoolRequest$).filter((name) => name !== 'UserPoolId');

    expect(Object.keys(COPIED_FIELDS).sort()).toStrictEqual(updatable);
  });

  test('the copied and describe-only fields are exactly what DescribeUserPool returns, with no overlap', () => {
    const classified = [...Object.values(COPIED_FIELDS), ...DESCRIBE_ONLY_FIELDS];

    expect([...classified].sort()).toStrictEqual(membersOf(UserPoolType$));
    expect(new Set(classified).size).toBe(classified.length);
  });

  test('the trigger list is exactly LambdaConfigType', () => {
    expect([...LAMBDA_CONFIG_FIELDS].sort()).toStrictEqual(membersOf(LambdaConfigType$));
  });

  test('the fixture sets every field DescribeUserPool returns and every trigger', () => {
    const pool = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });

    expect(Object.keys(pool).sort()).toStrictEqual(membersOf(UserPoolType$));
    expect(Object.keys(pool.LambdaConfig ?? {}).sort()).toStrictEqual(membersOf(LambdaConfigType$));
  });
});
