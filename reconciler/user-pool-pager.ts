import {
  ListUsersCommand,
  TooManyRequestsException,
  type CognitoIdentityProviderClient,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { systemClock, type Clock } from './clock';
import { IncompleteScanError } from './errors';

/** ListUsers returns at most 60 users a call (its `Limit` is 0–60). */
export const LIST_USERS_MAX_PAGE_SIZE = 60;

export interface UserPoolPagerOptions {
  readonly client: Pick<CognitoIdentityProviderClient, 'send'>;
  readonly userPoolId: string;
  /** Upper bound on ListUsers calls per second, retries included. */
  readonly requestsPerSecond: number;
  /** Retries of one page after a throttle or a transient error, before the scan gives up. */
  readonly maxRetries: number;
  /** First backoff ceiling; it doubles per retry of the same page up to `maxBackoffMs`. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Aborting ends the scan before the next call (or during a wait) as `stopped`. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Uniform in [0, 1), for the jitter. @default Math.random */
  readonly random?: () => number;
  /** Told about every retry, e.g. to log it. */
  readonly onRetry?: (retry: { attempt: number; delayMs: number; error: unknown }) => void;
}

const isThrottle = (error: unknown): boolean =>
  error instanceof TooManyRequestsException ||
  (error instanceof Error && error.name === 'TooManyRequestsException');

/** Worth another try: Cognito's own faults, 5xx answers, and network errors without an answer. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'InternalErrorException') return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  // No HTTP answer at all: refused, reset or timed-out connections.
  return ['TimeoutError', 'AbortError'].includes(error.name) || 'code' in error;
}

/**
 * Pages through every user of the pool with ListUsers, 60 at a time, yielding each page as it
 * arrives so that neither side ever holds the whole pool. Calls are spaced to stay under
 * `requestsPerSecond` (the account-wide UserList quota is shared with everything else that lists
 * users), a throttle or transient error is retried with exponential backoff and full jitter, and
 * a scan that cannot finish throws IncompleteScanError: `throttled` or `failed` once a page has
 * used up its retries (or at once for a permanent error such as a wrong pool id), `stopped` when
 * the signal aborts.
 */
export async function* listPoolUsers(options: UserPoolPagerOptions): AsyncGenerator<UserType[]> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const baseBackoffMs = options.baseBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 20_000;
  const spacingMs = 1000 / options.requestsPerSecond;
  const { signal } = options;
  let nextCallAt = clock.now();
  let paginationToken: string | undefined;

  const wait = async (ms: number): Promise<void> => {
    if (ms <= 0) return;
    try {
      await clock.sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw new IncompleteScanError('stopped', 'the scan was stopped');
      throw error;
    }
  };

  do {
    for (let attempt = 0; ; attempt += 1) {
      if (signal?.aborted) throw new IncompleteScanError('stopped', 'the scan was stopped');
      await wait(nextCallAt - clock.now());
      nextCallAt = Math.max(nextCallAt, clock.now()) + spacingMs;
      let page;
      try {
        page = await options.client.send(
          new ListUsersCommand({
            UserPoolId: options.userPoolId,
            Limit: LIST_USERS_MAX_PAGE_SIZE,
            PaginationToken: paginationToken,
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (error) {
        if (signal?.aborted) {
          throw new IncompleteScanError('stopped', 'the scan was stopped', { cause: error });
        }
        const throttled = isThrottle(error);
        if (!throttled && !isTransient(error)) {
          throw new IncompleteScanError('failed', `ListUsers failed: ${describe(error)}`, {
            cause: error,
          });
        }
        if (attempt >= options.maxRetries) {
          throw new IncompleteScanError(
            throttled ? 'throttled' : 'failed',
            `ListUsers ${throttled ? 'still throttled' : 'still failing'} after ${attempt} retries: ${describe(error)}`,
            { cause: error },
          );
        }
        const ceiling = Math.min(maxBackoffMs, baseBackoffMs * 2 ** attempt);
        const delayMs = Math.round(random() * ceiling);
        options.onRetry?.({ attempt: attempt + 1, delayMs, error });
        nextCallAt = Math.max(nextCallAt, clock.now() + delayMs);
        continue;
      }
      yield page.Users ?? [];
      paginationToken = page.PaginationToken;
      break;
    }
  } while (paginationToken);
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
