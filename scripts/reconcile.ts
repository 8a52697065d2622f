/**
 * `npm run reconcile -- [--dry-run] [--force]`. With COGNITO_USER_POOL_ID set, the run is the one
 * the environment describes (as in AWS). Without it, it reconciles the running `npm start`: the
 * local pool and the database named in the settings it wrote (DATABASE_URL, or the embedded
 * database that `npm start` serves on a loopback port). `--settings-file <path>` reads the settings
 * of a pipeline started with the same option.
 */
import { LOCAL_PIPELINE_FILE, readPipelineSettings } from './local/pipeline-settings';
import { runReconciler } from '../reconciler/main';
import { emptySummary } from '../reconciler/reconcile';

/** Takes `--settings-file <path>` (or `=<path>`) out of the arguments meant for the reconciler. */
function takeSettingsFile(argv: readonly string[]): { settingsFile: string; rest: string[] } {
  const rest: string[] = [];
  let settingsFile = LOCAL_PIPELINE_FILE;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument === '--settings-file' && index + 1 < argv.length) {
      settingsFile = argv[index + 1] ?? settingsFile;
      index += 1;
    } else if (argument.startsWith('--settings-file=')) {
      settingsFile = argument.slice('--settings-file='.length);
    } else {
      rest.push(argument);
    }
  }
  return { settingsFile, rest };
}

async function environment(settingsFile: string): Promise<NodeJS.ProcessEnv | string> {
  const env = { ...process.env };
  // CloudWatch metrics are for the scheduled task; locally they would only add lines.
  env['POWERTOOLS_METRICS_DISABLED'] ??= 'true';
  if (env['COGNITO_USER_POOL_ID']) return env;
  const settings = await readPipelineSettings(settingsFile);
  if (settings === undefined) {
    return (
      'reconcile: no pool to reconcile. Start the local pipeline with `npm start` (it writes ' +
      `${settingsFile}), or set COGNITO_USER_POOL_ID and the database (DATABASE_URL).`
    );
  }
  const databaseUrl = env['DATABASE_URL'] || settings.databaseUrl;
  if (!databaseUrl) {
    return (
      'reconcile: the running local pipeline uses an external API (API_URL) and names no ' +
      'database; set DATABASE_URL to the database behind that API.'
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
  const { settingsFile, rest } = takeSettingsFile(process.argv.slice(2));
  const env = await environment(settingsFile);
  if (typeof env === 'string') {
    process.stderr.write(`${env}\n`);
    process.stdout.write(`${JSON.stringify(emptySummary(rest.includes('--dry-run')))}\n`);
    return 2;
  }
  // The AWS SDK (region, the local pool's endpoint, credentials) and the metrics switch read the
  // process's own environment, not the one handed to the reconciler's config.
  Object.assign(process.env, env);
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  return runReconciler({ argv: rest, env, signal: stop.signal });
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
