import type { RequestHandler } from 'express';
import { isAcceptedHeaderValue } from '#contract/auth-header';
import type { HeaderSecretSource } from '#contract/header-secret-source';
import type { Logger } from '#contract/logger';
import { ForbiddenError, ServiceUnavailableError } from './errors';
import type { SourceAddressPolicy } from './source-address-policy';

export interface SenderGuardOptions {
  headerName: string;
  secrets: HeaderSecretSource;
  /** The addresses allowed to register; undefined = no address check (local runs). */
  sourceAddresses: SourceAddressPolicy | undefined;
  logger: Logger;
}

/**
 * Which check turned a registration away, for the log only: the response never says.
 * `source_address` with a right header is the one to worry about (the header value is known
 * outside the senders, and something in front of the API let the request through).
 */
export type RefusalReason = 'source_address' | 'header' | 'source_address_and_header';

async function headerIsAccepted(
  presented: string | string[] | undefined,
  secrets: HeaderSecretSource,
): Promise<boolean> {
  if (isAcceptedHeaderValue(presented, await secrets.acceptedValues())) return true;
  // A sender may already hold a freshly rotated value that our cache has not seen yet.
  if (presented !== undefined && (await secrets.refresh())) {
    return isAcceptedHeaderValue(presented, await secrets.acceptedValues());
  }
  return false;
}

/**
 * Route-level middleware: lets a request through only when the shared header carries one of the
 * accepted values (current or previous) AND, when an allow-list is configured, the client
 * address is on it. The address is `req.ip`: express reads it from `X-Forwarded-For` as far as
 * `trust proxy` allows (the entry the load balancer appended), so a client cannot choose it by
 * sending its own header; anything there that is not an address is simply not allowed.
 *
 * Both checks run on every request and only then is the answer decided, so the time to a 403
 * does not depend on which check failed. (The header check may re-read the secret after a
 * mismatch; that depends on the header alone, whatever the address.) Every refusal gets the
 * same 403 body. Mounted on the registration route itself, the guard runs for every spelling of
 * the path the router sends to the handler (`/USER`, `/user/`).
 */
export function requireTrustedSender(options: SenderGuardOptions): RequestHandler {
  const { headerName, secrets, sourceAddresses, logger } = options;
  return async (req, res, next) => {
    const sourceAddress = req.ip;
    const addressAllowed = sourceAddresses === undefined || sourceAddresses.allows(sourceAddress);
    let headerAccepted: boolean;
    try {
      headerAccepted = await headerIsAccepted(req.headers[headerName], secrets);
    } catch (error) {
      return next(new ServiceUnavailableError('header secret unavailable, retry later', error));
    }
    if (addressAllowed && headerAccepted) return next();
    const reason: RefusalReason = addressAllowed
      ? 'header'
      : headerAccepted
        ? 'source_address'
        : 'source_address_and_header';
    // Never the header value: only which check failed and the address the proxy reported (cut
    // short: with a misconfigured hop count it is whatever the client sent).
    logger.warn(
      { requestId: res.locals.requestId, reason, sourceAddress: sourceAddress?.slice(0, 64) },
      'registration refused',
    );
    return next(new ForbiddenError());
  };
}
