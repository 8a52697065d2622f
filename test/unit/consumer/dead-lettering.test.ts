import type { Message } from '@aws-sdk/client-sqs';
import type { DeadLetterDetails, DeadLetterSender } from '../../../consumer/dead-letter';
import { createDeadLettering } from '../../../consumer/dead-lettering';
import type { HandledMessage, ReportBase, RetryCause } from '../../../consumer/handled-message';
import { capturingLogger } from './support/log-lines';

const message: Message = { MessageId: 'm-dl', ReceiptHandle: 'rh-dl', Body: '{}' };
const base: ReportBase = { messageId: 'm-dl', sub: 'sub-dl', receiveCount: 4 };

function deadLetteringWith(send: DeadLetterSender['send']) {
  const { logger, lines } = capturingLogger();
  const sent: Array<[Message, DeadLetterDetails]> = [];
  const retries: Array<[Message, ReportBase, RetryCause]> = [];
  const retryDecision: HandledMessage = {
    kind: 'visibility',
    message,
    report: { ...base, outcome: 'retried' },
    seconds: 60,
  };
  const deadLetter = createDeadLettering({
    deadLetters: {
      send: (copy, details) => {
        sent.push([copy, details]);
        return send(copy, details);
      },
    },
    logger,
    retry: (retried, retriedBase, cause) => {
      retries.push([retried, retriedBase, cause]);
      return retryDecision;
    },
  });
  return { deadLetter, sent, retries, retryDecision, lines };
}

describe('dead-lettering', () => {
  it('when the DLQ takes the copy, then the original is acknowledged with a dead_lettered report', async () => {
    const { deadLetter, sent, retries, lines } = deadLetteringWith(() => Promise.resolve());

    const handled = await deadLetter(message, base, {
      reason: 'invalid_request',
      status: 400,
      detail: 'username: bad',
    });

    expect(sent).toEqual([
      [
        message,
        { reason: 'invalid_request', status: 400, detail: 'username: bad', receiveCount: 4 },
      ],
    ]);
    expect(handled).toEqual({
      kind: 'ack',
      message,
      report: {
        ...base,
        outcome: 'dead_lettered',
        reason: 'invalid_request',
        status: 400,
        detail: 'username: bad',
      },
    });
    expect(retries).toEqual([]);
    expect(lines()).toEqual([]);
  });

  it('when the DLQ refuses the copy, then the original is kept for a retry and the failure is logged', async () => {
    const { deadLetter, retries, retryDecision, lines } = deadLetteringWith(() =>
      Promise.reject(new Error('dlq unavailable')),
    );

    const handled = await deadLetter(message, base, {
      reason: 'invalid_body',
      detail: 'not JSON',
    });

    expect(handled).toBe(retryDecision);
    expect(retries).toEqual([
      [message, base, { reason: 'dead_letter_send_failed', detail: 'not JSON' }],
    ]);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'sending to the dead-letter queue failed',
        messageId: 'm-dl',
        sub: 'sub-dl',
        err: expect.objectContaining({ type: 'Error', message: 'dlq unavailable' }),
      }),
    ]);
  });

  it('when the send rejects with something other than an Error, then the log still carries it as an error', async () => {
    const { deadLetter, lines } = deadLetteringWith(() => Promise.reject('throttled'));

    await deadLetter(message, base, { reason: 'invalid_body', detail: 'x' });

    expect(lines()).toEqual([
      expect.objectContaining({
        err: expect.objectContaining({ type: 'Error', message: 'throttled' }),
      }),
    ]);
  });
});
