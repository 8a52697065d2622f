import type { ChildProcess } from 'node:child_process';
import { spawnEntry } from '../../scripts/local/child-process';

/** A service entry point run as its own process by an end-to-end test. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Every complete line the process printed so far, stdout and stderr. */
  lines(): string[];
  /** The last `chars` characters of those lines, for an error message. */
  outputTail(chars?: number): string;
}

/**
 * Spawns `entry` (a TypeScript entry point, as `npm run api` would run it) and reads both of its
 * streams, so it never blocks on a full pipe, keeping what it prints line by line.
 */
export function startServiceProcess(
  entry: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): ServiceProcess {
  const child = spawnEntry(entry, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null): void => {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  return {
    child,
    lines: () => lines,
    outputTail: (chars = 16 * 1024) => lines.join('\n').slice(-chars),
  };
}

/** Whether the process has neither exited nor been ended by a signal. */
export const stillRunning = (service: ServiceProcess): boolean =>
  service.child.exitCode === null && service.child.signalCode === null;
