import { z } from 'zod';
import {
  apiUrlTransportProblem,
  ConfigError,
  envFields,
  headerSourceProblem,
  parseEnv,
} from '#contract/config';
import type { SenderHeaderSecretSetting } from '#contract/header-secret-source';
import {
  DEFAULT_BACKOFF_BASE_SECONDS,
  DEFAULT_BACKOFF_MAX_SECONDS,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
} from './backoff';

export interface ConsumerConfig {
  registrationQueueUrl: string;
  deadLetterQueueUrl: string;
  apiUrl: string;
  headerName: string;
  /** Where the header value to send comes from. */
  headerSecret: SenderHeaderSecretSetting;
  /** Cap on one delivery attempt, connection to last byte. */
  apiTimeoutMs: number;
  /** Deliveries in flight at once, across all receive loops. */
  deliveryConcurrency: number;
  /** Messages per ReceiveMessage call (1-10). */
  receiveBatchSize: number;
  /** Long-poll duration (0-20). */
  receiveWaitSeconds: number;
  backoff: { baseSeconds: number; maxSeconds: number };
  /** How long a stop waits for in-flight work; keep it below the orchestrator's stop timeout. */
  stopTimeoutMs: number;
  /** Loopback port of the liveness endpoint the container health check calls; none when unset. */
  healthPort: number | undefined;
  /** While paused for an API outage: time between two probes of GET /readyz. */
  apiProbeIntervalMs: number;
  logLevel: string;
}

const queueUrl = z.url({ protocol: /^https?$/, message: 'must be an SQS queue URL (http(s))' });

const schema = z.object({
  QUEUE_URL: queueUrl,
  DLQ_URL: queueUrl,
  API_URL: envFields.httpUrl,
  ALLOW_PLAIN_HTTP_API: envFields.allowPlainHttpApi,
  AUTH_HEADER_NAME: envFields.authHeaderName,
  AUTH_HEADER_SECRET: envFields.headerSecret.optional(),
  AUTH_SECRET_ARN: envFields.secretArn.optional(),
  API_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(10),
  RECEIVE_BATCH_SIZE: z.coerce.number().int().min(1).max(10).default(10),
  RECEIVE_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).default(20),
  BACKOFF_BASE_SECONDS: z.coerce.number().int().min(1).default(DEFAULT_BACKOFF_BASE_SECONDS),
  BACKOFF_MAX_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_VISIBILITY_TIMEOUT_SECONDS)
    .default(DEFAULT_BACKOFF_MAX_SECONDS),
  STOP_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(25_000),
  HEALTH_PORT: envFields.port.optional(),
  // At most 5 s, so delivery resumes within seconds of the API's return.
  API_PROBE_INTERVAL_MS: z.coerce.number().int().min(100).max(5000).default(1000),
  LOG_LEVEL: envFields.logLevel,
});

/**
 * Reads and validates the consumer's environment once, at start-up. Throws ConfigError naming
 * each bad variable (never echoing a secret).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ConsumerConfig> {
  const parsed = parseEnv(schema, env);

  const problems: string[] = [];
  const transportProblem = apiUrlTransportProblem(parsed.API_URL, parsed.ALLOW_PLAIN_HTTP_API);
  if (transportProblem) problems.push(transportProblem);
  const headerProblem = headerSourceProblem('AUTH_HEADER_SECRET', {
    value: parsed.AUTH_HEADER_SECRET,
    secretArn: parsed.AUTH_SECRET_ARN,
  });
  if (headerProblem !== undefined) problems.push(headerProblem);
  if (parsed.BACKOFF_MAX_SECONDS < parsed.BACKOFF_BASE_SECONDS) {
    problems.push('BACKOFF_MAX_SECONDS: must not be below BACKOFF_BASE_SECONDS');
  }
  if (parsed.QUEUE_URL === parsed.DLQ_URL) {
    problems.push('DLQ_URL: must differ from QUEUE_URL');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);

  const headerSecret: SenderHeaderSecretSetting =
    parsed.AUTH_HEADER_SECRET !== undefined
      ? { kind: 'static', value: parsed.AUTH_HEADER_SECRET }
      : { kind: 'secrets-manager', secretArn: parsed.AUTH_SECRET_ARN ?? '' };

  return Object.freeze({
    registrationQueueUrl: parsed.QUEUE_URL,
    deadLetterQueueUrl: parsed.DLQ_URL,
    apiUrl: parsed.API_URL,
    headerName: parsed.AUTH_HEADER_NAME,
    headerSecret: Object.freeze(headerSecret),
    apiTimeoutMs: parsed.API_TIMEOUT_MS,
    deliveryConcurrency: parsed.DELIVERY_CONCURRENCY,
    receiveBatchSize: parsed.RECEIVE_BATCH_SIZE,
    receiveWaitSeconds: parsed.RECEIVE_WAIT_SECONDS,
    backoff: Object.freeze({
      baseSeconds: parsed.BACKOFF_BASE_SECONDS,
      maxSeconds: parsed.BACKOFF_MAX_SECONDS,
    }),
    stopTimeoutMs: parsed.STOP_TIMEOUT_MS,
    healthPort: parsed.HEALTH_PORT,
    apiProbeIntervalMs: parsed.API_PROBE_INTERVAL_MS,
    logLevel: parsed.LOG_LEVEL,
  });
}

/** The configuration as it may be logged: everything except the header value. */
export function describeConfig(config: ConsumerConfig): Record<string, unknown> {
  const { headerSecret, ...rest } = config;
  return { ...rest, headerSecret: headerSecret.kind };
}
