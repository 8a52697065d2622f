/**
 * cognito-local as a process of its own, as `npm start` runs it. It reads its configuration and
 * keeps its pools under `.cognito/` in its working directory, so this process moves into
 * LOCAL_COGNITO_DIR (written beforehand by `local-user-pool.ts`) before starting it. Its log goes
 * to stderr at LOCAL_COGNITO_LOG_LEVEL (default warn; at info it prints every confirmation code).
 */
import type { AddressInfo } from 'node:net';
import { createDefaultServer } from 'cognito-local';
import pino from 'pino';
import * as z from 'zod';
import { envFields, parseEnv } from '#contract/config';
import { reportReady, stopWithParent } from './parent-link';

const settings = parseEnv(
  z.object({
    LOCAL_COGNITO_DIR: z.string().min(1),
    LOCAL_COGNITO_LOG_LEVEL: envFields.logLevel.default('warn'),
  }),
  process.env,
);

async function main(): Promise<void> {
  process.chdir(settings.LOCAL_COGNITO_DIR);
  const logger = pino({ level: settings.LOCAL_COGNITO_LOG_LEVEL }, pino.destination(2));
  // cognito-local is typed against its own (older) pino; the logger API it calls is the same.
  const server = await createDefaultServer(
    logger as unknown as Parameters<typeof createDefaultServer>[0],
  );
  const http = await server.start();
  stopWithParent(
    () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  );
  reportReady((http.address() as AddressInfo).port);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[local-user-pool] ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
