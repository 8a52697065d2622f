import type { Message } from '@aws-sdk/client-sqs';
import type { MessageReport } from './worker-ledger';

/**
 * The decision for one received message: `ack` deletes it (delivered or dead-lettered by us),
 * `visibility` leaves it on the queue, invisible for `seconds` (a retry, or a hand-back).
 */
export type HandledMessage =
  | { kind: 'ack'; message: Message; report: MessageReport }
  | { kind: 'visibility'; message: Message; report: MessageReport; seconds: number };

export type VisibilityChange = Extract<HandledMessage, { kind: 'visibility' }>;

/** The fields of a report known as soon as a message is read. */
export type ReportBase = Pick<MessageReport, 'messageId' | 'sub' | 'receiveCount'>;

/** The failure details a retry carries into its report. */
export type RetryCause = Pick<MessageReport, 'reason' | 'status' | 'detail' | 'defect'>;
