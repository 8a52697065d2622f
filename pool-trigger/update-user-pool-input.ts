import type {
  LambdaConfigType,
  UpdateUserPoolCommandInput,
  UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { UnknownUserPoolFieldError } from './errors';

/** Every setting UpdateUserPool takes, apart from the pool's ID. */
export type UpdatableUserPoolField = Exclude<keyof UpdateUserPoolCommandInput, 'UserPoolId'>;

/**
 * UpdateUserPool resets every setting the call leaves out, so each one it takes is written back.
 * For each of them, the DescribeUserPool field that holds today's value. The `satisfies` makes
 * this fail to compile when the SDK adds a setting to UpdateUserPool and this list lacks it.
 */
export const COPIED_FIELDS = {
  Policies: 'Policies',
  DeletionProtection: 'DeletionProtection',
  LambdaConfig: 'LambdaConfig',
  AutoVerifiedAttributes: 'AutoVerifiedAttributes',
  SmsVerificationMessage: 'SmsVerificationMessage',
  EmailVerificationMessage: 'EmailVerificationMessage',
  EmailVerificationSubject: 'EmailVerificationSubject',
  VerificationMessageTemplate: 'VerificationMessageTemplate',
  SmsAuthenticationMessage: 'SmsAuthenticationMessage',
  UserAttributeUpdateSettings: 'UserAttributeUpdateSettings',
  MfaConfiguration: 'MfaConfiguration',
  DeviceConfiguration: 'DeviceConfiguration',
  EmailConfiguration: 'EmailConfiguration',
  SmsConfiguration: 'SmsConfiguration',
  UserPoolTags: 'UserPoolTags',
  AdminCreateUserConfig: 'AdminCreateUserConfig',
  UserPoolAddOns: 'UserPoolAddOns',
  DcrConfiguration: 'DcrConfiguration',
  AccountRecoverySetting: 'AccountRecoverySetting',
  // The one setting whose name differs between the two calls.
  PoolName: 'Name',
  UserPoolTier: 'UserPoolTier',
  KeyConfiguration: 'KeyConfiguration',
  IssuerConfiguration: 'IssuerConfiguration',
  AcrConfiguration: 'AcrConfiguration',
} as const satisfies Record<UpdatableUserPoolField, keyof UserPoolType>;

/**
 * What DescribeUserPool reports that UpdateUserPool does not take: identity, dates and counters
 * Cognito keeps, settings fixed at creation (schema, sign-in attributes, case sensitivity) and
 * ones changed by other calls (domains). Leaving them out of an update changes nothing.
 */
export const DESCRIBE_ONLY_FIELDS = [
  'Id',
  'Arn',
  'Status',
  'CreationDate',
  'LastModifiedDate',
  'EstimatedNumberOfUsers',
  'SchemaAttributes',
  'AliasAttributes',
  'UsernameAttributes',
  'UsernameConfiguration',
  'SmsConfigurationFailure',
  'EmailConfigurationFailure',
  'Domain',
  'CustomDomain',
] as const satisfies readonly (keyof UserPoolType)[];

/**
 * Every trigger and trigger setting of LambdaConfigType. All of them are kept; only
 * PostConfirmation is ever changed.
 */
export const LAMBDA_CONFIG_FIELDS = [
  'PreSignUp',
  'CustomMessage',
  'PostConfirmation',
  'PreAuthentication',
  'PostAuthentication',
  'DefineAuthChallenge',
  'CreateAuthChallenge',
  'VerifyAuthChallengeResponse',
  'PreTokenGeneration',
  'UserMigration',
  'PreTokenGenerationConfig',
  'CustomSMSSender',
  'CustomEmailSender',
  'KMSKeyID',
  'InboundFederation',
] as const satisfies readonly (keyof LambdaConfigType)[];

// Compile-time checks that the lists above cover the SDK's types exactly: each line fails to
// compile, naming the field, when the SDK gains a field no list knows (or a list names a field
// in the wrong place). The run-time twin is in the unit tests, against the SDK's own schema.
type Classified =
  (typeof COPIED_FIELDS)[UpdatableUserPoolField] | (typeof DESCRIBE_ONLY_FIELDS)[number];
type Unclassified = Exclude<keyof UserPoolType, Classified>;
type DescribeOnlyButUpdatable = Extract<
  (typeof DESCRIBE_ONLY_FIELDS)[number],
  UpdatableUserPoolField
>;
type UnlistedTrigger = Exclude<keyof LambdaConfigType, (typeof LAMBDA_CONFIG_FIELDS)[number]>;
export const FIELD_LISTS_MATCH_THE_SDK: [
  [Unclassified] extends [never] ? true : Unclassified,
  [DescribeOnlyButUpdatable] extends [never] ? true : DescribeOnlyButUpdatable,
  [UnlistedTrigger] extends [never] ? true : UnlistedTrigger,
] = [true, true, true];

const copiedSources: ReadonlySet<string> = new Set(Object.values(COPIED_FIELDS));
const describeOnly: ReadonlySet<string> = new Set(DESCRIBE_ONLY_FIELDS);
const lambdaConfigFields: ReadonlySet<string> = new Set(LAMBDA_CONFIG_FIELDS);

const presentKeys = (value: object): string[] =>
  Object.entries(value)
    .filter(([, fieldValue]) => fieldValue !== undefined)
    .map(([key]) => key);

/**
 * Refuses an answer holding a field this module does not classify. Through the bundled SDK that
 * cannot happen (its deserializer keeps only the members it knows, and the lists are checked
 * against that SDK), so a hit means the lists and the SDK drifted apart: stop rather than
 * update the pool without a setting it has, which would reset it.
 */
function assertEveryFieldKnown(pool: UserPoolType): void {
  const unknownFields = presentKeys(pool).filter(
    (key) => !copiedSources.has(key) && !describeOnly.has(key),
  );
  const unknownTriggers = presentKeys(pool.LambdaConfig ?? {}).filter(
    (key) => !lambdaConfigFields.has(key),
  );
  const unknown = [...unknownFields, ...unknownTriggers.map((key) => `LambdaConfig.${key}`)];
  if (unknown.length > 0) throw new UnknownUserPoolFieldError(unknown);
}

/** LambdaConfig as described, every listed key kept, with PostConfirmation set or removed. */
function lambdaConfigWith(
  described: LambdaConfigType | undefined,
  postConfirmation: string | undefined,
): LambdaConfigType {
  const lambdaConfig: Record<string, unknown> = {};
  for (const key of LAMBDA_CONFIG_FIELDS) {
    const value = described?.[key];
    if (value !== undefined) lambdaConfig[key] = value;
  }
  if (postConfirmation === undefined) delete lambdaConfig['PostConfirmation'];
  else lambdaConfig['PostConfirmation'] = postConfirmation;
  return lambdaConfig as LambdaConfigType;
}

/**
 * AdminCreateUserConfig.UnusedAccountValidityDays is the deprecated twin of
 * Policies.PasswordPolicy.TemporaryPasswordValidityDays. DescribeUserPool reports both, but
 * UpdateUserPool refuses a request carrying both ("Please use TemporaryPasswordValidityDays in
 * PasswordPolicy instead of UnusedAccountValidityDays"), so the deprecated one is left out when
 * its successor is there; Cognito derives it from TemporaryPasswordValidityDays.
 */
function withoutDeprecatedValidityDays(input: UpdateUserPoolCommandInput): void {
  const adminCreateUserConfig = input.AdminCreateUserConfig;
  if (
    adminCreateUserConfig?.UnusedAccountValidityDays === undefined ||
    input.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays === undefined
  ) {
    return;
  }
  const { UnusedAccountValidityDays: _deprecated, ...rest } = adminCreateUserConfig;
  input.AdminCreateUserConfig = rest;
}

/**
 * SmsVerificationMessage, EmailVerificationMessage and EmailVerificationSubject are the older
 * names of VerificationMessageTemplate's SmsMessage, EmailMessage and EmailSubject; the API
 * reference calls them "no longer used". Cognito reports both and they normally agree, so both
 * are written back. Where one disagrees with the template, the template is what Cognito uses:
 * the older field is left out, so that the request does not carry two values for one setting.
 */
function withoutConflictingLegacyMessages(input: UpdateUserPoolCommandInput): void {
  const template = input.VerificationMessageTemplate;
  if (template === undefined) return;
  const pairs = [
    ['SmsVerificationMessage', template.SmsMessage],
    ['EmailVerificationMessage', template.EmailMessage],
    ['EmailVerificationSubject', template.EmailSubject],
  ] as const;
  for (const [legacyField, templateValue] of pairs) {
    if (templateValue !== undefined && input[legacyField] !== templateValue) {
      delete input[legacyField];
    }
  }
}

/**
 * The UpdateUserPool request that leaves `pool` (DescribeUserPool's UserPool) exactly as it is
 * apart from its PostConfirmation trigger, which becomes `postConfirmation` (undefined removes
 * it). Every setting UpdateUserPool takes is written back with the value described, except two
 * documented pairs where the API refuses the redundant twin (see above). Throws
 * UnknownUserPoolFieldError when the answer holds a field this module does not know.
 */
export function updateUserPoolInput(
  pool: UserPoolType,
  postConfirmation: string | undefined,
): UpdateUserPoolCommandInput {
  if (pool.Id === undefined) throw new Error('DescribeUserPool returned a pool without an Id');
  assertEveryFieldKnown(pool);

  const input: Record<string, unknown> = { UserPoolId: pool.Id };
  for (const [updateField, describedField] of Object.entries(COPIED_FIELDS)) {
    const value = pool[describedField];
    if (value !== undefined) input[updateField] = value;
  }
  const request = input as unknown as UpdateUserPoolCommandInput;
  request.LambdaConfig = lambdaConfigWith(pool.LambdaConfig, postConfirmation);
  withoutDeprecatedValidityDays(request);
  withoutConflictingLegacyMessages(request);
  return request;
}
