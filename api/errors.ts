import type { ApiErrorCode } from '#contract/user';

export interface AppErrorOptions {
  /** Whether the same request may succeed later (a client may retry). */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * The one error type the API turns into responses: a stable code for clients, the HTTP status,
 * and whether a retry can help. Anything else that reaches the error handler is a bug (500).
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly retryable: boolean;

  constructor(
    readonly code: ApiErrorCode,
    readonly httpStatus: number,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

export class InvalidRequestError extends AppError {
  override name = 'InvalidRequestError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('invalid_request', 400, message);
  }
}

export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  constructor() {
    // Deliberately vague: which part of the check failed is no business of the caller.
    super('forbidden', 403, 'forbidden');
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor() {
    super('not_found', 404, 'no such route');
  }
}

export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `request body exceeds ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError';
  constructor(message = 'content-type must be application/json') {
    super('unsupported_media_type', 415, message);
  }
}

export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError';
  constructor(message: string, cause?: unknown) {
    super('unavailable', 503, message, { retryable: true, cause });
  }
}

/** A defect (a failing statement, a broken invariant): logged at error with its cause; 500. */
export class InternalError extends AppError {
  override name = 'InternalError';
  constructor(message: string, cause?: unknown) {
    super('internal', 500, message, { cause });
  }
}
