import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { parseEnv } from '#contract/config';
import { redriveDeadLetters, type RedriveMethod } from './redrive-dead-letters';
import { createLocalSqsClient } from './local/local-sqs';
import { LOCAL_PIPELINE_FILE, readPipelineSettings } from './local/pipeline-settings';

const usage = `Usage: npm run dlq:redrive -- [--method auto|move-task|copy] [--max N] [--timeout-seconds S]

Moves dead-lettered registrations from DLQ_URL back to QUEUE_URL (SQS StartMessageMoveTask,
or receive/send/delete where that is unavailable). Without QUEUE_URL/DLQ_URL it uses the running
\`npm start\` pipeline (${LOCAL_PIPELINE_FILE}). Prints one JSON summary line.`;

const queueUrl = z.url({ protocol: /^https?$/, message: 'must be an SQS queue URL' });
const envSchema = z.object({ QUEUE_URL: queueUrl.optional(), DLQ_URL: queueUrl.optional() });

async function target(): Promise<{ sqs: SQSClient; queueUrl: string; deadLetterQueueUrl: string }> {
  const env = parseEnv(envSchema, process.env);
  if (env.QUEUE_URL !== undefined && env.DLQ_URL !== undefined) {
    // Region, credentials and AWS_ENDPOINT_URL_SQS come from the SDK's environment handling.
    return { sqs: new SQSClient({}), queueUrl: env.QUEUE_URL, deadLetterQueueUrl: env.DLQ_URL };
  }
  if (env.QUEUE_URL !== undefined || env.DLQ_URL !== undefined) {
    throw new Error('set both QUEUE_URL and DLQ_URL, or neither to use the running `npm start`');
  }
  const local = await readPipelineSettings();
  if (!local) {
    throw new Error(`QUEUE_URL and DLQ_URL are not set and ${LOCAL_PIPELINE_FILE} does not exist`);
  }
  return {
    sqs: createLocalSqsClient(local.sqsEndpoint, local.region),
    queueUrl: local.queueUrl,
    deadLetterQueueUrl: local.dlqUrl,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      method: { type: 'string', default: 'auto' },
      max: { type: 'string' },
      'timeout-seconds': { type: 'string', default: '600' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const method = z.enum(['auto', 'move-task', 'copy']).parse(values.method) as RedriveMethod;
  const maxMessages =
    values.max === undefined ? undefined : z.coerce.number().int().positive().parse(values.max);
  const timeoutSeconds = z.coerce.number().int().positive().parse(values['timeout-seconds']);

  const { sqs, queueUrl, deadLetterQueueUrl } = await target();
  try {
    const summary = await redriveDeadLetters({
      sqs,
      queueUrl,
      deadLetterQueueUrl,
      method,
      maxMessages,
      timeoutMs: timeoutSeconds * 1000,
    });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (summary.failed > 0) process.exitCode = 1;
  } finally {
    sqs.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`dlq:redrive: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
