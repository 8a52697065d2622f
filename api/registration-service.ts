import type { Registration } from '#contract/registration';
import { InternalError, ServiceUnavailableError } from './errors';
import {
  DatabaseUnreachableError,
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
        // Only an outage is retryable (503): senders wait and retry, and nothing is dead-lettered
        // for it. Anything else is a defect and must look like one (500, an error log with the
        // cause), not like an outage that a retry would heal.
        if (error instanceof DatabaseUnreachableError) {
          throw new ServiceUnavailableError('database unavailable, retry later', error);
        }
        throw new InternalError('storing the registration failed', error);
      }
    },
  };
}
