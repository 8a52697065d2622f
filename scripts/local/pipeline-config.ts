import { z } from 'zod';
import { envFields, parseEnv } from '#contract/config';
import { MAX_RECEIVE_COUNT } from '#contract/delivery';
import { DEFAULT_LOCAL_SQS_PORT } from './local-sqs';

/** `npm start`'s own settings, read once from its environment. */
export interface LocalPipelineConfig {
  /** The API child's port. */
  apiPort: number;
  /** The in-process SQS server's port (0 picks a free one). */
  sqsPort: number;
  /** The port the embedded database is served on (0, the default, picks a free one). */
  databasePort: number;
  /** Receives before the local queue moves a message to its DLQ. */
  maxReceiveCount: number;
  /** Pause before a dead API child is started again (the outage drill's length). */
  apiRestartDelayMs: number;
  headerName: string;
}

const schema = z.object({
  PORT: envFields.port.default(3000),
  LOCAL_SQS_PORT: envFields.port.default(DEFAULT_LOCAL_SQS_PORT),
  LOCAL_DATABASE_PORT: envFields.port.default(0),
  LOCAL_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(MAX_RECEIVE_COUNT),
  LOCAL_API_RESTART_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  AUTH_HEADER_NAME: envFields.authHeaderName,
});

/**
 * Reads and validates the local pipeline's settings. Throws ConfigError naming each bad
 * variable. Settings of the services themselves (the API's, the consumer's) are left to them.
 */
export function loadLocalPipelineConfig(env: NodeJS.ProcessEnv = process.env): LocalPipelineConfig {
  const vars = parseEnv(schema, env);
  return Object.freeze({
    apiPort: vars.PORT,
    sqsPort: vars.LOCAL_SQS_PORT,
    databasePort: vars.LOCAL_DATABASE_PORT,
    maxReceiveCount: vars.LOCAL_MAX_RECEIVE_COUNT,
    apiRestartDelayMs: vars.LOCAL_API_RESTART_DELAY_MS,
    headerName: vars.AUTH_HEADER_NAME,
  });
}
