import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_PIPELINE_FILE } from './local/pipeline-settings';
import { maskSecret, startLocalPipeline, type LocalPipeline } from './local/local-pipeline';

const say = (line: string): void => {
  process.stdout.write(`[start] ${line}\n`);
};

/** Where the data lives, with the password of a served embedded database masked. */
function databaseLine(pipeline: LocalPipeline): string {
  if (pipeline.external.database) return 'DATABASE_URL';
  const served = pipeline.embeddedDatabase;
  if (served === undefined) return '(behind the external API)';
  const url = new URL(served.url);
  const password = maskSecret(decodeURIComponent(url.password));
  return `embedded PGlite, served at postgres://${url.username}:${password}@${url.host}${url.pathname}  (full URL in the settings file)`;
}

function printHowTo(pipeline: LocalPipeline, settingsFile: string): void {
  const { settings } = pipeline;
  const example = JSON.stringify({
    sub: randomUUID(),
    email: 'curl@example.com',
    username: 'curl-user',
    userPoolId: 'us-east-1_Local1',
    attributes: {},
    source: 'trigger',
  });
  const requirable = path.isAbsolute(settingsFile) ? settingsFile : `./${settingsFile}`;
  const secretFromFile = `$(node -p "require('${requirable}').headerSecret")`;
  process.stdout.write(
    [
      '',
      'Local pipeline is up.',
      `  API          ${settings.apiUrl}  (GET /healthz, GET /readyz, POST /user)`,
      `  SQS          ${settings.sqsEndpoint}  region ${settings.region}`,
      `  queue        ${settings.queueUrl}`,
      `  DLQ          ${settings.dlqUrl}`,
      `  api pid      ${pipeline.api?.pid ?? '(external)'}  (kill -9 it to drill an outage: it restarts after LOCAL_API_RESTART_DELAY_MS, now ${pipeline.config.apiRestartDelayMs} ms)`,
      `  consumer pid ${pipeline.consumer.pid ?? '(unknown)'}`,
      `  header       ${settings.headerName}: ${maskSecret(settings.headerSecret)}  (full value in ${settingsFile}, mode 0600)`,
      `  database     ${databaseLine(pipeline)}`,
      `  user pool    ${settings.cognitoEndpoint}  pool ${settings.userPoolId}  client ${settings.userPoolClientId}  (confirmation code ${settings.confirmationCode})`,
      `  trigger      ${settings.lambdaEndpoint}  (Lambda Invoke API running producer/handler.ts; GET /local/invocations)`,
      '',
      'Sign a user up in the local pool (SignUp + ConfirmSignUp; the trigger registers them):',
      '  npm run signup -- --email a@b.c',
      'Or call the API directly:',
      `  curl -sS -X POST ${settings.apiUrl}/user -H 'content-type: application/json' \\`,
      `    -H "${settings.headerName}: ${secretFromFile}" \\`,
      `    -d '${example}'`,
      'Dead letters back to the queue:  npm run dlq:redrive',
      'Reconcile the pool into the database:  npm run reconcile',
      ...(settings.databaseUrl
        ? [`Open the database:  psql "$(node -p "require('${requirable}').databaseUrl")"`]
        : []),
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

/**
 * `npm start`: the local pipeline in one command; Ctrl-C or SIGTERM stops it cleanly, and its
 * children stop by themselves if it is killed outright. `--settings-file <path>` writes the
 * connection settings somewhere other than the default (a second pipeline, tests).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'settings-file': { type: 'string' } } });
  const settingsFile = values['settings-file'] ?? LOCAL_PIPELINE_FILE;
  say('starting local SQS, migrations, API, consumer, user pool and trigger…');
  const pipeline = await startLocalPipeline({ log: say, settingsFile });
  printHowTo(pipeline, settingsFile);

  let exitCode = 0;
  const shutdown = async (reason: string): Promise<void> => {
    say(`${reason}: stopping user pool and trigger, consumer, API, then SQS…`);
    await pipeline.stop();
    say('stopped');
    process.exit(exitCode);
  };
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    void shutdown(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Supervise: an API that dies (an outage drill: `kill -9` its PID) comes back after a pause,
  // during which sign-ups take the queue path and the consumer backs off; then the backlog drains.
  const restartDelayMs = pipeline.config.apiRestartDelayMs;
  for (;;) {
    const { name, code } = await pipeline.childExit;
    if (signalled) return;
    if (name === 'api' && !pipeline.external.api) {
      say(`the api exited (${code}); restarting it in ${Math.round(restartDelayMs / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, restartDelayMs));
      if (signalled) return;
      try {
        await pipeline.restartApi();
        continue;
      } catch (error) {
        say(
          `the api could not be restarted: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    signalled = true;
    exitCode = 1;
    await shutdown(`the ${name} exited unexpectedly (${code})`);
    return;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
