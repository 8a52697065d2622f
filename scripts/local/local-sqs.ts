import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createRequestHandler } from 'local-aws-sqs';
import { SQS_MAX_MESSAGE_BYTES } from '#contract/registration-limits';
import { patchLocalQueue } from './local-aws-sqs-fixes';

/** Region the local queues claim to live in (cosmetic: it appears in their ARNs). */
export const LOCAL_SQS_REGION = 'us-east-1';
/** Default port of `npm start`'s queue server. */
export const DEFAULT_LOCAL_SQS_PORT = 9324;

export interface QueuePairOptions {
  /** Receives before the queue's redrive policy moves a message to the DLQ. @default 8 */
  maxReceiveCount?: number;
  /** The queue's default visibility timeout, in seconds. @default 60 */
  visibilityTimeoutSeconds?: number;
}

export interface QueuePair {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/** Dummy credentials: the local server checks none, but the SDK insists on signing. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** An SDK client for a local (or any explicitly addressed) SQS endpoint. */
export function createLocalSqsClient(endpoint: string, region = LOCAL_SQS_REGION): SQSClient {
  return new SQSClient({ endpoint, region, credentials: localCredentials, maxAttempts: 2 });
}

/**
 * Creates `name` and `name-dlq` (or returns them if they exist with the same settings), the
 * first with a redrive policy to the second. Works against any SQS endpoint.
 */
export async function createQueuePair(
  sqs: SQSClient,
  name: string,
  { maxReceiveCount = 8, visibilityTimeoutSeconds = 60 }: QueuePairOptions = {},
): Promise<QueuePair> {
  const arnOf = async (queueUrl: string): Promise<string> => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = Attributes?.QueueArn;
    if (!arn) throw new Error(`queue ${queueUrl} reported no ARN`);
    return arn;
  };
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq`,
      // As in the stacks: the DLQ keeps messages longer than the source queue (14 days).
      Attributes: {
        MessageRetentionPeriod: String(14 * 24 * 3600),
        MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES),
      },
    }),
  );
  if (!dlq.QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}-dlq`);
  const dlqArn = await arnOf(dlq.QueueUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        // As in the stacks: the largest registration must fit (contract/registration-limits).
        MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  if (!queue.QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return {
    queueUrl: queue.QueueUrl,
    queueArn: await arnOf(queue.QueueUrl),
    dlqUrl: dlq.QueueUrl,
    dlqArn,
  };
}

export interface LocalSqs {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SQS` or an SDK client's `endpoint`. */
  endpoint: string;
  port: number;
  region: string;
  /** A client for this server (dummy credentials). */
  sqs: SQSClient;
  createQueuePair(name: string, options?: QueuePairOptions): Promise<QueuePair>;
  /** Closes the server, cutting open long polls. */
  stop(): Promise<void>;
}

export interface LocalSqsOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
}

/**
 * Starts an in-memory SQS-compatible server (local-aws-sqs) on 127.0.0.1. Used by `npm start`,
 * the integration and end-to-end tests, and the pipeline benchmark.
 */
export async function startLocalSqs({ port = 0 }: LocalSqsOptions = {}): Promise<LocalSqs> {
  const host = '127.0.0.1';
  // Our own http server (rather than createSqsServer) so a busy port rejects instead of
  // crashing, and stop() can cut the long polls that would otherwise hold close() open.
  const { service, requestHandler } = createRequestHandler({
    port,
    hostname: host,
    region: LOCAL_SQS_REGION,
    // Tests create fresh names; re-creating a deleted name at once is fine locally.
    emulateQueueCreationLifecycle: false,
  });
  const server: Server = createServer((request, response) => {
    // Queues appear with CreateQueue; patch any new one before it serves a request.
    for (const queue of service.Queues) patchLocalQueue(queue);
    void requestHandler(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  // Queue URLs are built from this, so they must carry the real port when 0 was asked for.
  service.PORT = actualPort;
  const endpoint = `http://${host}:${actualPort}`;
  const sqs = createLocalSqsClient(endpoint);

  return {
    endpoint,
    port: actualPort,
    region: LOCAL_SQS_REGION,
    sqs,
    createQueuePair: (name, options) => createQueuePair(sqs, name, options),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        sqs.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
