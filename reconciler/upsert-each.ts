import type { UserRepository } from '../api/user-repository';
import type { StoredChange, UpsertMany } from './mirror-store';

/**
 * The reconciler's writes, through the API's one upsert statement, a few at a time. Only users
 * the classification found missing or changed get here (a few percent of a pool on a normal
 * day), so one statement per user costs little, and it keeps every rule about stale states and
 * deleted marks in that one statement.
 */
export function upsertEach(users: UserRepository, concurrency = 4): UpsertMany {
  return async (registrations) => {
    const results: { sub: string; change: StoredChange }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let index = next++; index < registrations.length; index = next++) {
        const registration = registrations[index];
        if (registration === undefined) continue;
        const { change } = await users.upsert(registration);
        results.push({ sub: registration.sub, change });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, registrations.length) }, worker));
    return results;
  };
}
