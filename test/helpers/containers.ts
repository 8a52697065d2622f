import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type ContainerEngine, runEngine } from '../../scripts/images/container-engine';

/** One container to run, as a task definition describes it (see task-containers.ts). */
export interface ContainerSpec {
  readonly image: string;
  /** Replaces the image's CMD (a task definition's `Command`); the image's ENTRYPOINT stays. */
  readonly command?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** @default the image's USER */
  readonly user?: string;
  readonly readonlyRootFilesystem: boolean;
}

export interface RunningContainer {
  readonly name: string;
  /** Everything the container wrote to stdout and stderr so far. */
  logs(): Promise<string>;
  /** The container's stdout and stderr apart: one command's result is its stdout alone. */
  streams(): Promise<{ stdout: string; stderr: string }>;
  /** Runs a command inside the running container; resolves with its exit code and output. */
  exec(command: readonly string[]): Promise<{ exitCode: number; output: string }>;
  /**
   * SIGTERM, then SIGKILL after `timeoutSeconds`, as ECS stops a task's container at its
   * `stopTimeout`. Resolves with the exit code and how long the container took to exit.
   */
  stop(timeoutSeconds: number): Promise<{ exitCode: number; seconds: number }>;
  /** Waits for the container to exit by itself. */
  wait(): Promise<number>;
  remove(): Promise<void>;
}

/**
 * `run` flags that make a local container look like the Fargate task: the host's network (the
 * local servers listen on 127.0.0.1), the task's user and environment, and a read-only root file
 * system with nothing writable mounted on it (Fargate mounts no tmpfs; Podman would by default).
 */
function runArguments(engine: ContainerEngine, name: string, spec: ContainerSpec): string[] {
  const args = ['--name', name, '--network', 'host', ...engine.runFlags];
  if (spec.readonlyRootFilesystem) {
    args.push('--read-only');
    if (engine.name === 'podman') args.push('--read-only-tmpfs=false');
  }
  if (spec.user !== undefined) args.push('--user', spec.user);
  for (const [key, value] of Object.entries(spec.environment))
    args.push('--env', `${key}=${value}`);
  args.push(spec.image, ...(spec.command ?? []));
  return args;
}

function exitCodeOf(engine: ContainerEngine, name: string): Promise<number> {
  return runEngine(engine, ['inspect', '--format', '{{.State.ExitCode}}', name]).then((out) =>
    Number(out.trim()),
  );
}

/** Starts a container in the background. Call `remove()` when done (an afterAll). */
export async function startContainer(
  engine: ContainerEngine,
  spec: ContainerSpec,
): Promise<RunningContainer> {
  const name = `usersync-test-${randomUUID().slice(0, 8)}`;
  try {
    await runEngine(engine, ['run', '--detach', ...runArguments(engine, name, spec)]);
  } catch (error) {
    // A container that was created but could not start stays behind unless removed.
    await runEngine(engine, ['rm', '--force', name]).catch(() => undefined);
    throw error;
  }
  // `logs` writes the container's stdout to its own stdout and the container's stderr to its
  // stderr: read apart, since the order between two pipes is not kept.
  const readStreams = (): Promise<{ stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(engine.name, [...engine.globalFlags, 'logs', name]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', () => resolve({ stdout, stderr }));
    });
  return {
    name,
    logs: async () => {
      const { stdout, stderr } = await readStreams();
      return `${stdout}${stderr}`;
    },
    streams: readStreams,
    exec: async (command) => {
      try {
        const output = await runEngine(engine, ['exec', name, ...command]);
        return { exitCode: 0, output };
      } catch (error) {
        const failure = error as { code?: number; stdout?: string; stderr?: string };
        return {
          exitCode: typeof failure.code === 'number' ? failure.code : -1,
          output: `${failure.stdout ?? ''}${failure.stderr ?? ''}`,
        };
      }
    },
    stop: async (timeoutSeconds) => {
      const started = Date.now();
      await runEngine(engine, ['stop', '--time', String(timeoutSeconds), name], {
        timeoutMs: (timeoutSeconds + 30) * 1000,
      });
      return { exitCode: await exitCodeOf(engine, name), seconds: (Date.now() - started) / 1000 };
    },
    wait: async () => Number((await runEngine(engine, ['wait', name])).trim()),
    remove: async () => {
      await runEngine(engine, ['rm', '--force', name]).catch(() => undefined);
    },
  };
}

/** Runs a container to completion (a migration, one reconciliation, a refused start). */
export async function runContainer(
  engine: ContainerEngine,
  spec: ContainerSpec,
): Promise<{ exitCode: number; output: string; stdout: string }> {
  const container = await startContainer(engine, spec);
  try {
    const exitCode = await container.wait();
    const { stdout, stderr } = await container.streams();
    return { exitCode, output: `${stdout}${stderr}`, stdout };
  } finally {
    await container.remove();
  }
}
