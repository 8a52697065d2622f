import type { UserType } from '@aws-sdk/client-cognito-identity-provider';
import { parseRegistration, type Registration } from '#contract/registration';

/** A registration as the reconciler sends it: always with the state's observation time. */
export type PoolRegistration = Registration & { observedAt: string };

/** What the mirror does with one user of the pool. */
export type PoolUserVerdict =
  | { kind: 'mirror'; registration: PoolRegistration }
  /** In the pool (so never "gone"), but not mirrored; `sub` is absent only for a malformed user. */
  | { kind: 'skip'; reason: 'unconfirmed' | 'invalid'; sub: string | undefined; detail: string };

/**
 * Statuses the mirror does not hold. An UNCONFIRMED user has signed up but never proved the
 * address: the live path registers users on confirmation (PostConfirmation), and abandoned or
 * mistyped sign-ups would otherwise fill the table with accounts that cannot sign in. Once the
 * user confirms, the trigger registers them, and the next run repairs a missed trigger.
 *
 * FORCE_CHANGE_PASSWORD users ARE mirrored: an administrator created them (AdminCreateUser, or
 * an import), they are real accounts that the application may address before their first
 * sign-in, and no trigger will ever register them.
 */
const unmirroredStatuses = new Set(['UNCONFIRMED']);

/**
 * Builds the registration of one ListUsers user by the trigger's rule: `attributes` holds what
 * Cognito holds, each as a string, plus `cognito:user_status` (which the trigger's event carries
 * as an attribute and ListUsers returns as `UserStatus`), so a user registered by either path
 * compares equal. `observedAt` is the user's `UserLastModifiedDate`.
 */
export function poolUserVerdict(user: UserType, userPoolId: string): PoolUserVerdict {
  const attributes: Record<string, string> = {};
  for (const { Name, Value } of user.Attributes ?? []) {
    if (Name !== undefined && Value !== undefined) attributes[Name] = Value;
  }
  if (user.UserStatus !== undefined) attributes['cognito:user_status'] = user.UserStatus;
  const sub = attributes['sub'];
  if (user.UserStatus !== undefined && unmirroredStatuses.has(user.UserStatus)) {
    return { kind: 'skip', reason: 'unconfirmed', sub, detail: `status ${user.UserStatus}` };
  }
  const observed = user.UserLastModifiedDate ?? user.UserCreateDate;
  if (observed === undefined) {
    return { kind: 'skip', reason: 'invalid', sub, detail: 'no UserLastModifiedDate' };
  }
  const parsed = parseRegistration({
    sub,
    email: attributes['email'],
    username: user.Username,
    userPoolId,
    attributes,
    source: 'reconcile',
  });
  if (!parsed.ok) return { kind: 'skip', reason: 'invalid', sub, detail: parsed.message };
  return {
    kind: 'mirror',
    registration: { ...parsed.registration, observedAt: observed.toISOString() },
  };
}
