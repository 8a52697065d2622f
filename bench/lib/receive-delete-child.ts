/**
 * `node --import tsx bench/lib/receive-delete-child.ts --endpoint URL --queue-url URL
 *   --loops N --batch-size N --wait-seconds N --expected N --deadline-ms N`
 *
 * Runs the bare receive + DeleteMessageBatch loop in a process of its own, as the consumer runs
 * in its own, so the reference and the consumer meet the same queue server from the same
 * distance. Prints one JSON line: the ReceiveDeleteResult plus this process's CPU seconds.
 */
import { parseArgs } from 'node:util';
import { createLocalSqsClient } from '../../scripts/local/local-sqs';
import { receiveAndDeleteAll } from './receive-delete-loop';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      endpoint: { type: 'string' },
      'queue-url': { type: 'string' },
      loops: { type: 'string' },
      'batch-size': { type: 'string' },
      'wait-seconds': { type: 'string' },
      expected: { type: 'string' },
      'deadline-ms': { type: 'string' },
    },
  });
  const required = (name: keyof typeof values): string => {
    const value = values[name];
    if (value === undefined) throw new Error(`--${name} is required`);
    return value;
  };
  const sqs = createLocalSqsClient(required('endpoint'));
  try {
    const cpuBefore = process.cpuUsage();
    const result = await receiveAndDeleteAll({
      sqs,
      queueUrl: required('queue-url'),
      loops: Number(required('loops')),
      batchSize: Number(required('batch-size')),
      waitTimeSeconds: Number(required('wait-seconds')),
      expected: Number(required('expected')),
      deadlineMs: Number(required('deadline-ms')),
    });
    const cpu = process.cpuUsage(cpuBefore);
    // Whole-run CPU of this process, so the bench can tell client cost from server cost.
    const processCpuSeconds = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(`${JSON.stringify({ ...result, processCpuSeconds })}\n`);
  } finally {
    sqs.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
