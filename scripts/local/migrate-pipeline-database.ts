/**
 * `npm run migrate` / `npm run migrate:rollback`: the migration runner (scripts/migrate.ts, also
 * the deployed `migrate` container's entry), pointed at the database of the running `npm start`
 * when the environment chooses none. The embedded database's files are then open in the
 * pipeline's process, and a second process must not open them too; the pipeline serves them on
 * a loopback port instead (`databaseUrl` in its settings file).
 */
import { LOCAL_PIPELINE_FILE, readPipelineSettings } from './pipeline-settings';

/** Variables that choose a database; with none of them set, the embedded default is meant. */
const DATABASE_CHOICES = [
  'DATABASE_URL',
  'DATABASE_SECRET_ARN',
  'DATABASE_CREDENTIALS',
  'PGLITE_DATA_DIR',
] as const;

async function pointAtRunningPipeline(env: NodeJS.ProcessEnv): Promise<void> {
  if (DATABASE_CHOICES.some((name) => env[name])) return;
  const databaseUrl = (await readPipelineSettings())?.databaseUrl;
  if (databaseUrl === undefined) return;
  process.stderr.write(
    `migrate: the database of the running local pipeline (${LOCAL_PIPELINE_FILE}); if it is ` +
      'not running any more, delete that file to migrate the embedded database directly\n',
  );
  env['DATABASE_URL'] = databaseUrl;
}

// The runner reads its command from argv and its settings from the environment when loaded.
pointAtRunningPipeline(process.env)
  .then(() => import('../migrate'))
  .catch((error: unknown) => {
    process.stderr.write(`migrate: ${String(error)}\n`);
    process.exit(1);
  });
