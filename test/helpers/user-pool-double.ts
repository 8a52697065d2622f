import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  InvalidParameterException,
  ResourceNotFoundException,
  SetUserPoolMfaConfigCommand,
  UpdateUserPoolCommand,
  type GetUserPoolMfaConfigCommandOutput,
  type SetUserPoolMfaConfigCommandInput,
  type UpdateUserPoolCommandInput,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

type MfaSettings = Omit<GetUserPoolMfaConfigCommandOutput, '$metadata'>;

/**
 * What Cognito keeps across an UpdateUserPool whatever the request says. Written out, not taken
 * from DESCRIBE_ONLY_FIELDS in pool-trigger/update-user-pool-input.ts: the double plays Cognito,
 * against which that list is tested, so a field wrongly listed there must not be kept here too.
 */
const KEPT_BY_COGNITO = [
  'Id',
  'Arn',
  'Name',
  'Status',
  'CreationDate',
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

export interface UserPoolDoubleOptions {
  /** GetUserPoolMfaConfig's answer. @default MFA off */
  mfa?: MfaSettings;
  /** Make UpdateUserPool turn TOTP off, to see that the attachment notices and restores it. */
  updateResetsTotp?: boolean;
}

/**
 * Cognito's user-pool configuration calls for one pool, behind aws-sdk-client-mock, with the
 * behaviour the attachment must survive: UpdateUserPool replaces the whole configuration (a
 * setting the request leaves out is gone, as if reset to its default), refuses the documented
 * contradictions, and mirrors the deprecated twins Cognito derives itself. `pool` undefined:
 * the pool does not exist.
 */
export class UserPoolDouble {
  readonly mock: AwsClientStub<CognitoIdentityProviderClient>;
  pool: UserPoolType | undefined;
  mfa: MfaSettings;
  readonly updates: UpdateUserPoolCommandInput[] = [];
  readonly mfaWrites: SetUserPoolMfaConfigCommandInput[] = [];

  constructor(pool: UserPoolType | undefined, options: UserPoolDoubleOptions = {}) {
    this.pool = pool === undefined ? undefined : structuredClone(pool);
    this.mfa = structuredClone(options.mfa ?? { MfaConfiguration: 'OFF' });
    this.mock = mockClient(CognitoIdentityProviderClient);
    const notFound = (userPoolId: string | undefined) =>
      new ResourceNotFoundException({
        message: `User pool ${userPoolId} does not exist.`,
        $metadata: {},
      });
    const existing = (userPoolId: string | undefined): UserPoolType => {
      if (this.pool === undefined || this.pool.Id !== userPoolId) throw notFound(userPoolId);
      return this.pool;
    };

    this.mock.on(DescribeUserPoolCommand).callsFake((input: { UserPoolId?: string }) => ({
      UserPool: structuredClone(existing(input.UserPoolId)),
    }));
    this.mock.on(UpdateUserPoolCommand).callsFake((input: UpdateUserPoolCommandInput) => {
      const before = existing(input.UserPoolId);
      this.updates.push(structuredClone(input));
      this.pool = updated(before, input);
      if (options.updateResetsTotp === true) {
        this.mfa = { ...this.mfa, SoftwareTokenMfaConfiguration: { Enabled: false } };
      }
      return {};
    });
    this.mock.on(GetUserPoolMfaConfigCommand).callsFake((input: { UserPoolId?: string }) => {
      existing(input.UserPoolId);
      return structuredClone(this.mfa);
    });
    this.mock
      .on(SetUserPoolMfaConfigCommand)
      .callsFake((input: SetUserPoolMfaConfigCommandInput) => {
        existing(input.UserPoolId);
        this.mfaWrites.push(structuredClone(input));
        const { UserPoolId: _id, ...settings } = input;
        this.mfa = structuredClone(settings);
        return structuredClone(settings);
      });
  }

  /** Ends the stub; call in afterEach. */
  restore(): void {
    this.mock.restore();
  }
}

function invalid(message: string): InvalidParameterException {
  return new InvalidParameterException({ message, $metadata: {} });
}

/** The pool after `input`, as Cognito applies an UpdateUserPool. */
function updated(before: UserPoolType, input: UpdateUserPoolCommandInput): UserPoolType {
  if (
    input.AdminCreateUserConfig?.UnusedAccountValidityDays !== undefined &&
    input.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays !== undefined
  ) {
    throw invalid(
      'Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays',
    );
  }
  const lambdaConfig = input.LambdaConfig;
  if (
    lambdaConfig?.PreTokenGeneration !== undefined &&
    lambdaConfig.PreTokenGenerationConfig?.LambdaArn !== undefined &&
    lambdaConfig.PreTokenGeneration !== lambdaConfig.PreTokenGenerationConfig.LambdaArn
  ) {
    throw invalid('PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be identical');
  }

  const after: Record<string, unknown> = {};
  for (const field of KEPT_BY_COGNITO) {
    if (before[field] !== undefined) after[field] = structuredClone(before[field]);
  }
  const { UserPoolId: _id, PoolName, ...settings } = structuredClone(input);
  if (PoolName !== undefined) after['Name'] = PoolName;
  Object.assign(after, settings);
  after['LastModifiedDate'] = new Date((before.LastModifiedDate?.getTime() ?? 0) + 60_000);

  const pool = after as UserPoolType;
  // Cognito reports the deprecated twins, derived from their successors.
  const validityDays = pool.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays;
  if (pool.AdminCreateUserConfig !== undefined && validityDays !== undefined) {
    pool.AdminCreateUserConfig.UnusedAccountValidityDays = validityDays;
  }
  const template = pool.VerificationMessageTemplate;
  pool.SmsVerificationMessage ??= template?.SmsMessage;
  pool.EmailVerificationMessage ??= template?.EmailMessage;
  pool.EmailVerificationSubject ??= template?.EmailSubject;
  for (const key of Object.keys(pool) as (keyof UserPoolType)[]) {
    if (pool[key] === undefined) delete pool[key];
  }
  return pool;
}
