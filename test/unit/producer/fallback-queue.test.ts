import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createFallbackQueue } from '../../../producer/fallback-queue';
import { newRegistration } from '../../../fixtures/registrations';

const QUEUE_URL = 'http://127.0.0.1:9324/000000000000/registrations';

describe('fallback queue', () => {
  it('when a registration is queued, then the body is its JSON and the details travel as attributes', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const sqsMock = mockClient(sqs);
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'message-7' });
    const registration = newRegistration({ username: 'odd\ufffe', source: 'trigger' });
    const queue = createFallbackQueue({ sqs, registrationQueueUrl: QUEUE_URL });

    const result = await queue.enqueue(
      registration,
      { reason: 'unavailable', attemptedAt: '2030-01-01T00:00:00.000Z', status: 503 },
      { timeoutMs: 1000 },
    );

    expect(result).toEqual({ messageId: 'message-7' });
    const [call] = sqsMock.commandCalls(SendMessageCommand);
    expect(call?.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      MessageBody: JSON.stringify(registration).replace('\ufffe', '\\ufffe'),
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'unavailable' },
        attemptedAt: { DataType: 'String', StringValue: '2030-01-01T00:00:00.000Z' },
        firstSource: { DataType: 'String', StringValue: 'trigger' },
        status: { DataType: 'Number', StringValue: '503' },
      },
    });
  });

  it('when there was no API answer, then no status attribute is sent', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const sqsMock = mockClient(sqs);
    sqsMock.on(SendMessageCommand).resolves({});
    const queue = createFallbackQueue({ sqs, registrationQueueUrl: QUEUE_URL });

    const result = await queue.enqueue(
      newRegistration(),
      { reason: 'timeout', attemptedAt: '2030-01-01T00:00:00.000Z' },
      { timeoutMs: 1000 },
    );

    expect(result).toEqual({ messageId: undefined });
    const attributes = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageAttributes;
    expect(Object.keys(attributes ?? {}).sort()).toEqual(['attemptedAt', 'firstSource', 'reason']);
  });

  it('when the queue answers after a moment, then a send given a second waits for it', async () => {
    // A real SQS client against a loopback server that takes 30 ms to accept each message.
    const server = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const { MessageBody } = JSON.parse(body) as { MessageBody: string };
        setTimeout(() => {
          response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          response.end(
            JSON.stringify({
              MessageId: 'slow-1',
              MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex'),
            }),
          );
        }, 30);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sqs = new SQSClient({
      region: 'eu-west-1',
      endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const queue = createFallbackQueue({
        sqs,
        registrationQueueUrl: `${endpoint}/000000000000/registrations`,
      });

      const result = await queue.enqueue(
        newRegistration(),
        { reason: 'timeout', attemptedAt: '2030-01-01T00:00:00.000Z' },
        { timeoutMs: 1000 },
      );

      expect(result).toEqual({ messageId: 'slow-1' });
    } finally {
      sqs.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('with a real SQS client and a server that accepts the request but never answers', () => {
    let server: http.Server;
    let endpoint: string;

    beforeEach(async () => {
      server = http.createServer(() => undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it.each([150, 0.4])(
      'when the send is given %s ms, then it is abandoned instead of waiting for the SDK',
      async (timeoutMs) => {
        const sqs = new SQSClient({
          region: 'eu-west-1',
          endpoint,
          maxAttempts: 1,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        });
        const queue = createFallbackQueue({
          sqs,
          registrationQueueUrl: `${endpoint}/000000000000/registrations`,
        });
        try {
          const failure = await queue
            .enqueue(
              newRegistration(),
              { reason: 'timeout', attemptedAt: '2030-01-01T00:00:00.000Z' },
              { timeoutMs },
            )
            .then(
              () => undefined,
              (error: unknown) => error as Error,
            );

          expect(failure?.name).toMatch(/AbortError|TimeoutError/);
        } finally {
          sqs.destroy();
        }
      },
    );
  });
});
