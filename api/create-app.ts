import express, { type Express } from 'express';
import type { HeaderSecretSource } from '#contract/header-secret-source';
import type { Logger } from '#contract/logger';
import type { RegistrationResponse } from '#contract/user';
import { parseRegistration, REGISTRATION_MAX_BYTES } from '#contract/registration';
import { requireAuthHeader } from './auth-guard';
import { errorHandler } from './error-handler';
import { InvalidRequestError, NotFoundError, UnsupportedMediaTypeError } from './errors';
import type { RegistrationService } from './registration-service';
import { requestLogging } from './request-logging';
import type { UserRepository } from './user-repository';

export interface AppDependencies {
  registrations: RegistrationService;
  users: Pick<UserRepository, 'checkReachable'>;
  headerSecrets: HeaderSecretSource;
  authHeaderName: string;
  logger: Logger;
}

/**
 * The HTTP entry point. Routing is explicit about what WAF must mirror: paths match
 * case-insensitively and with an optional trailing slash (express defaults, set here on purpose).
 * The registration route runs guard → content type → size-limited JSON → schema, so an
 * unauthenticated caller is turned away before its body is read.
 */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Responses to POSTs and probes are never revalidated; hashing every body would be wasted work.
  app.set('etag', false);
  app.set('case sensitive routing', false);
  app.set('strict routing', false);
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
    requireAuthHeader(deps.authHeaderName, deps.headerSecrets),
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
