/**
 * cognito-local as a process of its own, as `npm start` runs it. It reads its configuration and
 * keeps its pools under `.cognito/` in its working directory, so this process moves into
 * LOCAL_COGNITO_DIR (written beforehand by `local-user-pool.ts`) before starting it, and serves it
 * on 127.0.0.1:LOCAL_COGNITO_PORT. Its log goes
 * to stderr at LOCAL_COGNITO_LOG_LEVEL (default warn; at info it prints every confirmation code).
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDefaultServer } from 'cognito-local';
import pino from 'pino';
import * as z from 'zod';
import { envFields, parseEnv } from '#contract/config';
import { reportReady, stopWithParent } from './parent-link';

const settings = parseEnv(
  z.object({
    LOCAL_COGNITO_DIR: z.string().min(1),
    LOCAL_COGNITO_PORT: envFields.port.default(0),
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
  // cognito-local saves a pool by rewriting its whole file without waiting for the previous
  // write, so overlapping requests can leave a corrupt file behind (the next start then fails).
  // Its app is served one request at a time instead; a request's trigger call is part of it.
  let previous = Promise.resolve();
  const http = createServer((request, response) => {
    previous = previous.then(
      () =>
        new Promise<void>((resolve) => {
          response.once('close', resolve);
          (server.application as RequestListener)(request, response);
        }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(settings.LOCAL_COGNITO_PORT, '127.0.0.1', () => resolve());
  });
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
