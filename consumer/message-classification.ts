import { parseRegistration, type Registration } from '#contract/registration';
import type { DeliveryResult } from '#contract/registration-client';

/** Why a message is dead-lettered without (or after) asking the API. */
export type DeadLetterReason =
  'invalid_body' | Extract<DeliveryResult, { outcome: 'permanent' }>['reason'];

export type ReadResult =
  { ok: true; registration: Registration } | { ok: false; reason: 'invalid_body'; detail: string };

/**
 * Turns a queue message body into the registration to deliver. Whatever source the sender
 * recorded, a redelivery from the queue is sent as `source: "queue"` so the API can tell the
 * paths apart. A body that is not a registration can never succeed: it is dead-lettered.
 */
export function readRegistration(body: string | undefined): ReadResult {
  if (body === undefined || body === '') {
    return { ok: false, reason: 'invalid_body', detail: 'empty message body' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'invalid_body', detail: 'message body is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'invalid_body', detail: 'message body is not a JSON object' };
  }
  const result = parseRegistration({ ...parsed, source: 'queue' });
  return result.ok
    ? { ok: true, registration: result.registration }
    : { ok: false, reason: 'invalid_body', detail: result.message };
}

/** What the worker does with a message after one delivery attempt. */
export type MessageAction =
  | { action: 'delete' }
  | { action: 'retry'; reason: string; status?: number; detail: string }
  | { action: 'dead-letter'; reason: DeadLetterReason; status?: number; detail: string };

/** Maps the shared client's classification onto queue operations. */
export function actionFor(result: DeliveryResult): MessageAction {
  switch (result.outcome) {
    case 'delivered':
      return { action: 'delete' };
    case 'retryable':
      return {
        action: 'retry',
        reason: result.reason,
        status: result.status,
        detail: result.detail,
      };
    case 'permanent':
      return {
        action: 'dead-letter',
        reason: result.reason,
        status: result.status,
        detail: result.detail,
      };
  }
}
