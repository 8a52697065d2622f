import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isReadyMessage } from './parent-link';

export interface SpawnEntryOptions {
  env: NodeJS.ProcessEnv;
  /** @default 'inherit' */
  stdio?: StdioOptions;
  cwd?: string;
  /** Arguments after the entry. */
  args?: readonly string[];
}

/** Makes the child exit when its parent does; see the module for how. */
const EXIT_WITH_PARENT = pathToFileURL(path.join(__dirname, 'exit-with-parent.ts')).href;

/** `stdio` as an array with an IPC channel after stdin, stdout and stderr. */
const withIpc = (stdio: StdioOptions): StdioOptions => {
  const streams = typeof stdio === 'string' ? [stdio, stdio, stdio] : [...stdio].slice(0, 3);
  return [...streams, 'ipc'];
};

/**
 * Runs a TypeScript entry point as `node --import tsx <entry>`: one process, so its PID is the
 * service itself and signals (SIGTERM, or SIGKILL in an outage drill) reach it directly rather
 * than a wrapper that might leave it orphaned. The child also stops when this process ends,
 * however it ends, instead of living on and holding its port.
 */
export function spawnEntry(
  entry: string,
  { env, stdio = 'inherit', cwd, args = [] }: SpawnEntryOptions,
): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--import', EXIT_WITH_PARENT, entry, ...args],
    { env, stdio: withIpc(stdio), cwd },
  );
}

/** Resolves with the exit code (or the signal's name) once the child has exited. */
export function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 1));
  });
}

/**
 * Asks a child to stop (SIGTERM by default) and waits for it; kills it if it has not exited
 * within `timeoutMs`.
 */
export async function stopChild(
  child: ChildProcess,
  { signal = 'SIGTERM', timeoutMs = 30_000 }: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<number | NodeJS.Signals> {
  const exited = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Like `spawnEntry`, with an IPC channel: resolves with the child and the port it reports once
 * it is ready (see `parent-link.ts`), and rejects (killing it) if it exits first or takes longer
 * than `timeoutMs`. Like every child of the pipeline it stops when this process is gone.
 */
export async function spawnLinkedEntry(
  entry: string,
  { env, stdio = 'inherit', cwd, args = [] }: SpawnEntryOptions,
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; port: number }> {
  const [stdin = 'ignore', stdout = 'inherit', stderr = 'inherit'] = Array.isArray(stdio)
    ? stdio
    : [stdio, stdio, stdio];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', EXIT_WITH_PARENT, entry, ...args],
    { env, cwd, stdio: [stdin, stdout, stderr, 'ipc'] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${entry} was not ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.on('message', (message) => {
        if (!isReadyMessage(message)) return;
        clearTimeout(timer);
        resolve(message.port);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited (${code ?? signal}) before it was ready`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return { child, port };
  } catch (error) {
    await stopChild(child, { timeoutMs: 5000 });
    throw error;
  }
}
