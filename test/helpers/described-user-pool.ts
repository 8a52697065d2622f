import type {
  GetUserPoolMfaConfigCommandOutput,
  LambdaConfigType,
  UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';

/** Every member present: the fixture fails to compile when the SDK adds one it lacks. */
type Complete<T> = { [K in keyof T]-?: NonNullable<T[K]> };

export const POOL_ID = 'eu-west-1_TeamPool42';
export const POOL_ARN = `arn:aws:cognito-idp:eu-west-1:111122223333:userpool/${POOL_ID}`;
const lambdaArn = (name: string): string =>
  `arn:aws:lambda:eu-west-1:111122223333:function:${name}`;

/** The stack's producer, as the construct passes it; and a later version of it. */
export const PRODUCER_ARN = lambdaArn('CognitoUserSync-dev-Producer');
export const PRODUCER_V2_ARN = `${PRODUCER_ARN}:2`;
/** A PostConfirmation function the team attached before this stack. */
export const TEAM_POST_CONFIRMATION_ARN = lambdaArn('team-welcome-mail');
/** The roles the fixture's SMS configuration names (SNS, and AWS End User Messaging SMS). */
export const SMS_ROLE_ARNS = [
  'arn:aws:iam::111122223333:role/team-cognito-sns',
  'arn:aws:iam::111122223333:role/team-cognito-eums',
] as const;

/** Every trigger but PostConfirmation, each set (the custom senders with their KMS key). */
export const OTHER_TRIGGERS = {
  PreSignUp: lambdaArn('team-pre-sign-up'),
  CustomMessage: lambdaArn('team-custom-message'),
  PreAuthentication: lambdaArn('team-pre-authentication'),
  PostAuthentication: lambdaArn('team-post-authentication'),
  DefineAuthChallenge: lambdaArn('team-define-auth-challenge'),
  CreateAuthChallenge: lambdaArn('team-create-auth-challenge'),
  VerifyAuthChallengeResponse: lambdaArn('team-verify-auth-challenge'),
  // The older field and its successor must name the same function.
  PreTokenGeneration: lambdaArn('team-pre-token'),
  PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: lambdaArn('team-pre-token') },
  UserMigration: lambdaArn('team-user-migration'),
  CustomSMSSender: { LambdaVersion: 'V1_0', LambdaArn: lambdaArn('team-sms-sender') },
  CustomEmailSender: { LambdaVersion: 'V1_0', LambdaArn: lambdaArn('team-email-sender') },
  KMSKeyID: 'arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
  InboundFederation: { LambdaVersion: 'V1_0', LambdaArn: lambdaArn('team-inbound-federation') },
} as const satisfies Complete<Omit<LambdaConfigType, 'PostConfirmation'>>;

const verificationMessages = {
  SmsMessage: 'Your Example code is {####}',
  EmailMessage: 'Your Example verification code is {####}.',
  EmailSubject: 'Confirm your Example account',
};

/**
 * DescribeUserPool's UserPool for a pool a team has run for a while: every field the API
 * documents, each with a value other than Cognito's default, including the easily forgotten
 * ones (UserAttributeUpdateSettings, AccountRecoverySetting, UserPoolAddOns, DeletionProtection,
 * the custom senders and their KMS key, VerificationMessageTemplate, AdminCreateUserConfig,
 * EmailConfiguration, SmsConfiguration, UserPoolTags, UserPoolTier). A fresh copy each call.
 */
export function describedUserPool(
  options: { postConfirmation?: string | undefined } = {},
): UserPoolType {
  const pool: Complete<UserPoolType> = {
    Id: POOL_ID,
    Name: 'team-customers',
    Policies: {
      PasswordPolicy: {
        MinimumLength: 14,
        RequireUppercase: true,
        RequireLowercase: false,
        RequireNumbers: true,
        RequireSymbols: false,
        PasswordHistorySize: 5,
        TemporaryPasswordValidityDays: 3,
      },
      SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN'] },
    },
    DeletionProtection: 'ACTIVE',
    LambdaConfig: {
      ...structuredClone(OTHER_TRIGGERS),
      ...(options.postConfirmation === undefined
        ? {}
        : { PostConfirmation: options.postConfirmation }),
    },
    Status: 'Enabled',
    LastModifiedDate: new Date('2026-10-01T08:00:00Z'),
    CreationDate: new Date('2024-03-15T12:30:00Z'),
    SchemaAttributes: [
      {
        Name: 'email',
        AttributeDataType: 'String',
        DeveloperOnlyAttribute: false,
        Mutable: true,
        Required: true,
        StringAttributeConstraints: { MinLength: '0', MaxLength: '2048' },
      },
      {
        Name: 'custom:seats',
        AttributeDataType: 'Number',
        DeveloperOnlyAttribute: false,
        Mutable: true,
        Required: false,
        NumberAttributeConstraints: { MinValue: '1', MaxValue: '500' },
      },
    ],
    AutoVerifiedAttributes: ['email', 'phone_number'],
    AliasAttributes: ['preferred_username'],
    UsernameAttributes: ['email'],
    SmsVerificationMessage: verificationMessages.SmsMessage,
    EmailVerificationMessage: verificationMessages.EmailMessage,
    EmailVerificationSubject: verificationMessages.EmailSubject,
    VerificationMessageTemplate: {
      ...verificationMessages,
      EmailMessageByLink: 'Confirm your Example account: {##Confirm##}',
      EmailSubjectByLink: 'One click to confirm your Example account',
      DefaultEmailOption: 'CONFIRM_WITH_LINK',
    },
    SmsAuthenticationMessage: 'Your Example sign-in code is {####}',
    UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    MfaConfiguration: 'OPTIONAL',
    DeviceConfiguration: {
      ChallengeRequiredOnNewDevice: true,
      DeviceOnlyRememberedOnUserPrompt: true,
    },
    EstimatedNumberOfUsers: 48_213,
    EmailConfiguration: {
      SourceArn: 'arn:aws:ses:eu-west-1:111122223333:identity/example.com',
      ReplyToEmailAddress: 'support@example.com',
      EmailSendingAccount: 'DEVELOPER',
      From: 'Example <no-reply@example.com>',
      ConfigurationSet: 'cognito-mail',
    },
    SmsConfiguration: {
      SnsCallerArn: SMS_ROLE_ARNS[0],
      ExternalId: 'team-sns-external-id',
      SnsRegion: 'eu-west-1',
      EumsSms: {
        CallerArn: SMS_ROLE_ARNS[1],
        ExternalId: 'team-eums-external-id',
        OriginationIdentity: '+15555550100',
        ConfigurationSetName: 'cognito-sms',
        InEntityId: '1101234567890123456',
        InTemplateId: '1107123456789012345',
        Region: 'eu-west-1',
      },
    },
    UserPoolTags: { team: 'identity', 'cost-centre': '4711' },
    SmsConfigurationFailure: 'The account is in the SNS SMS sandbox.',
    EmailConfigurationFailure: 'The SES identity is verified.',
    Domain: 'example-auth',
    CustomDomain: 'auth.example.com',
    AdminCreateUserConfig: {
      AllowAdminCreateUserOnly: true,
      UnusedAccountValidityDays: 3,
      InviteMessageTemplate: {
        SMSMessage: 'Example: {username} / {####}',
        EmailMessage: 'Welcome to Example, {username}. Your temporary password is {####}.',
        EmailSubject: 'Your Example account',
      },
    },
    UserPoolAddOns: {
      AdvancedSecurityMode: 'ENFORCED',
      AdvancedSecurityAdditionalFlows: { CustomAuthMode: 'AUDIT' },
    },
    DcrConfiguration: {
      EnableStatus: 'Enabled',
      OpenDcrEnabled: false,
      AuthenticatedGrantTypes: ['code', 'client_credentials'],
      OpenDcrGrantTypes: ['code'],
      AllowedScopes: ['orders/read'],
    },
    UsernameConfiguration: { CaseSensitive: false },
    Arn: POOL_ARN,
    AccountRecoverySetting: {
      RecoveryMechanisms: [
        { Priority: 1, Name: 'verified_phone_number' },
        { Priority: 2, Name: 'verified_email' },
      ],
    },
    UserPoolTier: 'PLUS',
    KeyConfiguration: {
      KeyType: 'CUSTOMER_MANAGED_KEY',
      KmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0',
    },
    IssuerConfiguration: { Type: 'UPDATED' },
    AcrConfiguration: { Level2: { AcrValue: 'https://example.com/acr/mfa' } },
  };
  return pool;
}

/** GetUserPoolMfaConfig's answer for that pool: TOTP, SMS and email MFA on, passkeys set up. */
export function describedMfaSettings(): Omit<GetUserPoolMfaConfigCommandOutput, '$metadata'> {
  return {
    MfaConfiguration: 'OPTIONAL',
    SmsMfaConfiguration: {
      SmsAuthenticationMessage: 'Your Example sign-in code is {####}',
      SmsConfiguration: {
        SnsCallerArn: SMS_ROLE_ARNS[0],
        ExternalId: 'team-sns-external-id',
        SnsRegion: 'eu-west-1',
      },
    },
    SoftwareTokenMfaConfiguration: { Enabled: true },
    EmailMfaConfiguration: { Message: 'Your Example code is {####}', Subject: 'Example sign-in' },
    WebAuthnConfiguration: {
      RelyingPartyId: 'auth.example.com',
      UserVerification: 'required',
      FactorConfiguration: 'MULTI_FACTOR_WITH_USER_VERIFICATION',
    },
  };
}
