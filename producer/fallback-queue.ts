import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { registrationJson, type Registration } from '#contract/registration';

/** Why a registration went to the queue instead of (or after) the API. */
export interface FallbackDetails {
  /** The delivery result's reason (`timeout`, `server_error`, ...) or why the API was skipped. */
  reason: string;
  /** When the API attempt started (or was skipped), as an ISO-8601 time. */
  attemptedAt: string;
  /** The API's status code, when it answered. */
  status?: number;
}

export interface FallbackQueue {
  /**
   * Sends the registration as the message body; the details travel as message attributes so
   * the consumer and operators can see why it was queued without parsing the body.
   * Rejects when SQS does not accept it within `timeoutMs`.
   */
  enqueue(
    registration: Registration,
    details: FallbackDetails,
    options: { timeoutMs: number },
  ): Promise<{ messageId: string | undefined }>;
}

export interface FallbackQueueOptions {
  sqs: SQSClient;
  registrationQueueUrl: string;
}

export function createFallbackQueue({
  sqs,
  registrationQueueUrl,
}: FallbackQueueOptions): FallbackQueue {
  return {
    async enqueue(registration, details, { timeoutMs }) {
      const attributes: NonNullable<SendMessageCommand['input']['MessageAttributes']> = {
        reason: { DataType: 'String', StringValue: details.reason },
        attemptedAt: { DataType: 'String', StringValue: details.attemptedAt },
        firstSource: { DataType: 'String', StringValue: registration.source },
      };
      if (details.status !== undefined) {
        attributes['status'] = { DataType: 'Number', StringValue: String(details.status) };
      }
      const output = await sqs.send(
        new SendMessageCommand({
          QueueUrl: registrationQueueUrl,
          MessageBody: registrationJson(registration),
          MessageAttributes: attributes,
        }),
        // The SDK's own retries (maxAttempts on the client) all happen inside this bound.
        { abortSignal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))) },
      );
      return { messageId: output.MessageId };
    },
  };
}
