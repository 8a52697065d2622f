import { describeError } from './describe-error';
import type { HeaderSecretSource } from './header-secret-source';
import { postJson, RequestTimeoutError } from './json-post';
import type { Registration } from './registration';
import type { StoredUser } from './user';

/** Why a delivery may succeed later: the message stays queued (or goes to the queue). */
export type RetryableReason =
  'timeout' | 'network' | 'server_error' | 'throttled' | 'forbidden' | 'unexpected_status';
/** Why a delivery can never succeed as sent: the message is dead-lettered at once. */
export type PermanentReason = 'invalid_request' | 'email_conflict' | 'rejected';

export type DeliveryResult =
  | { outcome: 'delivered'; status: number; created: boolean; user: StoredUser }
  | { outcome: 'retryable'; reason: RetryableReason; status?: number; detail: string }
  | { outcome: 'permanent'; reason: PermanentReason; status: number; detail: string };

export type StatusClass =
  | { outcome: 'delivered' }
  | { outcome: 'retryable'; reason: RetryableReason }
  | { outcome: 'permanent'; reason: PermanentReason };

/**
 * The one place that decides what a response status means for delivery. 400/409 (and the other
 * "this message is wrong" answers 413/415/422) are permanent; 403 is retryable because a header
 * rotation in progress heals by itself; anything else unexpected (404, 3xx: a misrouted request)
 * is retried rather than dead-lettered, since the message itself is not at fault.
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  if (status === 409) return { outcome: 'permanent', reason: 'email_conflict' };
  if (status === 400 || status === 422) return { outcome: 'permanent', reason: 'invalid_request' };
  if (status === 413 || status === 415) return { outcome: 'permanent', reason: 'rejected' };
  if (status === 403) return { outcome: 'retryable', reason: 'forbidden' };
  if (status === 429) return { outcome: 'retryable', reason: 'throttled' };
  if (status >= 500) return { outcome: 'retryable', reason: 'server_error' };
  return { outcome: 'retryable', reason: 'unexpected_status' };
}

export interface RegistrationClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  headerName: string;
  headerSecrets: HeaderSecretSource;
}

export interface DeliverOptions {
  /** Upper bound for the whole attempt, connection to last byte. */
  timeoutMs: number;
  /** Sent as `x-request-id` so API logs can be joined with the sender's. */
  requestId?: string;
  signal?: AbortSignal;
}

export interface RegistrationClient {
  deliver(registration: Registration, options: DeliverOptions): Promise<DeliveryResult>;
}

/** Reads an error body's message without trusting its shape. */
const errorMessageOf = (body: unknown): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
};

/**
 * The API client shared by the producer and the consumer: POSTs a registration to `/user` with
 * the header, bounded by a deadline, and classifies the result. Never throws for delivery
 * problems; only a failure to read the header secret propagates.
 */
export function createRegistrationClient(options: RegistrationClientOptions): RegistrationClient {
  const endpoint = new URL('/user', options.apiUrl);

  return {
    async deliver(registration, { timeoutMs, requestId, signal }) {
      const headerValue = await options.headerSecrets.currentValue();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [options.headerName]: headerValue,
      };
      if (requestId !== undefined) headers['x-request-id'] = requestId;
      try {
        const response = await postJson(endpoint, headers, JSON.stringify(registration), {
          timeoutMs,
          ...(signal ? { signal } : {}),
        });
        const text = response.text;
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = undefined;
        }
        const status = response.status;
        const verdict = classifyStatus(status);
        if (verdict.outcome === 'delivered') {
          return {
            outcome: 'delivered',
            status,
            created: status === 201,
            user: body as StoredUser,
          };
        }
        const detail = errorMessageOf(body) ?? `HTTP ${status}`;
        if (verdict.outcome === 'permanent') {
          return { outcome: 'permanent', reason: verdict.reason, status, detail };
        }
        if (verdict.reason === 'forbidden')
          await options.headerSecrets.refresh().catch(() => false);
        return { outcome: 'retryable', reason: verdict.reason, status, detail };
      } catch (error) {
        const timedOut = error instanceof RequestTimeoutError;
        return timedOut
          ? { outcome: 'retryable', reason: 'timeout', detail: `no answer within ${timeoutMs} ms` }
          : { outcome: 'retryable', reason: 'network', detail: describeError(error) };
      }
    },
  };
}
