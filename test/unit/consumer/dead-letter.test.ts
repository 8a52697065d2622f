import type { Message } from '@aws-sdk/client-sqs';
import { deadLetterAttributeNames, deadLetterAttributes } from '../../../consumer/dead-letter';

const message = (attributes: Message['MessageAttributes'] = {}): Message => ({
  MessageId: 'm-1',
  Body: '{}',
  MessageAttributes: attributes,
});

describe('deadLetterAttributes', () => {
  const now = new Date('2026-11-25T12:00:00.000Z');

  it('when a message is dead-lettered, then reason, status, detail, time and origin travel with it', () => {
    const attributes = deadLetterAttributes(
      message(),
      { reason: 'invalid_request', status: 400, detail: 'username: bad', receiveCount: 3 },
      now,
    );

    expect(attributes).toEqual({
      [deadLetterAttributeNames.reason]: { DataType: 'String', StringValue: 'invalid_request' },
      [deadLetterAttributeNames.status]: { DataType: 'Number', StringValue: '400' },
      [deadLetterAttributeNames.detail]: { DataType: 'String', StringValue: 'username: bad' },
      [deadLetterAttributeNames.at]: { DataType: 'String', StringValue: now.toISOString() },
      [deadLetterAttributeNames.receiveCount]: { DataType: 'Number', StringValue: '3' },
      [deadLetterAttributeNames.sourceMessageId]: { DataType: 'String', StringValue: 'm-1' },
    });
  });

  it("when the sender added attributes, then they are kept but never beyond SQS' limit of 10", () => {
    const senderAttributes = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
    );

    const attributes = deadLetterAttributes(
      message(senderAttributes),
      { reason: 'invalid_body', detail: 'x', receiveCount: 1 },
      now,
    );

    expect(Object.keys(attributes)).toHaveLength(10);
    expect(attributes['a0']).toEqual({ DataType: 'String', StringValue: 'v' });
  });

  it('when a redriven message fails again, then the new reason replaces the old one', () => {
    const attributes = deadLetterAttributes(
      message({ [deadLetterAttributeNames.reason]: { DataType: 'String', StringValue: 'old' } }),
      { reason: 'invalid_request', status: 400, detail: 'x', receiveCount: 1 },
      now,
    );

    expect(attributes[deadLetterAttributeNames.reason]?.StringValue).toBe('invalid_request');
  });

  it('when the detail is long or empty, then it is cut to 1 KiB or marked as none', () => {
    const long = deadLetterAttributes(message(), {
      reason: 'invalid_body',
      detail: 'x'.repeat(5000),
      receiveCount: 1,
    });
    const empty = deadLetterAttributes(message(), {
      reason: 'invalid_body',
      detail: '',
      receiveCount: 1,
    });

    expect(long[deadLetterAttributeNames.detail]?.StringValue).toHaveLength(1024);
    expect(empty[deadLetterAttributeNames.detail]?.StringValue).toBe('(none)');
  });
});
