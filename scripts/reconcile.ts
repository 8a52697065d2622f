/**
 * `npm run reconcile -- [--dry-run] [--force]`. With COGNITO_USER_POOL_ID set, the run is the one
 * the environment describes (as in AWS). Without it, it reconciles the running `npm start`: the
 * local pool and the database named in the settings it wrote.
 */
import { LOCAL_PIPELINE_FILE, readPipelineSettings } from './local/pipeline-settings';
import { runReconciler } from '../reconciler/main';

async function environment(): Promise<NodeJS.ProcessEnv | string> {
  const env = { ...process.env };
  // CloudWatch metrics are for the scheduled task; locally they would only add lines.
  env['POWERTOOLS_METRICS_DISABLED'] ??= 'true';
  if (env['COGNITO_USER_POOL_ID']) return env;
  const settings = await readPipelineSettings();
  if (settings === undefined) {
    return (
      'reconcile: no pool to reconcile. Start the local pipeline with `npm start` (it writes ' +
      `${LOCAL_PIPELINE_FILE}), or set COGNITO_USER_POOL_ID and the database (DATABASE_URL).`
    );
  }
  const databaseUrl = env['DATABASE_URL'] || settings.databaseUrl;
  if (!databaseUrl) {
    return (
      'reconcile: the local pipeline keeps its embedded database inside the API process, which ' +
      'no second client can open; start it with DATABASE_URL set to reconcile it.'
    );
  }
  return {
    ...env,
    COGNITO_USER_POOL_ID: settings.userPoolId,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: settings.cognitoEndpoint,
    AWS_REGION: env['AWS_REGION'] || settings.region,
    // The local pool checks no signature, but the SDK will not sign without credentials.
    AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'] || 'local',
    AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'] || 'local',
    DATABASE_URL: databaseUrl,
  };
}

async function main(): Promise<number> {
  const env = await environment();
  if (typeof env === 'string') {
    process.stderr.write(`${env}\n`);
    process.stdout.write(
      `${JSON.stringify({ scanned: 0, created: 0, updated: 0, markedDeleted: 0, unchanged: 0, dryRun: process.argv.includes('--dry-run') })}\n`,
    );
    return 2;
  }
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  return runReconciler({ argv: process.argv.slice(2), env, signal: stop.signal });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`reconcile: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
