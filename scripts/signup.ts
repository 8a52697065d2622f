/**
 * `npm run signup -- --email a@b.c` | `npm run signup -- --count N [--concurrency C] [--quiet]`
 *
 * Signs users up the way a user does: SignUp, then the confirm step, against a Cognito user pool
 * whose PostConfirmation trigger runs the producer.
 * - Local (default): the pool of a running `npm start` (from .data/local-pipeline.json), confirmed
 *   with ConfirmSignUp and the local pool's fixed code. Each trigger's outcome (api, queue,
 *   failed…) comes from the local Lambda endpoint's record of that invocation, because the local
 *   pool answers 200 even when its trigger fails.
 * - Deployed (`--user-pool-id` and `--client-id`, the AWS credentials and region of the
 *   environment): the post-deploy smoke test. It confirms with AdminConfirmSignUp (the code went
 *   by e-mail) and reports what Cognito answered: a trigger that failed or timed out makes the
 *   confirm call fail. It cannot see which path a registration took, so `api` and `queued` are null.
 * The last stdout line is always the JSON summary {"sent":N,"api":A,"queued":Q,"failed":F}
 * (deployed: plus "confirmed"); everything else goes to stderr. Exit code 0 when nothing failed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { fetchInvocations } from './local/local-lambda';
import { localUserPoolClient } from './local/local-user-pool';
import { LOCAL_PIPELINE_FILE, readPipelineSettings } from './local/pipeline-settings';
import { mapConcurrently, type ProducerInvocation } from './local/producer-invocations';

const CONFIRM_SIGN_UP = 'PostConfirmation_ConfirmSignUp';
/** The local pool has answered by the time its trigger's record exists; this covers a straggler. */
const RECORD_WAIT_MS = 2000;

interface Summary {
  sent: number;
  api: number | null;
  queued: number | null;
  failed: number;
  confirmed?: number;
}

interface SignupOptions {
  emails: string[];
  concurrency: number;
  quiet: boolean;
  deployed: { userPoolId: string; clientId: string } | undefined;
}

/** Where and how one sign-up is confirmed, and how its trigger's outcome is learnt. */
interface PoolTarget {
  description: string;
  cognito: CognitoIdentityProviderClient;
  clientId: string;
  /** Confirms one user; resolves with the trigger's path as far as it can be known. */
  confirm(email: string, sub: string): Promise<'api' | 'queue' | 'confirmed'>;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failed sign-up, with the reason to print. */
class SignupFailure extends Error {
  override readonly name = 'SignupFailure';
}

const USAGE =
  'usage: npm run signup -- --email a@b.c | --count N [--concurrency C] [--quiet]\n' +
  '       [--user-pool-id <id> --client-id <id>]   (a deployed pool: the post-deploy smoke test)';

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
        'user-pool-id': { type: 'string' },
        'client-id': { type: 'string' },
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
  const userPoolId = values['user-pool-id'];
  const clientId = values['client-id'];
  if ((userPoolId === undefined) !== (clientId === undefined)) {
    throw new UsageError(`--user-pool-id and --client-id go together\n${USAGE}`);
  }
  // Unique per run and per user, so repeated runs create new users.
  const runId = randomUUID().slice(0, 8);
  const emails =
    values.email !== undefined
      ? [values.email]
      : Array.from({ length: count }, (_, index) => `signup-${runId}-${index + 1}@example.com`);
  return {
    emails,
    concurrency: positiveInteger(values.concurrency, '--concurrency', 10),
    quiet: values.quiet ?? false,
    deployed: userPoolId && clientId ? { userPoolId, clientId } : undefined,
  };
}

/** Meets both pools' password policies (12+ characters, upper, lower, digit, symbol). */
const newPassword = (): string => `Aa1!${randomBytes(18).toString('base64url')}`;

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** What the local trigger's record says about one confirmation. */
function pathFromRecord(record: ProducerInvocation | undefined): 'api' | 'queue' {
  if (record === undefined) {
    throw new SignupFailure('the trigger was never invoked (is the local Lambda endpoint up?)');
  }
  if (record.status !== 'ok') {
    throw new SignupFailure(
      `the trigger ${record.status === 'timeout' ? 'timed out' : 'failed'}: ${record.error?.errorType ?? ''} ${record.error?.errorMessage ?? ''}`.trim(),
    );
  }
  const path = record.outcome?.path;
  if (path === 'api' || path === 'queue') return path;
  const detail = record.outcome && 'detail' in record.outcome ? `: ${record.outcome.detail}` : '';
  throw new SignupFailure(
    `the trigger returned, but the registration was ${path ?? 'not reported'}${detail}`,
  );
}

async function localTarget(): Promise<PoolTarget | undefined> {
  const settings = await readPipelineSettings();
  if (settings === undefined) return undefined;
  const cognito = localUserPoolClient(settings.cognitoEndpoint);
  return {
    description: `the local user pool ${settings.userPoolId} at ${settings.cognitoEndpoint} (from ${LOCAL_PIPELINE_FILE})`,
    cognito,
    clientId: settings.userPoolClientId,
    async confirm(email, sub) {
      await cognito.send(
        new ConfirmSignUpCommand({
          ClientId: settings.userPoolClientId,
          Username: email,
          ConfirmationCode: settings.confirmationCode,
        }),
      );
      const deadline = Date.now() + RECORD_WAIT_MS;
      for (;;) {
        const [record] = await fetchInvocations(settings.lambdaEndpoint, {
          sub,
          triggerSource: CONFIRM_SIGN_UP,
        });
        if (record !== undefined || Date.now() > deadline) return pathFromRecord(record);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

function deployedTarget(userPoolId: string, clientId: string): PoolTarget {
  // Region from the environment, else from the pool id ("eu-west-1_AbC…").
  const region = process.env['AWS_REGION'] || userPoolId.split('_')[0];
  const cognito = new CognitoIdentityProviderClient(region ? { region } : {});
  return {
    description: `the user pool ${userPoolId} (AWS)`,
    cognito,
    clientId,
    async confirm(email) {
      try {
        await cognito.send(
          new AdminConfirmSignUpCommand({ UserPoolId: userPoolId, Username: email }),
        );
      } catch (error) {
        // The user is confirmed all the same; what failed is the trigger (or the call itself).
        throw new SignupFailure(`Cognito answered ${describeError(error)}`);
      }
      return 'confirmed';
    },
  };
}

async function fireSignups(target: PoolTarget, options: SignupOptions): Promise<Summary> {
  const summary: Summary = options.deployed
    ? { sent: 0, api: null, queued: null, failed: 0, confirmed: 0 }
    : { sent: 0, api: 0, queued: 0, failed: 0 };
  await mapConcurrently(options.emails, options.concurrency, async (email) => {
    summary.sent += 1;
    try {
      const signUp = await target.cognito.send(
        new SignUpCommand({
          ClientId: target.clientId,
          Username: email,
          Password: newPassword(),
          UserAttributes: [{ Name: 'email', Value: email }],
        }),
      );
      const path = await target.confirm(email, signUp.UserSub ?? '');
      if (path === 'api' && summary.api !== null) summary.api += 1;
      else if (path === 'queue' && summary.queued !== null) summary.queued += 1;
      else if (summary.confirmed !== undefined) summary.confirmed += 1;
    } catch (error) {
      summary.failed += 1;
      if (!options.quiet) {
        say(
          `signup: ${email}: ${error instanceof SignupFailure ? error.message : describeError(error)}`,
        );
      }
    }
  });
  return summary;
}

async function main(): Promise<number> {
  let summary: Summary = { sent: 0, api: 0, queued: 0, failed: 0 };
  try {
    const options = parseOptions(process.argv.slice(2));
    const target = options.deployed
      ? deployedTarget(options.deployed.userPoolId, options.deployed.clientId)
      : await localTarget();
    if (target === undefined) {
      say(
        [
          'signup: no user pool to sign up in.',
          '  Start the local pipeline in another terminal with `npm start` (it writes ' +
            `${LOCAL_PIPELINE_FILE}), then run this again;`,
          '  or name a deployed pool with --user-pool-id and --client-id.',
        ].join('\n'),
      );
      return 2;
    }
    say(`signup: ${options.emails.length} sign-up(s) in ${target.description}`);
    try {
      summary = await fireSignups(target, options);
    } finally {
      target.cognito.destroy();
    }
    if (summary.failed === summary.sent) {
      say(
        'signup: every sign-up failed; is the pipeline (user pool, trigger, API, queue) running?',
      );
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
