import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logger for the long-running services. Header values never reach a log line:
 * requests are logged field by field, and any stray `headers`/secret fields are censored.
 */
export function createServiceLogger(
  service: string,
  level: string = 'info',
  /** File descriptor: 1 (stdout) for services; 2 for commands whose stdout is their result. */
  fd: 1 | 2 = 1,
): Logger {
  // Asynchronous writes: under load, lines queue up behind the write in progress and leave in one
  // syscall instead of one each. pino flushes what is pending when the process exits.
  const destination = pino.destination({ dest: fd, sync: false });
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['headers', '*.headers', 'secret', '*.secret', 'headerValue', '*.headerValue'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
