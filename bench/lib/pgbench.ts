import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { distributionOf, type Distribution } from './stats';

export interface PgbenchOptions {
  /** libpq connection string or URL of the database to run against. */
  connectionUrl: string;
  /** The custom script (pgbench syntax), written to a temporary file for the run. */
  script: string;
  clients: number;
  threads: number;
  transactionsPerClient: number;
  /** `extended` mirrors drivers that send parameters separately (node-postgres does). */
  queryMode?: 'simple' | 'extended' | 'prepared';
  /** The run is killed after this long (default 5 minutes). */
  timeoutMs?: number;
  /** Defaults to `pgbench` on the PATH. */
  executable?: string;
}

export interface PgbenchResult {
  /** pgbench's own figure, which excludes the initial connection time. */
  tps: number;
  processed: number;
  failed: number;
  /** pgbench's reported average, in ms. */
  reportedAverageLatencyMs: number;
  /** Per-transaction latencies from its `--log` files, in ms. */
  latencyMs: Distribution;
  /** Wall-clock time of the pgbench process, connection set-up included, in seconds. */
  wallSeconds: number;
  command: string;
  output: string;
}

const numberAfter = (output: string, pattern: RegExp): number => {
  const match = pattern.exec(output);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
};

/**
 * Runs pgbench with a custom script and per-transaction logging (no vacuum of the pgbench
 * tables, which a custom script does not use), and parses its summary and logs. Throws when
 * pgbench exits non-zero or times out.
 */
export async function runPgbench(options: PgbenchOptions): Promise<PgbenchResult> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'pgbench-'));
  try {
    const scriptFile = path.join(workDir, 'script.sql');
    await writeFile(scriptFile, options.script);
    const args = [
      '--no-vacuum',
      `--client=${options.clients}`,
      `--jobs=${options.threads}`,
      `--transactions=${options.transactionsPerClient}`,
      `--protocol=${options.queryMode ?? 'extended'}`,
      `--file=${scriptFile}`,
      '--log',
      `--log-prefix=${path.join(workDir, 'tx')}`,
      options.connectionUrl,
    ];
    const executable = options.executable ?? 'pgbench';
    const startedAt = process.hrtime.bigint();
    const { code, output } = await new Promise<{ code: number | string; output: string }>(
      (resolve, reject) => {
        const child = spawn(executable, args, {
          cwd: workDir,
          env: { PATH: process.env.PATH ?? '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.once('exit', (exitCode, signal) => {
          clearTimeout(timer);
          resolve({ code: exitCode ?? signal ?? 'unknown', output: text });
        });
      },
    );
    const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    // Recorded without the temporary paths, so results from different runs compare equal.
    const command = `${executable} ${args
      .slice(0, -1)
      .map((arg) => arg.replace(workDir, '<tmp>'))
      .join(' ')} <database>`;
    if (code !== 0) throw new Error(`pgbench exited ${code}:\n${output}`);

    // Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us.
    const latencies: number[] = [];
    for (const name of await readdir(workDir)) {
      if (!name.startsWith('tx.')) continue;
      for (const line of (await readFile(path.join(workDir, name), 'utf8')).split('\n')) {
        const latencyUs = Number(line.split(' ')[2]);
        if (line !== '' && Number.isFinite(latencyUs)) latencies.push(latencyUs / 1000);
      }
    }
    return {
      tps: numberAfter(output, /^tps = ([\d.]+) \(without initial connection time\)/m),
      processed: numberAfter(output, /^number of transactions actually processed: (\d+)/m),
      failed: numberAfter(output, /^number of failed transactions: (\d+)/m) || 0,
      reportedAverageLatencyMs: numberAfter(output, /^latency average = ([\d.]+) ms/m),
      latencyMs: distributionOf(latencies),
      wallSeconds,
      command,
      output,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
