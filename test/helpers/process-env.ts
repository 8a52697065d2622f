import { ConfigError } from '#contract/config';

/** Every variable the producer (and the AWS SDK inside it) reads from its process. */
export const PRODUCER_ENV_NAMES = [
  'API_URL',
  'QUEUE_URL',
  'AUTH_HEADER_NAME',
  'AUTH_HEADER_SECRET',
  'AUTH_SECRET_ARN',
  'API_TIMEOUT_MS',
  'BREAKER_OPEN_MS',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_DISABLED',
] as const;

export type ProducerEnvName = (typeof PRODUCER_ENV_NAMES)[number];

/**
 * Removes the named variables from this process (tests that load in-process code configured by
 * the environment) and returns a function that puts the previous values back.
 */
export function isolateEnv(names: readonly string[]): () => void {
  const saved = new Map(names.map((name) => [name, process.env[name]] as const));
  for (const name of names) delete process.env[name];
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** The ConfigError a config loader throws; fails the test if it throws nothing or another error. */
export function configErrorFrom(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
