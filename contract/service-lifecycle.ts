import { ConfigError } from './config';
import type { Logger } from './logger';

/**
 * Stops a long-running service once, on the first SIGTERM or SIGINT, then exits 0 (1 if the
 * stop failed). Later signals change nothing: a terminal's Ctrl-C reaches the whole process
 * group, so a supervisor's SIGTERM often follows, and the default action would kill the process
 * in the middle of its drain.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.info({ signal }, 'already stopping');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Runs a service's start-up. A failure exits 1 with one line on stderr: a configuration error
 * names the variable (never its value); anything else is printed with its stack.
 */
export function runService(service: string, start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    const text =
      error instanceof ConfigError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`${service}: ${text}\n`);
    process.exit(1);
  });
}
