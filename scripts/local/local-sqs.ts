import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

/** Region the local queues live in: it appears in their ARNs and in the clients' signatures. */
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
      Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
    }),
  );
  if (!dlq.QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}-dlq`);
  const dlqArn = await arnOf(dlq.QueueUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
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
  /** As {@link createQueuePair}, with queue URLs on {@link LocalSqs.endpoint}. */
  createQueuePair(name: string, options?: QueuePairOptions): Promise<QueuePair>;
  /** Closes the server, cutting open long polls. */
  stop(): Promise<void>;
}

export interface LocalSqsOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
}

/**
 * `queueUrl` with its origin replaced by `endpoint`. fauxqs names its queues
 * `http://sqs.<region>.localhost:<port>/<account>/<name>`, a host not every resolver knows, and
 * the SDK sends each request to its queue URL's host unless the client has an explicit
 * `endpoint` — which the deployed producer and consumer must not have. fauxqs finds a queue by
 * the name at the end of any URL without a region in its host, so the endpoint form reaches the
 * same queue from every client.
 */
export function onEndpoint(queueUrl: string, endpoint: string): string {
  return new URL(new URL(queueUrl).pathname, endpoint).toString();
}

/**
 * Starts an in-memory SQS-compatible server (fauxqs) on 127.0.0.1. Used by `npm start`, the
 * integration and end-to-end tests, and the pipeline benchmark.
 */
export async function startLocalSqs({ port = 0 }: LocalSqsOptions = {}): Promise<LocalSqs> {
  const host = '127.0.0.1';
  // fauxqs is an ES module; its CLI and startFauxqs() bind every interface, buildApp() does not.
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false, defaultRegion: LOCAL_SQS_REGION });
  await app.listen({ port, host });
  const actualPort = (app.server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${actualPort}`;
  const sqs = createLocalSqsClient(endpoint);

  return {
    endpoint,
    port: actualPort,
    region: LOCAL_SQS_REGION,
    sqs,
    createQueuePair: async (name, options) => {
      const pair = await createQueuePair(sqs, name, options);
      return {
        ...pair,
        queueUrl: onEndpoint(pair.queueUrl, endpoint),
        dlqUrl: onEndpoint(pair.dlqUrl, endpoint),
      };
    },
    stop: async () => {
      sqs.destroy();
      // fauxqs ends its waiting long polls before closing and forces open connections shut.
      await app.close();
    },
  };
}
