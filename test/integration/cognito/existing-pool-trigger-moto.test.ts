/**
 * A second opinion on the trigger attachment, from moto_server's Cognito: a pool created with
 * many settings through the real SDK, the handler's create and delete run against it, and
 * DescribeUserPool compared before and after. moto's UpdateUserPool resets what a request
 * leaves out, as Cognito does, so a dropped setting shows here as it would in AWS.
 *
 * What moto (5.2, on botocore 1.43) cannot round-trip, so this test cannot vouch for it (the
 * unit tests against the Cognito double do): DcrConfiguration, KeyConfiguration,
 * IssuerConfiguration, AcrConfiguration and SmsConfiguration.EumsSms are missing from its
 * answers; GetUserPoolMfaConfig holds only the SMS and TOTP settings (no email MFA, no
 * passkeys). Two moto quirks shape the pool created here: its UpdateUserPool also forgets
 * UsernameAttributes (fixed at creation in Cognito, and not an UpdateUserPool parameter), so
 * the pool signs in by username; and it does not derive the deprecated
 * AdminCreateUserConfig.UnusedAccountValidityDays from the password policy, so the pool is
 * created without it.
 */
import {
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  SetUserPoolMfaConfigCommand,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoClient } from '../../../pool-trigger/cognito-client';
import { createPoolTriggerAttachment } from '../../../pool-trigger/pool-trigger-attachment';
import {
  createEvent,
  deleteEvent,
  poolTriggerProperties,
} from '../../helpers/custom-resource-events';
import {
  describedUserPool,
  PRODUCER_ARN,
  SMS_ROLE_ARNS,
  TEAM_POST_CONFIRMATION_ARN,
} from '../../helpers/described-user-pool';
import { motoServerExecutable, startMotoServer, type MotoServer } from '../../helpers/moto-server';

const executable = motoServerExecutable();
// moto_server is a Python tool that `npm ci` does not install: without it, this file is
// reported as skipped, and says why, rather than failing.
const SKIP_REASON =
  'moto_server is not on PATH (pip install "moto[server]" to run this second opinion)';
if (executable === undefined) console.warn(`existing-pool-trigger-moto: skipped: ${SKIP_REASON}`);
const describeWithMoto = executable === undefined ? describe.skip : describe;

/** CreateUserPool for the fixture's pool: its settings, as a team would have set them. */
function createInput(name: string): CreateUserPoolCommandInput {
  const pool = describedUserPool({ postConfirmation: TEAM_POST_CONFIRMATION_ARN });
  const { UnusedAccountValidityDays: _deprecated, ...adminCreateUserConfig } =
    pool.AdminCreateUserConfig ?? {};
  return {
    PoolName: name,
    Policies: pool.Policies,
    DeletionProtection: pool.DeletionProtection,
    LambdaConfig: pool.LambdaConfig,
    AutoVerifiedAttributes: pool.AutoVerifiedAttributes,
    VerificationMessageTemplate: pool.VerificationMessageTemplate,
    SmsAuthenticationMessage: pool.SmsAuthenticationMessage,
    UserAttributeUpdateSettings: pool.UserAttributeUpdateSettings,
    MfaConfiguration: pool.MfaConfiguration,
    DeviceConfiguration: pool.DeviceConfiguration,
    EmailConfiguration: pool.EmailConfiguration,
    SmsConfiguration: pool.SmsConfiguration,
    UserPoolTags: pool.UserPoolTags,
    AdminCreateUserConfig: adminCreateUserConfig,
    UserPoolAddOns: pool.UserPoolAddOns,
    AccountRecoverySetting: pool.AccountRecoverySetting,
    UserPoolTier: pool.UserPoolTier,
    DcrConfiguration: pool.DcrConfiguration,
    KeyConfiguration: pool.KeyConfiguration,
    IssuerConfiguration: pool.IssuerConfiguration,
    AcrConfiguration: pool.AcrConfiguration,
    Schema: [
      {
        Name: 'seats',
        AttributeDataType: 'Number',
        Mutable: true,
        NumberAttributeConstraints: { MinValue: '1', MaxValue: '500' },
      },
    ],
  };
}

/** The pool as DescribeUserPool shows it, without the date every update moves. */
async function settings(cognito: CognitoIdentityProviderClient, userPoolId: string) {
  const { UserPool } = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
  const { LastModifiedDate: _modified, ...rest } = UserPool ?? {};
  return rest;
}

async function mfaSettings(cognito: CognitoIdentityProviderClient, userPoolId: string) {
  const { $metadata: _metadata, ...rest } = await cognito.send(
    new GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }),
  );
  return rest;
}

describeWithMoto('trigger attachment against moto_server', () => {
  let moto: MotoServer;
  let cognito: CognitoIdentityProviderClient;

  beforeAll(async () => {
    moto = await startMotoServer(executable ?? 'moto_server');
    cognito = createCognitoClient({
      endpoint: moto.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  afterAll(async () => {
    cognito?.destroy();
    await moto?.stop();
  });

  async function createPool(name: string): Promise<string> {
    const { UserPool } = await cognito.send(new CreateUserPoolCommand(createInput(name)));
    const userPoolId = UserPool?.Id ?? '';
    await cognito.send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: userPoolId,
        MfaConfiguration: 'OPTIONAL',
        SoftwareTokenMfaConfiguration: { Enabled: true },
        SmsMfaConfiguration: {
          SmsAuthenticationMessage: 'Your Example sign-in code is {####}',
          SmsConfiguration: { SnsCallerArn: SMS_ROLE_ARNS[0], ExternalId: 'team-sns-external-id' },
        },
      }),
    );
    return userPoolId;
  }

  const attachment = () => createPoolTriggerAttachment({ cognito });
  const propertiesFor = (userPoolId: string) =>
    poolTriggerProperties({
      UserPoolId: userPoolId,
      TriggerFunctionArn: PRODUCER_ARN,
      ReplaceExistingTrigger: 'true',
      SmsRoleArns: [...SMS_ROLE_ARNS],
    });

  test('when the producer replaces the team’s trigger and the stack is then deleted, then DescribeUserPool differs only in PostConfirmation meanwhile, and not at all afterwards', async () => {
    const userPoolId = await createPool('team-customers-round-trip');
    const before = await settings(cognito, userPoolId);
    const mfaBefore = await mfaSettings(cognito, userPoolId);
    // The settings the comparison rests on are really there (moto answered them).
    expect(before).toMatchObject({
      DeletionProtection: 'ACTIVE',
      UserPoolTier: 'PLUS',
      MfaConfiguration: 'OPTIONAL',
      UserPoolTags: { team: 'identity', 'cost-centre': '4711' },
      LambdaConfig: { PostConfirmation: TEAM_POST_CONFIRMATION_ARN },
    } satisfies UserPoolType);

    const created = await attachment().onEvent(createEvent(propertiesFor(userPoolId)));
    const attached = await settings(cognito, userPoolId);
    await attachment().onEvent(deleteEvent(created.PhysicalResourceId, propertiesFor(userPoolId)));
    const restored = await settings(cognito, userPoolId);

    expect(attached).toStrictEqual({
      ...before,
      LambdaConfig: { ...before.LambdaConfig, PostConfirmation: PRODUCER_ARN },
    });
    expect(restored).toStrictEqual(before);
    expect(await mfaSettings(cognito, userPoolId)).toStrictEqual(mfaBefore);
  });

  test('when the pool was deleted before the stack, then the delete succeeds', async () => {
    const userPoolId = await createPool('team-customers-gone');
    const created = await attachment().onEvent(createEvent(propertiesFor(userPoolId)));
    await cognito.send(new DeleteUserPoolCommand({ UserPoolId: userPoolId }));

    await expect(
      attachment().onEvent(deleteEvent(created.PhysicalResourceId, propertiesFor(userPoolId))),
    ).resolves.toStrictEqual({ PhysicalResourceId: created.PhysicalResourceId });
  });
});
