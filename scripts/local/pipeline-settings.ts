import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Connection settings of a running `npm start`, for `npm run signup`, `npm run dlq:redrive` and a
 * reconciler reading the local pool.
 */
export interface LocalPipelineSettings {
  apiUrl: string;
  queueUrl: string;
  dlqUrl: string;
  sqsEndpoint: string;
  headerName: string;
  headerSecret: string;
  region: string;
  /** The local user pool's Cognito Identity Provider endpoint. */
  cognitoEndpoint: string;
  userPoolId: string;
  userPoolClientId: string;
  /** The code the local pool sends with every sign-up (for ConfirmSignUp). */
  confirmationCode: string;
  /** The local Lambda Invoke endpoint of the PostConfirmation trigger (and its invocation log). */
  lambdaEndpoint: string;
  /**
   * The database the API uses: DATABASE_URL, or the embedded database `npm start` serves on a
   * loopback port (its URL holds a password made for the run). Absent when an external API
   * (API_URL) was given and no DATABASE_URL.
   */
  databaseUrl?: string;
}

/** `.data/local-pipeline.json` under the project root (the working directory of npm scripts). */
export const LOCAL_PIPELINE_FILE = path.join('.data', 'local-pipeline.json');

/** Writes the settings readable by the owner only: the file holds the header secret. */
export async function writePipelineSettings(
  settings: LocalPipelineSettings,
  file = LOCAL_PIPELINE_FILE,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  // `mode` only applies when the file is created; a leftover from a crashed run keeps its own.
  await chmod(file, 0o600);
}

/** The running pipeline's settings, or undefined when `npm start` is not running. */
export async function readPipelineSettings(
  file = LOCAL_PIPELINE_FILE,
): Promise<LocalPipelineSettings | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as LocalPipelineSettings;
}

export async function removePipelineSettings(file = LOCAL_PIPELINE_FILE): Promise<void> {
  await rm(file, { force: true });
}
