import type { ErrorRequestHandler } from 'express';
import type { Logger } from '#contract/logger';
import type { ApiErrorBody } from '#contract/user';
import { REGISTRATION_MAX_BYTES } from '#contract/registration';
import {
  AppError,
  InvalidRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors';

/** body-parser signals its failures with a `type` string; translate the ones a client causes. */
function fromBodyParser(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const type = (error as { type?: unknown }).type;
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(REGISTRATION_MAX_BYTES);
    case 'entity.parse.failed':
      return new InvalidRequestError('body is not valid JSON', '(body)');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('charset must be utf-8');
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('content-encoding is not supported');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new InvalidRequestError('request body could not be read', '(body)');
    default:
      return undefined;
  }
}

/** The one place that turns errors into `{ error: { code, message } }` responses and logs them. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const appError = error instanceof AppError ? error : fromBodyParser(error);
    if (appError) {
      // An outage (retryable, 503) is expected weather; a 500 is a defect someone must fix.
      if (appError.httpStatus >= 500) {
        const level = appError.retryable ? 'warn' : 'error';
        logger[level](
          { requestId: res.locals.requestId, err: appError.cause ?? appError },
          appError.message,
        );
      }
      res.locals.errorCode = appError.code;
      if (appError.retryable) res.setHeader('retry-after', '1');
      const body: ApiErrorBody = { error: { code: appError.code, message: appError.message } };
      res.status(appError.httpStatus).json(body);
      return;
    }
    logger.error({ requestId: res.locals.requestId, err: error }, 'unexpected error');
    res.locals.errorCode = 'internal';
    const body: ApiErrorBody = { error: { code: 'internal', message: 'internal error' } };
    res.status(500).json(body);
  };
}
