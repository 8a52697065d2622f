import express, { type Express } from 'express';
import type { HeaderSecretSource } from '#contract/header-secret-source';
import type { Logger } from '#contract/logger';
import type { RegistrationResponse } from '#contract/user';
import { parseRegistration } from '#contract/registration';
import { REGISTRATION_MAX_BYTES } from '#contract/registration-limits';
import { requireTrustedSender } from './auth-guard';
import { errorHandler } from './error-handler';
import { InvalidRequestError, NotFoundError, UnsupportedMediaTypeError } from './errors';
import type { RegistrationService } from './registration-service';
import { requestLogging } from './request-logging';
import { DEFAULT_TRUSTED_PROXY_HOPS, type SourceAddressPolicy } from './source-address-policy';
import type { UserRepository } from './user-repository';

export interface AppDependencies {
  registrations: RegistrationService;
  users: Pick<UserRepository, 'checkReachable'>;
  headerSecrets: HeaderSecretSource;
  authHeaderName: string;
  logger: Logger;
  /** Who may register, by client address. @default no address check */
  sourceAddresses?: SourceAddressPolicy;
  /** Proxies whose `X-Forwarded-For` entries are believed. @default DEFAULT_TRUSTED_PROXY_HOPS */
  trustedProxyHops?: number;
}

/**
 * The HTTP entry point. Routing is explicit about what WAF must mirror: paths match
 * case-insensitively and with an optional trailing slash (express defaults, set here on purpose).
 * The registration route runs guard (header and source address) → content type → size-limited
 * JSON → schema, so an unauthenticated caller is turned away before its body is read.
 */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Responses to POSTs and probes are never revalidated; hashing every body would be wasted work.
  app.set('etag', false);
  app.set('case sensitive routing', false);
  app.set('strict routing', false);
  // A hop count, not `true`: `req.ip` is then the address the last trusted proxy appended, never
  // an entry the client wrote itself further left (see TRUSTED_PROXY_HOPS).
  app.set('trust proxy', deps.trustedProxyHops ?? DEFAULT_TRUSTED_PROXY_HOPS);
  app.use(requestLogging(deps.logger));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const readiness = await deps.users.checkReachable();
    if (readiness.reachable) {
      res.json({ status: 'ready' });
      return;
    }
    // The answer stays generic; the reason (driver message, timeout) is for the operator's log.
    deps.logger.warn(
      { requestId: res.locals.requestId, reason: readiness.reason, err: readiness.cause },
      'not ready: database unreachable',
    );
    res.status(503).json({ error: { code: 'unavailable', message: 'database unreachable' } });
  });

  app.post(
    '/user',
    requireTrustedSender({
      headerName: deps.authHeaderName,
      secrets: deps.headerSecrets,
      sourceAddresses: deps.sourceAddresses,
      logger: deps.logger,
    }),
    (req, _res, next) => {
      next(req.is('application/json') ? undefined : new UnsupportedMediaTypeError());
    },
    express.json({ limit: REGISTRATION_MAX_BYTES, strict: true, type: 'application/json' }),
    async (req, res) => {
      const parsed = parseRegistration(req.body);
      if (!parsed.ok) throw new InvalidRequestError(parsed.message, parsed.field);
      res.locals.sub = parsed.registration.sub;
      const { user, change } = await deps.registrations.register(parsed.registration);
      res.locals.change = change;
      const body: RegistrationResponse = { change, user };
      res.status(change === 'created' ? 201 : 200).json(body);
    },
  );

  app.use((_req, _res, next) => {
    next(new NotFoundError());
  });
  app.use(errorHandler(deps.logger));
  return app;
}
