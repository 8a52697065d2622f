import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '#contract/logger';

const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (the caller's `x-request-id` when it is sane) and logs one line when
 * the response is finished: method, path, status, duration, and the `sub` once the handler knows
 * it. Headers are never logged, so the shared secret cannot leak through here.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      const line = {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
        sub: typeof res.locals.sub === 'string' ? res.locals.sub : undefined,
        change: typeof res.locals.change === 'string' ? res.locals.change : undefined,
        errorCode: typeof res.locals.errorCode === 'string' ? res.locals.errorCode : undefined,
      };
      if (res.statusCode >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request');
    });
    next();
  };
}
