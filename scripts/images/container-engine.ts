import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The container CLIs the image scripts drive; both take the same `build`/`run` flags. */
export type ContainerEngineName = 'docker' | 'podman';

export interface ContainerEngine {
  readonly name: ContainerEngineName;
  /** Flags placed before the subcommand (`podman --runtime runc build …`). */
  readonly globalFlags: readonly string[];
  /** Flags every `run`/`create` gets on this machine (resource limits the engine can set). */
  readonly runFlags: readonly string[];
}

export class ContainerEngineUnavailableError extends Error {
  override readonly name = 'ContainerEngineUnavailableError';
}

function succeeds(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return result.status === 0;
}

function shellNumber(script: string): number | undefined {
  const result = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  const value = Number(result.stdout.trim());
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** `--ulimit` flags no higher than this process's own hard limits. */
function inheritedLimits(): string[] {
  const flags: string[] = [];
  const openFiles = shellNumber('ulimit -Hn');
  if (openFiles !== undefined) flags.push('--ulimit', `nofile=${openFiles}:${openFiles}`);
  // More processes than PIDs can never run; some sandboxes refuse any limit above pid_max.
  const processes = [shellNumber('ulimit -Hu'), shellNumber('cat /proc/sys/kernel/pid_max')]
    .filter((value): value is number => value !== undefined)
    .reduce((lowest, value) => Math.min(lowest, value), Number.POSITIVE_INFINITY);
  if (Number.isFinite(processes)) flags.push('--ulimit', `nproc=${processes}:${processes}`);
  return flags;
}

/**
 * Podman's settings for a host it did not set itself up on:
 * - its default open-file and process limits for a container (1,048,576 files) are above what
 *   a sandbox's root may grant without CAP_SYS_RESOURCE, so the container would not start: ask
 *   for no more than this process has;
 * - crun refuses a host with both cgroup versions mounted ("hybrid"); runc accepts it, so runc is
 *   used when it is installed (`CONTAINER_RUNTIME` chooses another).
 */
function podmanEngine(env: NodeJS.ProcessEnv): ContainerEngine {
  const runtime = env.CONTAINER_RUNTIME ?? (succeeds('runc', ['--version']) ? 'runc' : undefined);
  return {
    name: 'podman',
    globalFlags: runtime === undefined ? [] : ['--runtime', runtime],
    runFlags: inheritedLimits(),
  };
}

/**
 * The engine to build and run the images with: `CONTAINER_ENGINE` if set, else Docker when its
 * daemon answers, else Podman (daemonless; it builds with buildah's engine). Throws saying why
 * when neither can run, so an image check never passes by skipping.
 */
export function detectContainerEngine(env: NodeJS.ProcessEnv = process.env): ContainerEngine {
  const wanted = env.CONTAINER_ENGINE;
  if (wanted !== undefined && wanted !== 'docker' && wanted !== 'podman') {
    throw new ContainerEngineUnavailableError('CONTAINER_ENGINE must be docker or podman');
  }
  const dockerAnswers = (): boolean => succeeds('docker', ['info', '--format', '{{.ID}}']);
  const podmanAnswers = (): boolean => succeeds('podman', ['info', '--format', '{{.Host.Arch}}']);
  if (wanted === 'docker' || (wanted === undefined && dockerAnswers())) {
    if (wanted === 'docker' && !dockerAnswers()) {
      throw new ContainerEngineUnavailableError(
        'CONTAINER_ENGINE=docker, but `docker info` fails: is the Docker daemon running?',
      );
    }
    return { name: 'docker', globalFlags: [], runFlags: [] };
  }
  if (podmanAnswers()) return podmanEngine(env);
  throw new ContainerEngineUnavailableError(
    'no container engine can run here: `docker info` fails (no Docker daemon) and `podman` is ' +
      'not installed or not working. Install Docker, or Podman from the distribution ' +
      '(Debian/Ubuntu: `apt-get install podman runc`), then run this again.',
  );
}

export interface EngineCommandOptions {
  /** Abort after this long. @default 10 minutes */
  readonly timeoutMs?: number;
  /** Pass the engine's output through to ours (builds), instead of capturing it. */
  readonly inheritOutput?: boolean;
  /** Written to the command's standard input. */
  readonly input?: NodeJS.ReadableStream;
}

/** Runs one engine subcommand to completion; resolves with its standard output. */
export async function runEngine(
  engine: ContainerEngine,
  args: readonly string[],
  options: EngineCommandOptions = {},
): Promise<string> {
  const fullArgs = [...engine.globalFlags, ...args];
  if (!options.inheritOutput && options.input === undefined) {
    const { stdout } = await execFileAsync(engine.name, fullArgs, {
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? 600_000,
    });
    return stdout;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(engine.name, fullArgs, {
      stdio: [
        options.input ? 'pipe' : 'ignore',
        options.inheritOutput ? 'inherit' : 'pipe',
        'inherit',
      ],
      timeout: options.timeoutMs ?? 600_000,
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    if (options.input && child.stdin) options.input.pipe(child.stdin);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${engine.name} ${args[0]} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** Whether the engine's local store holds `image` (never contacts a registry). */
export function imageExists(engine: ContainerEngine, image: string): boolean {
  return succeeds(engine.name, [...engine.globalFlags, 'image', 'inspect', image]);
}
