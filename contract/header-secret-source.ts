import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { acceptedValuesOf, parseHeaderSecretDocument } from './auth-header';

/**
 * Where the shared header value comes from. Senders (producer, consumer) send `currentValue()`;
 * the API accepts any of `acceptedValues()`. `refresh()` re-reads the source after a mismatch,
 * so a rotation is picked up before the cache would expire on its own.
 */
export interface HeaderSecretSource {
  acceptedValues(): Promise<readonly string[]>;
  currentValue(): Promise<string>;
  /**
   * Re-reads the source; returns false when throttled (refreshed too recently). Concurrent calls
   * share one re-read.
   */
  refresh(): Promise<boolean>;
}

/** Values fixed at start-up (local development, tests): current first. */
export function staticHeaderSecretSource(
  acceptedHeaderValues: readonly string[],
): HeaderSecretSource {
  const [current] = acceptedHeaderValues;
  if (current === undefined) throw new Error('at least one header value is required');
  const frozen = Object.freeze([...acceptedHeaderValues]);
  return {
    acceptedValues: () => Promise.resolve(frozen),
    currentValue: () => Promise.resolve(current),
    refresh: () => Promise.resolve(false),
  };
}

export interface SecretsManagerHeaderSecretOptions {
  secretArn: string;
  /** How long a fetched value is trusted before it is read again. @default 300 */
  maxAgeSeconds?: number;
  /** Minimum time between forced refreshes after a mismatch. @default 30 */
  minRefreshIntervalSeconds?: number;
  client?: SecretsManagerClient;
}

/**
 * The header values kept in Secrets Manager as `{"current": "...", "previous": "..."}`, cached by
 * the Powertools parameters utility. One fetch per container for a Lambda; periodic refresh for
 * long-running services.
 */
export function secretsManagerHeaderSecretSource(
  options: SecretsManagerHeaderSecretOptions,
): HeaderSecretSource {
  const provider = options.client
    ? new SecretsProvider({ awsSdkV3Client: options.client })
    : new SecretsProvider();
  const maxAge = options.maxAgeSeconds ?? 300;
  const minRefreshIntervalMs = (options.minRefreshIntervalSeconds ?? 30) * 1000;
  let lastForcedRefreshAt = 0;
  // Right after a rotation several requests with the new value can miss the cache at once; they
  // all wait for the one re-read instead of being refused as throttled.
  let refreshInFlight: Promise<boolean> | undefined;

  const read = async (forceFetch: boolean): Promise<readonly string[]> => {
    const secretString = await provider.get(options.secretArn, { maxAge, forceFetch });
    if (typeof secretString !== 'string') throw new Error('header secret has no string value');
    return acceptedValuesOf(parseHeaderSecretDocument(secretString));
  };

  return {
    acceptedValues: () => read(false),
    currentValue: async () => {
      const [current] = await read(false);
      if (current === undefined) throw new Error('header secret has no current value');
      return current;
    },
    refresh: () => {
      if (refreshInFlight) return refreshInFlight;
      const now = Date.now();
      if (now - lastForcedRefreshAt < minRefreshIntervalMs) return Promise.resolve(false);
      lastForcedRefreshAt = now;
      refreshInFlight = read(true)
        .then(() => true)
        .finally(() => {
          refreshInFlight = undefined;
        });
      return refreshInFlight;
    },
  };
}

/** Where a sender (producer, consumer) takes the header value from. */
export type SenderHeaderSecretSetting =
  { kind: 'static'; value: string } | { kind: 'secrets-manager'; secretArn: string };

/** The source a sender's configuration names; `client` lets a Lambda tune its SDK retries. */
export function senderHeaderSecretSource(
  setting: SenderHeaderSecretSetting,
  client?: SecretsManagerClient,
): HeaderSecretSource {
  return setting.kind === 'static'
    ? staticHeaderSecretSource([setting.value])
    : secretsManagerHeaderSecretSource({
        secretArn: setting.secretArn,
        ...(client ? { client } : {}),
      });
}
