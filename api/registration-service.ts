import type { Registration } from '#contract/registration';
import { EmailConflictError, ServiceUnavailableError } from './errors';
import {
  DatabaseUnreachableError,
  EmailTakenError,
  type UpsertResult,
  type UserRepository,
} from './user-repository';

export interface RegistrationService {
  /** Stores the registration idempotently on `sub`; maps storage failures to AppErrors. */
  register(registration: Registration): Promise<UpsertResult>;
}

export function createRegistrationService(users: UserRepository): RegistrationService {
  return {
    async register(registration) {
      try {
        return await users.upsert(registration);
      } catch (error) {
        if (error instanceof EmailTakenError) throw new EmailConflictError();
        if (error instanceof DatabaseUnreachableError) {
          // Any storage failure is reported as retryable: the request itself was valid, and a
          // sender that retries (queue, consumer) must not dead-letter a good registration.
          throw new ServiceUnavailableError('database unavailable, retry later', error);
        }
        throw error;
      }
    },
  };
}
