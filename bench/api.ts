/**
 * `npm run bench:api [-- --requests 20000 --connections 32 --pool-max 10 --log-level warn]`
 * (`--cpu-prof-dir DIR` also writes a CPU profile of the API process, to see where its time goes)
 *
 * Registers distinct new users through the real API (`api/main.ts` bundled as for the container, as its own process, on a
 * scratch database of the PostgreSQL server) with autocannon, then runs the same upsert statement
 * through pgbench on another scratch database at the same concurrency, as the reference: pgbench
 * is the database alone, so API/pgbench is the share of the database's capacity that the HTTP
 * layer delivers. Prints one line per figure with the reference beside it and writes
 * `bench/results/api.json`. Exits non-zero if any request did not answer 201.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UPSERT_SQL } from '../api/user-repository';
import { openDatabase } from '../api/database';
import { migratorConfig } from '../migrations/index';
import { newHeaderSecret, newRegistration } from '../fixtures/registrations';
import { createScratchServerDatabase, postgresTarget } from '../fixtures/test-database';
import { buildServiceBundles } from '../scripts/build';
import { freeLocalPort } from '../scripts/local/free-port';
import { answersOk, startChildService } from './lib/child-service';
import { createCleanupStack } from './lib/cleanup';
import { runHttpLoad, type HttpLoadResult, type LoadRequest } from './lib/http-load';
import { runPgbench, type PgbenchResult } from './lib/pgbench';
import {
  busyShare,
  machineCpuTimes,
  readProcessUsage,
  sampleProcess,
  type ProcessUsage,
} from './lib/process-usage';
import { machineInfo, mib, printFigure, writeResult } from './lib/results';
import { round } from './lib/stats';

const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_RATIO = 0.5;
const USER_POOL_ID = 'eu-west-1_Bench1';
const repoRoot = path.resolve(__dirname, '..');

interface BenchParameters {
  requests: number;
  warmupRequests: number;
  connections: number;
  apiPoolMax: number;
  apiLogLevel: string;
  pgbenchThreads: number;
  /** API + pgbench pairs; the median-ratio pair is reported (the machine's speed drifts). */
  rounds: number;
  /** When set, the API child writes a V8 CPU profile of its whole life here. */
  apiCpuProfileDir: string | undefined;
}

function readParameters(argv: string[]): BenchParameters {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '20000' },
      warmup: { type: 'string', default: '1000' },
      connections: { type: 'string', default: '32' },
      'pool-max': { type: 'string', default: '10' },
      'log-level': { type: 'string', default: 'warn' },
      'pgbench-threads': { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      'cpu-prof-dir': { type: 'string' },
    },
  });
  const positive = (name: string, raw: string, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`--${name} must be an integer from 1 to ${max}`);
    }
    return value;
  };
  const connections = positive('connections', values.connections, 256);
  return {
    requests: positive('requests', values.requests, 1_000_000),
    warmupRequests: positive('warmup', values.warmup, 100_000),
    connections,
    apiPoolMax: positive('pool-max', values['pool-max'], 100),
    apiLogLevel: values['log-level'],
    pgbenchThreads: Math.min(
      connections,
      positive('pgbench-threads', values['pgbench-threads'], 64),
    ),
    rounds: positive('rounds', values.rounds, 20),
    apiCpuProfileDir:
      values['cpu-prof-dir'] === undefined ? undefined : path.resolve(values['cpu-prof-dir']),
  };
}

/** The bench only ever talks to this machine: refuse a database URL that points elsewhere. */
function loopbackServerUrl(raw: string): string {
  const host = new URL(raw).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
    throw new Error(`DATABASE_URL must point to this machine (127.0.0.1), not ${host}`);
  }
  return raw;
}

/**
 * The API's own upsert with its one placeholder (the registrations, a JSON array) replaced by a
 * set of one built per transaction: a fresh `sub` and email on every transaction, as the API
 * receives. Values are built in SQL because pgbench variables are numbers only; the statement
 * text is otherwise the API's, byte for byte.
 */
export function pgbenchUpsertScript(upsertSql: string): string {
  // No ':' inside: pgbench would read `:name` as one of its variables.
  const registration = `jsonb_build_array(jsonb_build_object(
    'sub', gen_random_uuid(),
    'email', 'bench-' || gen_random_uuid() || '@example.com',
    'username', 'bench-user',
    'userPoolId', '${USER_POOL_ID}',
    'attributes', CAST('{"email_verified":"true","plan":"free","locale":"en-GB"}' AS jsonb),
    'source', 'trigger'))`;
  const parts = upsertSql.split(':registrations');
  if (parts.length !== 2) {
    throw new Error(`UPSERT_SQL has ${parts.length - 1} :registrations placeholders, expected 1`);
  }
  return `${parts.join(registration)};\n`;
}

/** A migrated scratch database on the server; dropped by the clean-up stack. */
async function migratedScratchDatabase(
  serverUrl: string,
  cleanup: ReturnType<typeof createCleanupStack>,
): Promise<string> {
  const scratch = await createScratchServerDatabase(serverUrl);
  cleanup.defer('drop scratch database', scratch.drop);
  const db = openDatabase(postgresTarget(scratch.url));
  try {
    await db.migrate.latest(migratorConfig);
  } finally {
    await db.destroy();
  }
  return scratch.url;
}

async function countUsers(databaseUrl: string): Promise<number> {
  const db = openDatabase(postgresTarget(databaseUrl));
  try {
    const result: { rows: Array<{ count: string }> } = await db.raw(
      'SELECT count(*) AS count FROM users',
    );
    return Number(result.rows[0]?.count);
  } finally {
    await db.destroy();
  }
}

async function serverVersion(serverUrl: string): Promise<string> {
  const db = openDatabase(postgresTarget(serverUrl));
  try {
    const result: { rows: Array<{ server_version: string }> } = await db.raw('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  } finally {
    await db.destroy();
  }
}

interface ApiRun {
  load: HttpLoadResult;
  rowsWritten: number;
  apiProcess: ProcessUsage | undefined;
  /** API process CPU time spent during the measured run, per request, in ms. */
  apiCpuMsPerRequest: number;
  benchCpuMsPerRequest: number;
  machineBusyShare: number;
  apiExit: number | string;
}

async function benchApi(
  serverUrl: string,
  parameters: BenchParameters,
  cleanup: ReturnType<typeof createCleanupStack>,
): Promise<ApiRun> {
  const databaseUrl = await migratedScratchDatabase(serverUrl, cleanup);
  const port = await freeLocalPort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const headerValue = newHeaderSecret();
  const {
    bundles: [apiBundle],
  } = await buildServiceBundles({ rootDir: repoRoot });
  if (apiBundle === undefined) throw new Error('the API bundle was not built');
  const api = await startChildService({
    command: process.execPath,
    args: [
      ...(parameters.apiCpuProfileDir === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${parameters.apiCpuProfileDir}`]),
      // The artifact the container runs (`npm run build`), not the TypeScript source via tsx.
      apiBundle,
    ],
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: String(parameters.apiPoolMax),
      AUTH_HEADER_SECRETS: headerValue,
      LOG_LEVEL: parameters.apiLogLevel,
    },
    // readyz answers once the database is reachable, and needs no log line (warn hides them).
    ready: () => answersOk(`${baseUrl}/readyz`),
  });
  cleanup.defer('stop api', () => api.stop());
  const apiSampler = sampleProcess(api.pid);

  const nextRequest = (): LoadRequest => {
    const sub = randomUUID();
    const registration = newRegistration({
      sub,
      email: `bench-${sub}@example.com`,
      userPoolId: USER_POOL_ID,
    });
    return {
      method: 'POST',
      path: '/user',
      headers: { 'content-type': 'application/json', 'x-custom-auth': headerValue },
      body: JSON.stringify(registration),
    };
  };
  const load = (amount: number): Promise<HttpLoadResult> =>
    runHttpLoad({
      baseUrl,
      connections: parameters.connections,
      amount,
      nextRequest,
      // Generous, but bounded: 30 s plus 5 ms a request (a 200 req/s floor).
      deadlineMs: 30_000 + amount * 5,
    });

  // JIT, the connection pool and PostgreSQL's caches all warm up before anything is measured.
  const warmup = await load(Math.max(parameters.warmupRequests, parameters.connections));
  const warmupCreated = warmup.statusCounts['201'] ?? 0;

  const apiBefore = readProcessUsage(api.pid);
  const benchCpuBefore = process.cpuUsage();
  const machineBefore = machineCpuTimes();
  const measured = await load(parameters.requests);
  const machineAfter = machineCpuTimes();
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const apiAfter = apiSampler.stop();

  const apiExit = await api.stop();
  const rowsWritten = (await countUsers(databaseUrl)) - warmupCreated;
  const cpuMs = (before: ProcessUsage | undefined, after: ProcessUsage | undefined): number =>
    before && after ? (after.cpuSeconds - before.cpuSeconds) * 1000 : Number.NaN;
  return {
    load: measured,
    rowsWritten,
    apiProcess: apiAfter,
    apiCpuMsPerRequest: cpuMs(apiBefore, apiAfter) / measured.responses,
    benchCpuMsPerRequest: (benchCpu.user + benchCpu.system) / 1000 / measured.responses,
    machineBusyShare: busyShare(machineBefore, machineAfter),
    apiExit,
  };
}

interface PgbenchRun {
  result: PgbenchResult;
  rowsWritten: number;
  transactionsPerClient: number;
  machineBusyShare: number;
}

async function benchPgbench(
  serverUrl: string,
  parameters: BenchParameters,
  cleanup: ReturnType<typeof createCleanupStack>,
): Promise<PgbenchRun> {
  const databaseUrl = await migratedScratchDatabase(serverUrl, cleanup);
  const script = pgbenchUpsertScript(UPSERT_SQL);
  const run = (transactionsPerClient: number): Promise<PgbenchResult> =>
    runPgbench({
      connectionUrl: databaseUrl,
      script,
      clients: parameters.connections,
      threads: parameters.pgbenchThreads,
      transactionsPerClient,
      queryMode: 'extended',
      timeoutMs: 30_000 + transactionsPerClient * parameters.connections * 5,
    });
  const warmup = await run(Math.ceil(parameters.warmupRequests / parameters.connections));
  // Same number of transactions as requests, rounded up to a whole number per client.
  const transactionsPerClient = Math.ceil(parameters.requests / parameters.connections);
  const machineBefore = machineCpuTimes();
  const result = await run(transactionsPerClient);
  const machineAfter = machineCpuTimes();
  return {
    result,
    rowsWritten: (await countUsers(databaseUrl)) - warmup.processed,
    transactionsPerClient,
    machineBusyShare: busyShare(machineBefore, machineAfter),
  };
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const percent = (share: number): string => `${(share * 100).toFixed(0)}%`;

async function main(): Promise<void> {
  const parameters = readParameters(process.argv.slice(2));
  const machine = machineInfo();
  const serverUrl = loopbackServerUrl(process.env.DATABASE_URL || DEFAULT_SERVER_URL);
  const selfSampler = sampleProcess('self');
  const pairs: Array<{ apiRun: ApiRun; pgbenchRun: PgbenchRun; ratio: number }> = [];
  let postgresVersion: string;
  try {
    postgresVersion = await serverVersion(serverUrl);
    console.log(
      `bench:api — ${parameters.requests} distinct new users, ${parameters.connections} connections; ` +
        `API pool ${parameters.apiPoolMax}, LOG_LEVEL ${parameters.apiLogLevel}; ` +
        `PostgreSQL ${postgresVersion}; ${machine.cpus} CPUs, load ${machine.loadAverageAtStart.join(' ')}`,
    );
    for (let round = 1; round <= parameters.rounds; round += 1) {
      // Each round drops its scratch databases and stops its API before the next starts.
      const roundCleanup = createCleanupStack();
      try {
        // Alternate which side goes first, so a machine that speeds up or slows down during the
        // run does not favour one side.
        let apiRun: ApiRun;
        let pgbenchRun: PgbenchRun;
        if (round % 2 === 1) {
          apiRun = await benchApi(serverUrl, parameters, roundCleanup);
          pgbenchRun = await benchPgbench(serverUrl, parameters, roundCleanup);
        } else {
          pgbenchRun = await benchPgbench(serverUrl, parameters, roundCleanup);
          apiRun = await benchApi(serverUrl, parameters, roundCleanup);
        }
        const ratio = apiRun.load.responsesPerSecond / pgbenchRun.result.tps;
        pairs.push({ apiRun, pgbenchRun, ratio });
        console.log(
          `round ${round}/${parameters.rounds}: API ${apiRun.load.responsesPerSecond.toFixed(1)} req/s, ` +
            `pgbench ${pgbenchRun.result.tps.toFixed(1)} tx/s, ratio ${ratio.toFixed(2)}`,
        );
      } finally {
        await roundCleanup.run();
      }
    }
  } catch (error) {
    selfSampler.stop();
    throw error;
  }
  const self = selfSampler.stop();
  const byRatio = [...pairs].sort((a, b) => a.ratio - b.ratio);
  const median = byRatio[Math.floor((byRatio.length - 1) / 2)];
  if (median === undefined) throw new Error('no round was measured');
  const { apiRun, pgbenchRun } = median;
  console.log(`figures below: the median round of ${pairs.length} by ratio`);

  const { load } = apiRun;
  const reference = pgbenchRun.result;
  const created = load.statusCounts['201'] ?? 0;
  const notCreated = load.responses - created;
  const missing = parameters.requests - load.responses;
  const failures = notCreated + missing + load.errors;
  const throughputRatio = load.responsesPerSecond / reference.tps;

  printFigure(
    'throughput',
    `${load.responsesPerSecond.toFixed(1)} req/s`,
    `pgbench ${reference.tps.toFixed(1)} tx/s`,
  );
  printFigure('latency p50', ms(load.latencyMs.p50), `pgbench ${ms(reference.latencyMs.p50)}`);
  printFigure('latency p99', ms(load.latencyMs.p99), `pgbench ${ms(reference.latencyMs.p99)}`);
  printFigure('latency mean', ms(load.latencyMs.mean), `pgbench ${ms(reference.latencyMs.mean)}`);
  printFigure(
    'ratio API/pgbench throughput',
    throughputRatio.toFixed(2),
    `target >= ${TARGET_RATIO} (${throughputRatio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
  printFigure(
    'API process peak memory',
    mib(apiRun.apiProcess?.peakRssKiB ?? Number.NaN),
    `bench process ${mib(self?.peakRssKiB ?? Number.NaN)} (VmHWM)`,
  );
  printFigure(
    'CPU per request',
    ms(apiRun.apiCpuMsPerRequest),
    `bench process ${ms(apiRun.benchCpuMsPerRequest)} (load generator)`,
  );
  printFigure(
    'machine CPU busy',
    percent(apiRun.machineBusyShare),
    `during pgbench ${percent(pgbenchRun.machineBusyShare)}`,
  );
  printFigure(
    'rows written',
    String(apiRun.rowsWritten),
    `pgbench ${pgbenchRun.rowsWritten} (${reference.failed} failed)`,
  );
  printFigure(
    'answers',
    Object.entries(load.statusCounts)
      .map(([status, count]) => `${count} x ${status}`)
      .join(', '),
    `errors ${load.errors}, timeouts ${load.timeouts}, missing ${missing}`,
  );
  if (failures > 0 || reference.failed > 0) {
    console.error(
      `\n!!! INVALID RUN: ${notCreated} non-201 answers, ${missing} requests missing, ` +
        `${load.errors} connection errors, ${reference.failed} failed pgbench transactions. ` +
        `The figures above do not measure successful registrations.\n`,
    );
    process.exitCode = 1;
  }

  const file = await writeResult('api', {
    bench: 'api',
    measuredAt: new Date().toISOString(),
    valid: failures === 0 && reference.failed === 0,
    machine,
    postgresVersion,
    parameters: {
      ...parameters,
      pgbenchTransactionsPerClient: pgbenchRun.transactionsPerClient,
      pgbenchQueryMode: 'extended',
      pgbenchCommand: reference.command,
    },
    api: {
      requests: parameters.requests,
      responses: load.responses,
      statusCounts: load.statusCounts,
      non201: notCreated,
      missing,
      errors: load.errors,
      timeouts: load.timeouts,
      stoppedAtDeadline: load.stoppedAtDeadline,
      rowsWritten: apiRun.rowsWritten,
      durationSeconds: round(load.durationSeconds, 3),
      requestsPerSecond: round(load.responsesPerSecond, 1),
      latencyMs: roundAll(load.latencyMs),
      processPeakRssKiB: apiRun.apiProcess?.peakRssKiB,
      processCpuMsPerRequest: round(apiRun.apiCpuMsPerRequest, 3),
      processExit: apiRun.apiExit,
      machineCpuBusyShare: round(apiRun.machineBusyShare, 3),
    },
    rounds: pairs.map((pair) => ({
      apiRequestsPerSecond: round(pair.apiRun.load.responsesPerSecond, 1),
      pgbenchTransactionsPerSecond: round(pair.pgbenchRun.result.tps, 1),
      ratio: round(pair.ratio, 3),
    })),
    reference: {
      tool: 'pgbench',
      transactions: reference.processed,
      failed: reference.failed,
      rowsWritten: pgbenchRun.rowsWritten,
      wallSeconds: round(reference.wallSeconds, 3),
      transactionsPerSecond: round(reference.tps, 1),
      latencyMs: roundAll(reference.latencyMs),
      reportedAverageLatencyMs: reference.reportedAverageLatencyMs,
      machineCpuBusyShare: round(pgbenchRun.machineBusyShare, 3),
    },
    benchProcess: {
      peakRssKiB: self?.peakRssKiB,
      cpuMsPerRequest: round(apiRun.benchCpuMsPerRequest, 3),
    },
    ratio: {
      throughput: round(throughputRatio, 3),
      latencyP50: round(load.latencyMs.p50 / reference.latencyMs.p50, 3),
      latencyP99: round(load.latencyMs.p99 / reference.latencyMs.p99, 3),
    },
    target: { throughputRatio: TARGET_RATIO, met: throughputRatio >= TARGET_RATIO },
  });
  console.log(`wrote ${path.relative(repoRoot, file)}`);
}

function roundAll<T extends object>(values: T): T {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === 'number' ? round(value, 3) : value,
    ]),
  ) as T;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
