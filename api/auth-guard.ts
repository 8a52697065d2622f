import type { RequestHandler } from 'express';
import { isAcceptedHeaderValue } from '#contract/auth-header';
import type { HeaderSecretSource } from '#contract/header-secret-source';
import { ForbiddenError, ServiceUnavailableError } from './errors';

/**
 * Route-level middleware: rejects a request unless the shared header carries one of the accepted
 * values (current or previous). Mounted on the registration route itself, it runs for every
 * spelling of the path that the router sends to the handler (`/USER`, `/user/`), which a check
 * on the literal path would miss.
 */
export function requireAuthHeader(headerName: string, secrets: HeaderSecretSource): RequestHandler {
  return async (req, _res, next) => {
    const presented = req.headers[headerName];
    try {
      if (isAcceptedHeaderValue(presented, await secrets.acceptedValues())) return next();
      // A sender may already hold a freshly rotated value that our cache has not seen yet.
      if (presented !== undefined && (await secrets.refresh())) {
        if (isAcceptedHeaderValue(presented, await secrets.acceptedValues())) return next();
      }
    } catch (error) {
      return next(new ServiceUnavailableError('header secret unavailable, retry later', error));
    }
    return next(new ForbiddenError());
  };
}
