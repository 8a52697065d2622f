import { spawn } from 'node:child_process';

/** A long-running child process started by a bench (an API, a consumer). */
export interface ChildService {
  pid: number;
  /** Everything it wrote to stdout and stderr so far (capped to the last 64 KiB). */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface StartChildServiceOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  /** The child's whole environment: benches pass what the service needs and nothing else. */
  env: Record<string, string>;
  /** Polled until it resolves true; the start fails if the child exits or the deadline passes. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

const OUTPUT_LIMIT = 64 * 1024;

/**
 * Spawns a service and waits until `ready` says it serves. On any failure to start, the child is
 * killed before the error is thrown, so a bench never leaves one behind.
 */
export async function startChildService(options: StartChildServiceOptions): Promise<ChildService> {
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let exitedWith: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = code ?? signal ?? 'unknown';
      resolve(exitedWith);
    });
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });

  const stop = async (graceMs = 10_000): Promise<number | string> => {
    if (exitedWith !== undefined) return exitedWith;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    await spawned;
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (exitedWith !== undefined) {
        throw new Error(
          `${options.command} exited (${exitedWith}) before it was ready:\n${output}`,
        );
      }
      if (await options.ready().catch(() => false)) break;
      if (Date.now() > deadline)
        throw new Error(`${options.command} was not ready in time:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop(2_000);
    throw error;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('child has no pid');
  return { pid, output: () => output, exited, stop };
}

/** True when GET `url` answers 2xx within `timeoutMs`; for `ready` checks. */
export async function answersOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return response.ok;
}
