import type { Knex } from 'knex';
import {
  secretsManagerHeaderSecretSource,
  staticHeaderSecretSource,
  type HeaderSecretSource,
} from '#contract/header-secret-source';
import type { Logger } from '#contract/logger';
import { migratorConfig } from '../migrations/index';
import type { ApiConfig, HeaderSecretsConfig } from './config';
import { createApp } from './create-app';
import { openDatabase } from './database';
import { listen } from './http-server';
import { createRegistrationService } from './registration-service';
import { createSourceAddressPolicy } from './source-address-policy';
import { createUserRepository } from './user-repository';

export interface RunningApi {
  url: string;
  port: number;
  db: Knex;
  /** Graceful stop: stop accepting, finish in-flight requests, then close the database. */
  stop(): Promise<void>;
}

export interface StartApiOptions {
  config: Readonly<ApiConfig>;
  logger: Logger;
  /** An already open database (tests); otherwise one is opened from `config.database`. */
  db?: Knex;
  /** Overrides the header secret source built from config (tests). */
  headerSecrets?: HeaderSecretSource;
}

function headerSecretSourceFor(config: HeaderSecretsConfig): HeaderSecretSource {
  return config.kind === 'static'
    ? staticHeaderSecretSource(config.acceptedHeaderValues)
    : secretsManagerHeaderSecretSource({ secretArn: config.secretArn });
}

/** Wires database, repository, service and HTTP app, and starts listening. */
export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const { config, logger } = options;
  const ownsDb = options.db === undefined;
  const db = options.db ?? openDatabase(config.database, logger);
  try {
    if (config.migrateOnStart) {
      const [, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }
    const users = createUserRepository(db);
    const app = createApp({
      registrations: createRegistrationService(users),
      users,
      headerSecrets: options.headerSecrets ?? headerSecretSourceFor(config.headerSecrets),
      authHeaderName: config.authHeaderName,
      logger,
      ...(config.allowedSourceRanges
        ? { sourceAddresses: createSourceAddressPolicy(config.allowedSourceRanges) }
        : {}),
      trustedProxyHops: config.trustedProxyHops,
    });
    const server = await listen(app, {
      port: config.port,
      host: config.host,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    });
    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      db,
      stop: () => {
        stopping ??= (async () => {
          await server.close();
          if (ownsDb) await db.destroy();
        })();
        return stopping;
      },
    };
  } catch (error) {
    if (ownsDb) await db.destroy().catch(() => undefined);
    throw error;
  }
}
