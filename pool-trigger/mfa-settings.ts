import { isDeepStrictEqual } from 'node:util';
import {
  GetUserPoolMfaConfigCommand,
  SetUserPoolMfaConfigCommand,
  type CognitoIdentityProviderClient,
  type GetUserPoolMfaConfigCommandOutput,
  type SetUserPoolMfaConfigCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';

/** The pool's MFA and passkey settings, as GetUserPoolMfaConfig reports them. */
export type MfaSettings = Omit<GetUserPoolMfaConfigCommandOutput, '$metadata'>;

/** The settings SetUserPoolMfaConfig takes, from GetUserPoolMfaConfig's answer. */
const MFA_FIELDS = [
  'MfaConfiguration',
  'SmsMfaConfiguration',
  'SoftwareTokenMfaConfiguration',
  'EmailMfaConfiguration',
  'WebAuthnConfiguration',
] as const satisfies readonly (keyof MfaSettings &
  keyof Omit<SetUserPoolMfaConfigCommandInput, 'UserPoolId'>)[];

export async function readMfaSettings(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
): Promise<MfaSettings> {
  const answer = await cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }));
  const settings: Record<string, unknown> = {};
  for (const field of MFA_FIELDS) {
    if (answer[field] !== undefined) settings[field] = answer[field];
  }
  return settings as MfaSettings;
}

/**
 * TOTP, passkey and email-MFA settings are not UpdateUserPool's: they belong to
 * SetUserPoolMfaConfig, and UpdateUserPool takes only MfaConfiguration itself. No AWS document
 * says whether an UpdateUserPool that writes MfaConfiguration back leaves them alone, so the
 * attachment checks instead of assuming: it reads them before the update, again after it, and
 * when they differ writes the earlier ones back. Returns whether it had to.
 */
export async function restoreMfaSettings(
  cognito: CognitoIdentityProviderClient,
  userPoolId: string,
  before: MfaSettings,
): Promise<boolean> {
  const after = await readMfaSettings(cognito, userPoolId);
  if (isDeepStrictEqual(after, before)) return false;
  const input: SetUserPoolMfaConfigCommandInput = { UserPoolId: userPoolId, ...before };
  // The API refuses an SMS MFA configuration together with MFA turned off.
  if (before.MfaConfiguration === 'OFF') delete input.SmsMfaConfiguration;
  await cognito.send(new SetUserPoolMfaConfigCommand(input));
  return true;
}
