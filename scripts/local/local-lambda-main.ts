/**
 * The local Lambda Invoke endpoint as a process of its own, as `npm start` runs it: the producer
 * handler reads its configuration from this process's environment (API_URL, QUEUE_URL, the header
 * secret, AWS_ENDPOINT_URL_SQS…) exactly as it would in Lambda, isolated from the supervisor's.
 * LOCAL_LAMBDA_PORT (0 = any free port) and LOCAL_LAMBDA_FUNCTION_NAME say where it answers.
 */
import * as z from 'zod';
import { envFields, parseEnv } from '#contract/config';
import { startLocalLambda } from './local-lambda';
import { reportReady, stopWithParent } from './parent-link';
import { createProducerInvoker } from './producer-invocations';

const settings = parseEnv(
  z.object({
    LOCAL_LAMBDA_PORT: envFields.port.default(0),
    LOCAL_LAMBDA_FUNCTION_NAME: z.string().regex(/^[\w-]{1,64}$/, 'must be a Lambda function name'),
  }),
  process.env,
);

async function main(): Promise<void> {
  // Imported only now, after the environment is final: the handler reads it when loaded.
  const { handler, onRegistrationOutcome } = await import('../../producer/handler');
  const lambda = await startLocalLambda({
    invoker: createProducerInvoker({
      handler,
      observeOutcomes: onRegistrationOutcome,
      functionName: settings.LOCAL_LAMBDA_FUNCTION_NAME,
    }),
    functionName: settings.LOCAL_LAMBDA_FUNCTION_NAME,
    port: settings.LOCAL_LAMBDA_PORT,
  });
  stopWithParent(() => lambda.stop());
  reportReady(lambda.port);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[local-lambda] ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
