import * as z from 'zod';
import { apiUrlTransportProblem, ConfigError, envFields, parseEnv } from '#contract/config';
import type { SenderHeaderSecretSetting } from '#contract/header-secret-source';

const envSchema = z.object({
  API_URL: envFields.httpUrl,
  ALLOW_PLAIN_HTTP_API: envFields.allowPlainHttpApi,
  QUEUE_URL: envFields.httpUrl,
  AUTH_HEADER_NAME: envFields.authHeaderName,
  AUTH_HEADER_SECRET: envFields.headerSecret.optional(),
  AUTH_SECRET_ARN: envFields.secretArn.optional(),
  API_TIMEOUT_MS: envFields.positiveInt(1500),
  BREAKER_OPEN_MS: envFields.positiveInt(30_000),
});

/** Where the header value to send comes from: a local value, or the Secrets Manager secret. */
export type ProducerHeaderSecretConfig = SenderHeaderSecretSetting;

export interface ProducerConfig {
  /** Base URL of the API; registrations go to `${apiUrl}/user`. */
  apiUrl: string;
  /** The fallback queue (`QUEUE_URL`). The SQS endpoint itself comes from the SDK's own settings. */
  registrationQueueUrl: string;
  authHeaderName: string;
  headerSecret: ProducerHeaderSecretConfig;
  /** Upper bound for the API attempt; the Lambda deadline may shorten it further. */
  apiTimeoutMs: number;
  /** How long a warm container skips the API after seeing it fail. */
  breakerOpenMs: number;
}

/**
 * Reads and validates the producer's environment. Throws ConfigError naming the variable at
 * fault (never its value). `AWS_ENDPOINT_URL_SQS` and `AWS_REGION` are read by the SDK itself.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ProducerConfig> {
  const vars = parseEnv(envSchema, env);

  const transportProblem = apiUrlTransportProblem(vars.API_URL, vars.ALLOW_PLAIN_HTTP_API);
  if (transportProblem) throw new ConfigError(`Invalid configuration: ${transportProblem}`);
  if (vars.AUTH_HEADER_SECRET && vars.AUTH_SECRET_ARN) {
    throw new ConfigError(
      'Invalid configuration: AUTH_HEADER_SECRET and AUTH_SECRET_ARN are exclusive; set one',
    );
  }
  let headerSecret: ProducerHeaderSecretConfig;
  if (vars.AUTH_HEADER_SECRET) {
    headerSecret = { kind: 'static', value: vars.AUTH_HEADER_SECRET };
  } else if (vars.AUTH_SECRET_ARN) {
    headerSecret = { kind: 'secrets-manager', secretArn: vars.AUTH_SECRET_ARN };
  } else {
    throw new ConfigError(
      'Invalid configuration: AUTH_HEADER_SECRET (32+ characters) or AUTH_SECRET_ARN is required',
    );
  }

  return Object.freeze({
    apiUrl: vars.API_URL,
    registrationQueueUrl: vars.QUEUE_URL,
    authHeaderName: vars.AUTH_HEADER_NAME,
    headerSecret: Object.freeze(headerSecret),
    apiTimeoutMs: vars.API_TIMEOUT_MS,
    breakerOpenMs: vars.BREAKER_OPEN_MS,
  });
}
