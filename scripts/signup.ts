/**
 * `npm run signup -- --email a@b.c` | `npm run signup -- --count N [--concurrency C] [--quiet]`
 *
 * Fires synthetic PostConfirmation_ConfirmSignUp events through the real producer handler, each
 * with a fake Lambda context that has Cognito's 5 s deadline. The pipeline is the one configured
 * by the environment (API_URL, QUEUE_URL, AUTH_HEADER_SECRET or AUTH_SECRET_ARN,
 * AWS_ENDPOINT_URL_SQS) or, when API_URL and QUEUE_URL are unset, the running `npm start`.
 * The last stdout line is always the JSON summary {"sent":N,"api":A,"queued":Q,"failed":F};
 * everything else the script says goes to stderr. Exit code 0 when nothing failed.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { RegistrationPath } from '../producer/registration-outcome';
import { fakeLambdaContext, postConfirmationEvent } from '../test/helpers/cognito-events';
import { LOCAL_PIPELINE_FILE, readPipelineSettings } from './local/pipeline-settings';

interface Summary {
  sent: number;
  api: number;
  queued: number;
  failed: number;
}

interface SignupOptions {
  emails: string[];
  concurrency: number;
  quiet: boolean;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const USAGE = 'usage: npm run signup -- --email a@b.c | --count N [--concurrency C] [--quiet]';

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function positiveInteger(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${flag} must be a positive integer`);
  return value;
}

function parseOptions(argv: string[]): SignupOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        email: { type: 'string' },
        count: { type: 'string' },
        concurrency: { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const count = positiveInteger(values.count, '--count', 1);
  if (values.email !== undefined && count > 1) {
    throw new UsageError(
      '--email names one user; use --count alone for many (emails are generated)',
    );
  }
  // Unique per run and per user, so repeated runs create new users rather than email conflicts.
  const runId = randomUUID().slice(0, 8);
  const emails =
    values.email !== undefined
      ? [values.email]
      : Array.from({ length: count }, (_, index) => `signup-${runId}-${index + 1}@example.com`);
  return {
    emails,
    concurrency: positiveInteger(values.concurrency, '--concurrency', 10),
    quiet: values.quiet ?? false,
  };
}

/**
 * Points the producer at a pipeline: the environment when it names one, else the settings a
 * running `npm start` wrote. Returns a description for the operator, or undefined when neither.
 */
async function selectPipeline(): Promise<string | undefined> {
  if (process.env['API_URL'] || process.env['QUEUE_URL']) {
    return `the pipeline configured by the environment (API ${process.env['API_URL'] ?? '?'})`;
  }
  const settings = await readPipelineSettings();
  if (settings === undefined) return undefined;
  Object.assign(process.env, {
    API_URL: settings.apiUrl,
    QUEUE_URL: settings.queueUrl,
    AWS_ENDPOINT_URL_SQS: settings.sqsEndpoint,
    AUTH_HEADER_NAME: settings.headerName,
    AUTH_HEADER_SECRET: settings.headerSecret,
    AWS_REGION: settings.region,
  });
  // The local SQS server does not check signatures, but the SDK insists on having credentials.
  process.env['AWS_ACCESS_KEY_ID'] ??= 'local';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'local';
  return `the local pipeline from ${LOCAL_PIPELINE_FILE} (API ${settings.apiUrl})`;
}

/** The summary, plus how many failures were rejections (invalid or 400) rather than outages. */
async function fireSignups(options: SignupOptions): Promise<Summary & { rejected: number }> {
  // Metrics are for CloudWatch; locally they would only add lines.
  process.env['POWERTOOLS_METRICS_DISABLED'] ??= 'true';
  if (options.quiet) process.env['POWERTOOLS_LOG_LEVEL'] ??= 'ERROR';
  // Imported only now: the handler's logger and metrics read the environment when loaded.
  const { handler, onRegistrationOutcome } = await import('../producer/handler');

  const pathByRequest = new Map<string, RegistrationPath>();
  const stopObserving = onRegistrationOutcome((outcome, context) => {
    pathByRequest.set(context.awsRequestId, outcome.path);
    if (outcome.path === 'rejected') {
      rejected += 1;
      if (!options.quiet) say(`signup: rejected (${outcome.reason}): ${outcome.detail}`);
    }
  });
  const summary: Summary = { sent: 0, api: 0, queued: 0, failed: 0 };
  let rejected = 0;
  let next = 0;

  const worker = async (): Promise<void> => {
    for (let index = next++; index < options.emails.length; index = next++) {
      const event = postConfirmationEvent({ email: options.emails[index] });
      const context = fakeLambdaContext();
      summary.sent += 1;
      try {
        await handler(event, context);
        const path = pathByRequest.get(context.awsRequestId);
        if (path === 'api') summary.api += 1;
        else if (path === 'queue') summary.queued += 1;
        // Rejected (invalid or 400): not stored anywhere, so it counts as a failure here.
        else summary.failed += 1;
      } catch (error) {
        summary.failed += 1;
        if (!options.quiet) say(`signup: ${(error as Error).message}`);
      }
      pathByRequest.delete(context.awsRequestId);
    }
  };

  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, options.emails.length) }, worker),
  );
  stopObserving();
  return { ...summary, rejected };
}

async function main(): Promise<number> {
  const summary: Summary = { sent: 0, api: 0, queued: 0, failed: 0 };
  try {
    const options = parseOptions(process.argv.slice(2));
    const pipeline = await selectPipeline();
    if (pipeline === undefined) {
      say(
        [
          'signup: no pipeline to send to.',
          '  Start the local one in another terminal with `npm start` (it writes ' +
            `${LOCAL_PIPELINE_FILE}), then run this again;`,
          '  or point at a pipeline with API_URL, QUEUE_URL and AUTH_HEADER_SECRET (or AUTH_SECRET_ARN),',
          '  plus AWS_ENDPOINT_URL_SQS for a local SQS server.',
        ].join('\n'),
      );
      return 2;
    }
    say(`signup: ${options.emails.length} sign-up(s) against ${pipeline}`);
    const { rejected, ...counts } = await fireSignups(options);
    Object.assign(summary, counts);
    if (summary.failed > rejected && summary.api + summary.queued === 0) {
      say('signup: every sign-up failed; is the pipeline (API and queue) running?');
    }
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    say(error instanceof UsageError ? `signup: ${error.message}` : `signup: ${String(error)}`);
    return 2;
  } finally {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    say(`signup: ${String(error)}`);
    process.exitCode = 2;
  },
);
