import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { registrationJson, type Registration } from '#contract/registration';
import { REGISTRATION_MAX_BYTES, SQS_MAX_MESSAGE_BYTES } from '#contract/registration-limits';
import type { RegistrationResponse } from '#contract/user';
import { createFallbackQueue } from '../../../producer/fallback-queue';
import { countUsers, errorCodeOf, useApiOnTestDatabase } from '../../helpers/api-harness';
import {
  largestRegistrations,
  mostExpensiveRegistration,
} from '../../helpers/largest-registrations';
import { startLocalSqs, type LocalSqs, type QueuePair } from '../../helpers/local-sqs';
import { newRegistration } from '../../../fixtures/registrations';
import { databaseKind } from '../../../fixtures/test-database';

/** What SQS counts against its limit: the body plus each attribute's name, type and value. */
const sqsMessageBytes = (
  body: string,
  attributes: Record<string, { DataType?: string; StringValue?: string }>,
): number =>
  Buffer.byteLength(body) +
  Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? ''),
    0,
  );

/**
 * fauxqs (the local SQS server) refuses characters beyond the BMP, although SQS documents
 * #x10000-#x10FFFF as valid in a message body; the unit tests check bodies against SQS's own
 * character set. For the local queue they become U+FFFD, which costs less than the control
 * characters that make a registration largest, so the size proof is unaffected.
 */
const withinLocalQueueCharacters = (registration: Registration): Registration => {
  const replace = (text: string): string => text.replace(/[\u{10000}-\u{10ffff}]/gu, '\ufffd');
  return {
    ...registration,
    username: replace(registration.username),
    attributes: Object.fromEntries(
      Object.entries(registration.attributes).map(([name, value]) => [
        replace(name),
        replace(value),
      ]),
    ),
  };
};

describe(`the one size rule on both paths (${databaseKind})`, () => {
  const harness = useApiOnTestDatabase();
  let localSqs: LocalSqs;
  let queues: QueuePair;

  beforeAll(async () => {
    localSqs = await startLocalSqs();
    queues = await localSqs.createQueuePair(`largest-${randomUUID().slice(0, 8)}`);
  });

  afterAll(async () => {
    await localSqs.stop();
  });

  it('when the largest valid registrations are posted, then the API stores them (201, then 200 on replay)', async () => {
    await fc.assert(
      fc.asyncProperty(largestRegistrations, async (registration) => {
        const created = await harness.api.post('/user', registrationJson(registration), {
          raw: true,
        });
        expect(created.status).toBe(201);
        expect((created.body as RegistrationResponse).user.attributes).toEqual(
          registration.attributes,
        );
        // The plain JSON.stringify form, as any other client would send it.
        const replayed = await harness.api.post('/user', registration);
        expect(replayed.status).toBe(200);
        expect((replayed.body as RegistrationResponse).change).toBe('unchanged');
      }),
      { numRuns: 4, examples: [[mostExpensiveRegistration()]] },
    );
  });

  it('when the largest valid registrations go to the queue with the producer’s attributes, then SQS takes them and they read back exactly', async () => {
    const queue = createFallbackQueue({ sqs: localSqs.sqs, registrationQueueUrl: queues.queueUrl });
    await fc.assert(
      fc.asyncProperty(
        largestRegistrations.map(withinLocalQueueCharacters),
        async (registration) => {
          const { messageId } = await queue.enqueue(
            registration,
            { reason: 'secret_unavailable', attemptedAt: new Date().toISOString(), status: 503 },
            { timeoutMs: 10_000 },
          );
          expect(messageId).toBeDefined();

          const { Messages = [] } = await localSqs.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queues.queueUrl,
              MaxNumberOfMessages: 1,
              WaitTimeSeconds: 5,
              MessageAttributeNames: ['All'],
            }),
          );
          const [message] = Messages;
          expect(message?.MessageId).toBe(messageId);
          const body = message?.Body ?? '';
          // The emulator may count differently; SQS counts bytes, so check the real rule here too.
          expect(sqsMessageBytes(body, message?.MessageAttributes ?? {})).toBeLessThanOrEqual(
            SQS_MAX_MESSAGE_BYTES,
          );
          expect(JSON.parse(body)).toEqual(registration);
          await localSqs.sqs.send(
            new DeleteMessageCommand({
              QueueUrl: queues.queueUrl,
              ReceiptHandle: message?.ReceiptHandle,
            }),
          );
        },
      ),
      { numRuns: 4, examples: [[withinLocalQueueCharacters(mostExpensiveRegistration())]] },
    );
  });

  it('when a body is larger than any valid registration, then 413 payload_too_large and nothing is written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200_000 }), async (excess) => {
        const registration = newRegistration();
        const json = JSON.stringify(registration);
        // Valid JSON of the registration, padded with whitespace past the limit.
        const body = `${json.slice(0, -1)}${' '.repeat(REGISTRATION_MAX_BYTES - json.length + excess)}}`;
        expect(Buffer.byteLength(body)).toBe(REGISTRATION_MAX_BYTES + excess);

        const response = await harness.api.post('/user', body, { raw: true });

        expect(response.status).toBe(413);
        expect(errorCodeOf(response.body)).toBe('payload_too_large');
        expect(await countUsers(harness.db, registration.sub)).toBe(0);
      }),
      { numRuns: 5 },
    );
  });

  it('when a body is exactly at the limit, then the limit itself does not refuse it', async () => {
    const registration = newRegistration();
    const json = JSON.stringify(registration);
    const body = `${json.slice(0, -1)}${' '.repeat(REGISTRATION_MAX_BYTES - json.length)}}`;

    const response = await harness.api.post('/user', body, { raw: true });

    expect(Buffer.byteLength(body)).toBe(REGISTRATION_MAX_BYTES);
    expect(response.status).toBe(201);
  });
});
