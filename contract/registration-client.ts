import type { HeaderSecretSource } from './header-secret-source';
import { postJson, RequestTimeoutError, type AgentFor } from './json-post';
import type { Registration } from './registration';
import {
  registrationChanges,
  type RegistrationChange,
  type RegistrationResponse,
  type StoredUser,
} from './user';

/**
 * Why a delivery may succeed later: the message stays queued (or goes to the queue).
 * `unavailable` (502/503/504), `timeout` and `network` say the API itself is down; `server_error`
 * (500 and the other 5xx) is a defect that one message met (see `apiLooksDown`).
 */
export type RetryableReason =
  | 'timeout'
  | 'network'
  | 'unavailable'
  | 'server_error'
  | 'throttled'
  | 'forbidden'
  | 'unexpected_status';
/** Why a delivery can never succeed as sent: the message is dead-lettered at once. */
export type PermanentReason = 'invalid_request' | 'rejected';

export type DeliveryResult =
  | {
      outcome: 'delivered';
      status: number;
      created: boolean;
      /** What the registration did to the mirror; `stale` means a newer state was already stored. */
      change: RegistrationChange;
      /** The stored user as the API answered it (absent if the answer had no readable body). */
      user?: StoredUser;
    }
  | { outcome: 'retryable'; reason: RetryableReason; status?: number; detail: string }
  | { outcome: 'permanent'; reason: PermanentReason; status: number; detail: string };

export type StatusClass =
  | { outcome: 'delivered' }
  | { outcome: 'retryable'; reason: RetryableReason }
  | { outcome: 'permanent'; reason: PermanentReason };

/**
 * The one place that decides what a response status means for delivery. 400 (and the other
 * "this message is wrong" answers 413/415/422) are permanent; 403 is retryable because a header
 * rotation in progress heals by itself; anything else unexpected (404, 3xx: a misrouted request)
 * is retried rather than dead-lettered, since the message itself is not at fault.
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  if (status === 400 || status === 422) return { outcome: 'permanent', reason: 'invalid_request' };
  if (status === 413 || status === 415) return { outcome: 'permanent', reason: 'rejected' };
  if (status === 403) return { outcome: 'retryable', reason: 'forbidden' };
  if (status === 429) return { outcome: 'retryable', reason: 'throttled' };
  // The API's own 503, or a proxy/load balancer in front of it with no healthy API behind it.
  if (status === 502 || status === 503 || status === 504) {
    return { outcome: 'retryable', reason: 'unavailable' };
  }
  if (status >= 500) return { outcome: 'retryable', reason: 'server_error' };
  return { outcome: 'retryable', reason: 'unexpected_status' };
}

/** The retryable reasons that mean "no API to talk to" rather than "this message failed". */
const API_DOWN_REASONS: ReadonlySet<RetryableReason> = new Set<RetryableReason>([
  'timeout',
  'network',
  'unavailable',
]);

/**
 * True when a delivery failed because the API itself is down (no answer in time, no connection,
 * or 502/503/504), so every other delivery would fail alike and a sender should wait for the API
 * rather than spend retries. A 500 is not: it is a defect of this request, retried on its own.
 */
export function apiLooksDown(result: DeliveryResult): boolean {
  return result.outcome === 'retryable' && API_DOWN_REASONS.has(result.reason);
}

export interface RegistrationClientOptions {
  /** Base URL of the API, e.g. `https://api.example.com` (`http://127.0.0.1:3000` locally). */
  apiUrl: string;
  headerName: string;
  headerSecrets: HeaderSecretSource;
  /** Connection pools; `agentsTrusting(ca)` for an API behind a private CA. @default public roots */
  agentFor?: AgentFor;
}

export interface DeliverOptions {
  /** Upper bound for the whole attempt, connection to last byte. */
  timeoutMs: number;
  /** Sent as `x-request-id` so API logs can be joined with the sender's. */
  requestId?: string;
}

export interface RegistrationClient {
  deliver(registration: Registration, options: DeliverOptions): Promise<DeliveryResult>;
}

const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
};

/** Reads an error body's message without trusting its shape. */
const errorMessageOf = (body: unknown): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
};

/**
 * Reads a 2xx answer without trusting its shape: a 2xx means stored whatever the body says, so an
 * unreadable body must not turn a delivery into a failure.
 */
function successBodyOf(
  body: unknown,
  status: number,
): { change: RegistrationChange; user?: StoredUser } {
  const answer = (
    typeof body === 'object' && body !== null ? body : {}
  ) as Partial<RegistrationResponse>;
  const change =
    answer.change !== undefined && registrationChanges.includes(answer.change)
      ? answer.change
      : status === 201
        ? 'created'
        : 'unchanged';
  return { change, ...(answer.user ? { user: answer.user } : {}) };
}

/**
 * The API client shared by the producer and the consumer: POSTs a registration to `/user` with
 * the header, bounded by a deadline, and classifies the result. Never throws for delivery
 * problems; only a failure to read the header secret propagates.
 */
export function createRegistrationClient(options: RegistrationClientOptions): RegistrationClient {
  const endpoint = new URL('/user', options.apiUrl);

  return {
    async deliver(registration, { timeoutMs, requestId }) {
      const headerValue = await options.headerSecrets.currentValue();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [options.headerName]: headerValue,
      };
      if (requestId !== undefined) headers['x-request-id'] = requestId;
      try {
        const response = await postJson(endpoint, headers, JSON.stringify(registration), {
          timeoutMs,
          ...(options.agentFor ? { agentFor: options.agentFor } : {}),
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
          const { change, user } = successBodyOf(body, status);
          return {
            outcome: 'delivered',
            status,
            created: status === 201,
            change,
            ...(user ? { user } : {}),
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
