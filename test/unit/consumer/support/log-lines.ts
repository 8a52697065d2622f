import pino, { type Logger } from 'pino';
import { memoryLogStream } from '../../../helpers/memory-log-stream';

/** A real pino logger whose JSON lines the test can read back. */
export function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const { stream, lines } = memoryLogStream();
  return { logger: pino({ level: 'debug' }, stream), lines };
}
