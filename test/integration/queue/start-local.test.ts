import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exitOf } from '../../../scripts/local/child-process';
import { canBind, freeLocalPort } from '../../../scripts/local/free-port';
import { waitFor } from '../../../scripts/local/wait-for';

const repoRoot = path.resolve(__dirname, '../../..');

/** `npm start`'s supervisor as npm runs it, with its output collected. */
function startSupervisor(env: NodeJS.ProcessEnv, args: readonly string[] = []) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join('scripts', 'start-local.ts'), ...args],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return { child, output: () => output };
}

/** Live (not zombie) processes whose parent is `pid`, from /proc. */
function liveChildrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === pid && state !== 'Z') children.push(Number(entry));
  }
  return children;
}

/** The entry point a child of the pipeline runs (its last command-line argument). */
const entryOf = (pid: number): string => {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return path.basename(args.at(-1) ?? '');
  } catch {
    return '';
  }
};

/** The long-running services `npm start` supervises; a one-off (the migration) may come and go. */
const SERVICE_ENTRIES = ['local-lambda-main.ts', 'local-user-pool-main.ts', 'main.ts', 'main.ts'];

const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('npm start supervisor', () => {
  let dataDir: string;
  let supervisor: ChildProcess | undefined;
  let children: number[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'start-local-'));
  });

  afterEach(async () => {
    if (supervisor?.exitCode === null && supervisor.signalCode === null) supervisor.kill('SIGKILL');
    // Should the children have outlived it, do not leave them holding ports after a failure.
    for (const pid of children.filter(isAlive)) process.kill(pid, 'SIGKILL');
    children = [];
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when the supervisor is killed with SIGKILL, then the API and consumer exit too and their ports are free', async () => {
    const ports = [
      await freeLocalPort(),
      await freeLocalPort(),
      await freeLocalPort(),
      await freeLocalPort(),
    ];
    const [apiPort, sqsPort, cognitoPort, lambdaPort] = ports.map(String);
    const started = startSupervisor(
      {
        PATH: process.env['PATH'],
        PORT: apiPort,
        LOCAL_SQS_PORT: sqsPort,
        LOCAL_COGNITO_PORT: cognitoPort,
        LOCAL_LAMBDA_PORT: lambdaPort,
        LOCAL_COGNITO_DIR: path.join(dataDir, 'cognito-local'),
        // Each child its own in-memory database: nothing shared with other tests, and the API
        // migrates its own on start.
        PGLITE_DATA_DIR: 'memory://',
        RECEIVE_WAIT_SECONDS: '1',
        LOG_LEVEL: 'warn',
      },
      ['--settings-file', path.join(dataDir, 'local-pipeline.json')],
    );
    supervisor = started.child;
    const supervisorPid = supervisor.pid ?? 0;
    // Two embedded databases start (the migration's and the API's): slow on a busy machine.
    await waitFor(() => started.output().includes('Local pipeline is up'), {
      timeoutMs: 150_000,
      what: 'the pipeline to come up',
    });
    // The API, the consumer, the user pool and its trigger's Lambda endpoint.
    await waitFor(
      () => {
        children = liveChildrenOf(supervisorPid);
        // Other children (tsx's esbuild service) come and go; every child must die below.
        const services = children.map(entryOf).filter((entry) => entry.endsWith('.ts'));
        return services.sort().join() === [...SERVICE_ENTRIES].sort().join();
      },
      { timeoutMs: 20_000, what: 'exactly the four services as children of the supervisor' },
    );

    supervisor.kill('SIGKILL');
    await exitOf(supervisor);

    await waitFor(() => children.every((pid) => !isAlive(pid)), {
      timeoutMs: 20_000,
      what: 'the children to exit',
    });
    for (const port of ports) expect(await canBind(port)).toBe(true);
  }, 200_000);

  it('when LOCAL_API_RESTART_DELAY_MS is not a number, then it exits 1 naming the variable before starting anything', async () => {
    const started = startSupervisor({
      PATH: process.env['PATH'],
      LOCAL_API_RESTART_DELAY_MS: '15s',
      LOCAL_SQS_PORT: '0',
    });
    supervisor = started.child;

    expect(await exitOf(supervisor)).toBe(1);
    expect(started.output()).toMatch(/LOCAL_API_RESTART_DELAY_MS/);
    expect(started.output()).not.toMatch(/Local pipeline is up/);
  });
});
