import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { staticHeaderSecretSource } from '#contract/header-secret-source';
import { loadConfig } from '../../api/config';
import { createApp } from '../../api/create-app';
import type { RegistrationService } from '../../api/registration-service';
import { createSourceAddressPolicy } from '../../api/source-address-policy';
import { newRegistration } from '../../fixtures/registrations';
import { memoryLogStream } from './memory-log-stream';

export interface GuardedAppOptions {
  acceptedHeaderValues: readonly string[];
  /** `ALLOWED_SOURCE_IPS` as the environment holds it; undefined = unset. */
  allowedSourceIps?: string;
  /** `TRUSTED_PROXY_HOPS` as the environment holds it; undefined = the default. */
  trustedProxyHops?: string;
}

export interface GuardedAnswer {
  status: number;
  /** The body exactly as sent, for byte-for-byte comparisons. */
  rawBody: string;
  contentType: string | undefined;
  requestId: string | undefined;
}

export interface GuardedApp {
  port: number;
  /**
   * POSTs a fresh registration from 127.0.0.1 with `x-custom-auth: headerValue` and
   * `X-Forwarded-For: forwardedFor` exactly as given (each left out when undefined).
   */
  register(request: { forwardedFor?: string; headerValue?: string }): Promise<GuardedAnswer>;
  /** Every line the app logged so far. */
  logLines(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Stores nothing: answers every registration as created, as the real service would. */
const acceptingRegistrations: RegistrationService = {
  register: (registration) => {
    const now = new Date().toISOString();
    return Promise.resolve({
      change: 'created',
      user: {
        sub: registration.sub,
        email: registration.email,
        username: registration.username,
        userPoolId: registration.userPoolId,
        attributes: registration.attributes,
        source: registration.source,
        createdAt: now,
        updatedAt: now,
        observedAt: registration.observedAt ?? now,
        deletedAt: null,
      },
    });
  },
};

/**
 * The real API app (router, sender guard, error handler) on 127.0.0.1, port 0, configured from
 * environment values through the API's own `loadConfig`, with a registration service that stores
 * nothing: what the guard decides, without a database.
 */
export async function startGuardedApp(options: GuardedAppOptions): Promise<GuardedApp> {
  const config = loadConfig({
    AUTH_HEADER_SECRETS: options.acceptedHeaderValues.join(','),
    ...(options.allowedSourceIps === undefined
      ? {}
      : { ALLOWED_SOURCE_IPS: options.allowedSourceIps }),
    ...(options.trustedProxyHops === undefined
      ? {}
      : { TRUSTED_PROXY_HOPS: options.trustedProxyHops }),
  });
  const logs = memoryLogStream();
  const app = createApp({
    registrations: acceptingRegistrations,
    users: { checkReachable: () => Promise.resolve({ reachable: true }) },
    headerSecrets: staticHeaderSecretSource(options.acceptedHeaderValues),
    authHeaderName: config.authHeaderName,
    logger: pino({ level: 'info' }, logs.stream),
    ...(config.allowedSourceRanges
      ? { sourceAddresses: createSourceAddressPolicy(config.allowedSourceRanges) }
      : {}),
    trustedProxyHops: config.trustedProxyHops,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: false });

  return {
    port,
    register: ({ forwardedFor, headerValue }) =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify(newRegistration());
        const request = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/user',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              ...(headerValue === undefined ? {} : { [config.authHeaderName]: headerValue }),
              ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const requestId = response.headers['x-request-id'];
              resolve({
                status: response.statusCode ?? 0,
                rawBody: Buffer.concat(chunks).toString('utf8'),
                contentType: response.headers['content-type'],
                requestId: typeof requestId === 'string' ? requestId : undefined,
              });
            });
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.end(body);
      }),
    logLines: logs.lines,
    close: async () => {
      agent.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
