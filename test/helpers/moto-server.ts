import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { exitOf, stopChild } from '../../scripts/local/child-process';
import { freeLocalPort } from '../../scripts/local/free-port';
import { waitFor } from '../../scripts/local/wait-for';

/**
 * The `moto_server` executable on PATH, or undefined. It is a Python tool some machines have
 * (pip install "moto[server]"); a project's `npm ci` never brings it, so tests that use it
 * must run without it too.
 */
export function motoServerExecutable(): string | undefined {
  for (const directory of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (directory === '') continue;
    const candidate = path.join(directory, 'moto_server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for the SDK clients' `endpoint`. */
  readonly endpoint: string;
  /** Stops the server this call started (by its PID) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts moto_server on loopback and polls until it answers, within `deadlineMs`. */
export async function startMotoServer(
  executable: string,
  { deadlineMs = 30_000 }: { deadlineMs?: number } = {},
): Promise<MotoServer> {
  const port = await freeLocalPort();
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await stopChild(child, { timeoutMs: 5000 });
  };

  // A server that exits early fails at once, not at the deadline. (Handled here too, so its
  // exit on stop() after a good start is no unhandled rejection.)
  const exitedEarly = exitOf(child).then((code) => {
    throw new Error(`moto_server exited early (${code})`);
  });
  exitedEarly.catch(() => undefined);
  try {
    await Promise.race([
      waitFor(async () => (await fetch(`${endpoint}/moto-api/`)).ok, {
        timeoutMs: deadlineMs,
        intervalMs: 100,
        what: `moto_server on ${endpoint}`,
      }),
      exitedEarly,
    ]);
  } catch (error) {
    await stop();
    throw new Error(`moto_server did not answer on ${endpoint}: ${stderr}`, { cause: error });
  }
  return { endpoint, stop };
}
