import type {
  DeliveryResult,
  PermanentReason,
  RetryableReason,
} from '#contract/registration-client';

/** A registration client's `deliver` that answers every call with a retryable failure. */
export const answersRetryable =
  (reason: RetryableReason, status: number | undefined, detail: string) =>
  (): Promise<DeliveryResult> =>
    Promise.resolve({ outcome: 'retryable', reason, status, detail });

/** A registration client's `deliver` that answers every call with a permanent refusal. */
export const answersPermanent =
  (reason: PermanentReason, status: number, detail: string) => (): Promise<DeliveryResult> =>
    Promise.resolve({ outcome: 'permanent', reason, status, detail });
