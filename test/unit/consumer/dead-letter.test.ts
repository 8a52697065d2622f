import { SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createDeadLetterSender,
  deadLetterAttributeNames,
  deadLetterAttributes,
} from '../../../consumer/dead-letter';

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

describe('dead-letter attributes, ordering and origin', () => {
  it('when the message has no id and no status is known, then neither attribute is invented', () => {
    const attributes = deadLetterAttributes(
      { Body: '{}' },
      { reason: 'invalid_body', detail: 'x', receiveCount: 2 },
      new Date('2026-11-25T12:00:00.000Z'),
    );

    expect(Object.keys(attributes).sort()).toEqual(
      [
        deadLetterAttributeNames.reason,
        deadLetterAttributeNames.detail,
        deadLetterAttributeNames.at,
        deadLetterAttributeNames.receiveCount,
      ].sort(),
    );
  });

  it('when ours fill up to the limit, then the sender attributes that fit come first in their order and ours are never dropped', () => {
    const senderAttributes = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`s${i}`, { DataType: 'String', StringValue: `v${i}` }]),
    );

    const attributes = deadLetterAttributes(
      { MessageId: 'm-9', Body: '{}', MessageAttributes: senderAttributes },
      { reason: 'invalid_request', status: 400, detail: 'x', receiveCount: 1 },
    );

    // Ours: reason, detail, at, receiveCount, status, sourceMessageId = 6; room for 4 more.
    expect(Object.keys(attributes)).toHaveLength(10);
    expect(Object.keys(attributes).slice(6)).toEqual(['s0', 's1', 's2', 's3']);
    expect(Date.parse(attributes[deadLetterAttributeNames.at]?.StringValue ?? '')).not.toBeNaN();
  });

  it('when an old dead-letter attribute comes back through a redrive, then it neither duplicates nor crowds out the sender’s', () => {
    const attributes = deadLetterAttributes(
      {
        MessageId: 'm-2',
        Body: '{}',
        MessageAttributes: {
          [deadLetterAttributeNames.status]: { DataType: 'Number', StringValue: '413' },
          reason: { DataType: 'String', StringValue: 'timeout' },
        },
      },
      { reason: 'invalid_body', detail: 'x', receiveCount: 1 },
    );

    expect(attributes[deadLetterAttributeNames.status]).toBeUndefined();
    expect(attributes['reason']).toEqual({ DataType: 'String', StringValue: 'timeout' });
  });
});

describe('dead-letter sender', () => {
  const DLQ_URL = 'http://127.0.0.1:9324/000000000000/registrations-dlq';

  it('when a message is dead-lettered, then its body goes unchanged to the DLQ with the attributes', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const sqsMock = mockClient(sqs);
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    const sender = createDeadLetterSender({ sqs, deadLetterQueueUrl: DLQ_URL });

    await sender.send(
      { MessageId: 'm-1', Body: '{"sub":"x"}' },
      { reason: 'invalid_request', status: 400, detail: 'bad', receiveCount: 4 },
    );

    const input = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe(DLQ_URL);
    expect(input?.MessageBody).toBe('{"sub":"x"}');
    expect(input?.MessageAttributes).toMatchObject({
      [deadLetterAttributeNames.reason]: { DataType: 'String', StringValue: 'invalid_request' },
      [deadLetterAttributeNames.status]: { DataType: 'Number', StringValue: '400' },
      [deadLetterAttributeNames.receiveCount]: { DataType: 'Number', StringValue: '4' },
      [deadLetterAttributeNames.sourceMessageId]: { DataType: 'String', StringValue: 'm-1' },
    });
  });

  it('when the message has no body, then a marker is sent, as SQS refuses empty bodies', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const sqsMock = mockClient(sqs);
    sqsMock.on(SendMessageCommand).resolves({});
    const sender = createDeadLetterSender({ sqs, deadLetterQueueUrl: DLQ_URL });

    await sender.send(
      { MessageId: 'm-1', Body: '' },
      { reason: 'invalid_body', detail: 'empty', receiveCount: 1 },
    );
    await sender.send(
      { MessageId: 'm-2' },
      { reason: 'invalid_body', detail: 'empty', receiveCount: 1 },
    );

    const bodies = sqsMock
      .commandCalls(SendMessageCommand)
      .map((call) => call.args[0].input.MessageBody);
    expect(bodies).toEqual(['(empty)', '(empty)']);
  });

  it('when SQS refuses the copy, then the send rejects', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    mockClient(sqs).on(SendMessageCommand).rejects(new Error('QueueDoesNotExist'));
    const sender = createDeadLetterSender({ sqs, deadLetterQueueUrl: DLQ_URL });

    await expect(
      sender.send(
        { MessageId: 'm-1', Body: '{}' },
        { reason: 'invalid_body', detail: 'x', receiveCount: 1 },
      ),
    ).rejects.toThrow('QueueDoesNotExist');
  });
});
