import {
  ChangeMessageVisibilityCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startLocalSqs, type LocalSqs } from '../../helpers/local-sqs';
import { isolateEnv } from '../../helpers/process-env';
import { uniqueQueueName } from '../../helpers/worker-harness';

/** What the local SQS server must do for the pipeline to behave as it would on SQS. */
describe('local SQS server', () => {
  let localSqs: LocalSqs;

  beforeAll(async () => {
    localSqs = await startLocalSqs();
  });

  afterAll(async () => {
    await localSqs.stop();
  });

  const postRaw = (headers: Record<string, string>, body: string): Promise<Response> =>
    fetch(localSqs.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', ...headers },
      body,
    });

  it('when a request has no X-Amz-Target or a JSON body of null, then it gets an error answer and the server keeps serving', async () => {
    const noTarget = await postRaw({}, '{}');
    const nullBody = await postRaw({ 'x-amz-target': 'AmazonSQS.SendMessage' }, 'null');

    expect(noTarget.status).toBe(400);
    expect(await noTarget.json()).toMatchObject({ __type: expect.stringMatching(/MissingAction/) });
    expect(nullBody.status).toBeGreaterThanOrEqual(400);
    await nullBody.arrayBuffer();
    const listed = await localSqs.sqs.send(new ListQueuesCommand({}));
    expect(listed.$metadata.httpStatusCode).toBe(200);
  });

  it('when a client configured as deployed (AWS_ENDPOINT_URL_SQS, no endpoint option) uses the queue URLs, then it reaches the local queue', async () => {
    const queues = await localSqs.createQueuePair(uniqueQueueName('url'));
    const restoreEnv = isolateEnv(['AWS_ENDPOINT_URL_SQS']);
    process.env['AWS_ENDPOINT_URL_SQS'] = localSqs.endpoint;
    // As the producer and consumer build theirs: the SDK sends a request to its queue URL's host
    // unless the client has an explicit endpoint, whatever AWS_ENDPOINT_URL_SQS says.
    const deployedLike = new SQSClient({
      region: localSqs.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await deployedLike.send(
        new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: 'x' }),
      );
      const { Messages = [] } = await localSqs.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, WaitTimeSeconds: 0 }),
      );

      expect(new URL(queues.queueUrl).origin).toBe(localSqs.endpoint);
      expect(Messages.map((message) => message.Body)).toEqual(['x']);
    } finally {
      deployedLike.destroy();
      restoreEnv();
    }
  });

  it('when a message is received, made visible again and received again, then its receive count is 2', async () => {
    const queues = await localSqs.createQueuePair(uniqueQueueName('count'));
    await localSqs.sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: 'x' }),
    );
    const receive = async () => {
      const { Messages = [] } = await localSqs.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queues.queueUrl,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      return Messages[0];
    };

    const first = await receive();
    // A backoff by receive count relies on this call not counting as a receive.
    await localSqs.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queues.queueUrl,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const second = await receive();

    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('when a message arrives during a long poll, then the poll answers at once rather than at its end', async () => {
    const queues = await localSqs.createQueuePair(uniqueQueueName('poll'));
    const startedAt = Date.now();
    const poll = localSqs.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, WaitTimeSeconds: 10 }),
    );
    await localSqs.sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: 'x' }),
    );
    const { Messages = [] } = await poll;

    expect(Messages).toHaveLength(1);
    // Far below the 10 s wait, with room for a loaded machine.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('when a message is 1 MiB (the SQS limit), then it is accepted, and one byte more is refused', async () => {
    const queues = await localSqs.createQueuePair(uniqueQueueName('size'));
    const limit = 1024 * 1024;

    const accepted = await localSqs.sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: 'a'.repeat(limit) }),
    );
    const refused = localSqs.sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: 'a'.repeat(limit + 1) }),
    );

    expect(accepted.MessageId).toBeTruthy();
    await expect(refused).rejects.toThrow(/shorter than 1048576 bytes/);
  });
});
