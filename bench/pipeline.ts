/**
 * `npm run bench:pipeline [-- --calls 1000 --warmup 100 --backlog 10000 --concurrency 32
 *   --api-load 3000 --outage-backoff-max 5 --recovery-backlog 2000 --recovery-outage-seconds 120]`
 *
 * The registration pipeline on this machine: the API (`api/main.ts`, its own process) on a scratch
 * database of the PostgreSQL server, the local SQS server in this process, the consumer
 * (`consumer/main.ts`, its own process) and the real producer handler in this process. Each figure
 * is printed beside a reference measured in the same run:
 * - handler latency on the API path (API up) vs a bare `fetch` POST of the same endpoint;
 * - handler latency on the queue path (API killed, breaker open) vs a bare SendMessage to the
 *   same queue server;
 * - the consumer's drain rate of a backlog into the API vs a bare receive + DeleteMessageBatch
 *   loop on the same queue server (same loop count, its own process) and vs the API's own
 *   throughput (autocannon at the same concurrency);
 * - the time to drain the outage's backlog after the API returns;
 * - the shared client's registration over TLS (kept-alive connections, a certificate from a CA
 *   made here) vs the same client over plain HTTP through the same kind of proxy hop.
 * - recovery with the deployed consumer settings: a backlog queued during an outage of
 *   `--recovery-outage-seconds` (default 120), seconds from the API answering to the queue being
 *   empty, beside the plain drain time of the same backlog (`--recovery-backlog`, default 2000).
 * Subject and reference calls alternate in rounds, so a shared machine's load swings hit both.
 * Writes `bench/results/pipeline.json`; exits non-zero if a registration went astray.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { openDatabase } from '../api/database';
import { MAX_RECEIVE_COUNT } from '../contract/delivery';
import { spawnEntry, exitOf } from '../scripts/local/child-process';
import { mapConcurrently } from '../scripts/local/producer-invocations';
import {
  createLocalSqsClient,
  queueDepth,
  sendBodies,
  startLocalSqs,
} from '../scripts/local/local-sqs';
import { waitFor } from '../scripts/local/wait-for';
import { postConfirmationEvent } from '../fixtures/cognito-events';
import {
  apiChildEnv,
  consumerChildEnv,
  drillOnFreeLoopbackPort,
  loadDrillProducer,
} from '../fixtures/outage-drill';
import { newHeaderSecret, newRegistration } from '../fixtures/registrations';
import { createScratchServerDatabase, postgresTarget } from '../fixtures/test-database';
import { answersOk, startChildService, type ChildService } from './lib/child-service';
import { createCleanupStack } from './lib/cleanup';
import { loopbackTls, startFront } from './lib/tls-front';
import { staticHeaderSecretSource } from '#contract/header-secret-source';
import { agentsTrusting } from '#contract/json-post';
import { createRegistrationClient } from '#contract/registration-client';
import { runHttpLoad, type LoadRequest } from './lib/http-load';
import { busyShare, machineCpuTimes, readProcessUsage } from './lib/process-usage';
import type { ReceiveDeleteResult } from './lib/receive-delete-loop';
import { RESULTS_DIR, machineInfo, printFigure, writeResult } from './lib/results';
import { distributionOf, round, type Distribution } from './lib/stats';

const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/test';
const HEADER_NAME = 'x-custom-auth';
const QUEUE_PATH_P99_TARGET_MS = 50;
const DRAIN_RATIO_TARGET = 0.7;
/** sqs-consumer's and SQS' largest receive batch. */
const RECEIVE_BATCH_SIZE = 10;
const RECEIVE_WAIT_SECONDS = 1;
/** High enough that no message of the bench is dead-lettered by the redrive policy. */
const BENCH_MAX_RECEIVE_COUNT = 1000;
const POLL_INTERVAL_MS = 50;
/** Seconds from the API answering after a long outage to the recovery backlog being stored. */
const RECOVERY_TARGET_SECONDS = 10;
const repoRoot = path.resolve(__dirname, '..');

interface BenchParameters {
  /** Measured handler calls per path (and as many reference calls). */
  calls: number;
  warmup: number;
  /** Subject/reference alternations the measured calls are split into. */
  rounds: number;
  /** Handler calls in flight at once: 1, as one Lambda container handles one event at a time. */
  latencyConcurrency: number;
  backlog: number;
  /** The consumer's DELIVERY_CONCURRENCY, autocannon's connections, and (÷10) the raw loops. */
  concurrency: number;
  apiLoadRequests: number;
  /** BACKOFF_MAX_SECONDS of the consumer during the outage: bounds the wait after the API returns. */
  outageBackoffMaxSeconds: number;
  /** Registrations queued during the recovery figure's outage. */
  recoveryBacklog: number;
  /** How long the API stays down for the recovery figure. */
  recoveryOutageSeconds: number;
}

function readParameters(argv: string[]): BenchParameters {
  const { values } = parseArgs({
    args: argv,
    options: {
      calls: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '10' },
      'latency-concurrency': { type: 'string', default: '1' },
      backlog: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '32' },
      'api-load': { type: 'string', default: '3000' },
      'outage-backoff-max': { type: 'string', default: '5' },
      'recovery-backlog': { type: 'string', default: '2000' },
      'recovery-outage-seconds': { type: 'string', default: '120' },
    },
  });
  const bounded = (name: string, raw: string, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`--${name} must be an integer from 1 to ${max}`);
    }
    return value;
  };
  return {
    calls: bounded('calls', values.calls, 100_000),
    warmup: bounded('warmup', values.warmup, 10_000),
    rounds: bounded('rounds', values.rounds, 100),
    latencyConcurrency: bounded('latency-concurrency', values['latency-concurrency'], 64),
    backlog: bounded('backlog', values.backlog, 100_000),
    concurrency: bounded('concurrency', values.concurrency, 200),
    apiLoadRequests: bounded('api-load', values['api-load'], 100_000),
    outageBackoffMaxSeconds: bounded('outage-backoff-max', values['outage-backoff-max'], 900),
    recoveryBacklog: bounded('recovery-backlog', values['recovery-backlog'], 100_000),
    recoveryOutageSeconds: bounded(
      'recovery-outage-seconds',
      values['recovery-outage-seconds'],
      3600,
    ),
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

/** Runs `call` `count` times, `concurrency` at a time; returns each call's duration in ms. */
function timedCalls(
  count: number,
  concurrency: number,
  call: () => Promise<void>,
): Promise<number[]> {
  return mapConcurrently(Array.from({ length: count }), concurrency, async () => {
    const at = performance.now();
    await call();
    return performance.now() - at;
  });
}

/**
 * Warms both up, then alternates subject and reference in rounds (swapping which goes first),
 * so drift in the machine's load lands on both sides alike.
 */
async function interleaved(
  parameters: BenchParameters,
  subject: () => Promise<void>,
  reference: () => Promise<void>,
): Promise<{ subject: number[]; reference: number[] }> {
  const { warmup, calls, rounds, latencyConcurrency } = parameters;
  await timedCalls(warmup, latencyConcurrency, subject);
  await timedCalls(warmup, latencyConcurrency, reference);
  const subjectMs: number[] = [];
  const referenceMs: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const size = Math.floor(calls / rounds) + (round < calls % rounds ? 1 : 0);
    const runSubject = async (): Promise<void> => {
      subjectMs.push(...(await timedCalls(size, latencyConcurrency, subject)));
    };
    const runReference = async (): Promise<void> => {
      referenceMs.push(...(await timedCalls(size, latencyConcurrency, reference)));
    };
    if (round % 2 === 0) {
      await runSubject();
      await runReference();
    } else {
      await runReference();
      await runSubject();
    }
  }
  return { subject: subjectMs, reference: referenceMs };
}

/** Fills a queue with `count` distinct registrations, four SendMessageBatch streams at once. */
async function fillQueue(
  sqs: ReturnType<typeof createLocalSqsClient>,
  queueUrl: string,
  count: number,
): Promise<void> {
  const bodies = Array.from({ length: count }, () => JSON.stringify(newRegistration()));
  const streams = 4;
  const perStream = Math.ceil(count / streams / 10) * 10;
  await Promise.all(
    Array.from({ length: streams }, (_, index) =>
      sendBodies(sqs, queueUrl, bodies.slice(index * perStream, (index + 1) * perStream)),
    ),
  );
}

/** CPU seconds a process has used so far (NaN once it is gone). */
const cpuSecondsOf = (pid: number): number => readProcessUsage(pid)?.cpuSeconds ?? Number.NaN;
const selfCpuSeconds = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
/** CPU milliseconds per message between two CPU-seconds readings. */
const cpuMsPer = (before: number, after: number, count: number): number =>
  ((after - before) * 1000) / count;

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const rate = (value: number): string => `${value.toFixed(1)} msg/s`;

function roundAll(distribution: Distribution): Distribution {
  return {
    count: distribution.count,
    mean: round(distribution.mean, 3),
    p50: round(distribution.p50, 3),
    p90: round(distribution.p90, 3),
    p99: round(distribution.p99, 3),
    max: round(distribution.max, 3),
  };
}

/** requestsPerSecond from an earlier `npm run bench:api`, shown for context only. */
async function earlierApiBenchThroughput(): Promise<number | undefined> {
  try {
    const text = await readFile(path.join(RESULTS_DIR, 'api.json'), 'utf8');
    const value = (JSON.parse(text) as { api?: { requestsPerSecond?: unknown } }).api
      ?.requestsPerSecond;
    return typeof value === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

interface TlsFigures {
  tlsMs: Distribution;
  plainMs: Distribution;
  /** Registrations the API stored through both fronts (each one a new user). */
  created: number;
}

/**
 * The API path over TLS beside plain HTTP: the registration client producer and consumer share,
 * sequential calls (one Lambda container's view), through an HTTPS front and through a plain
 * front of the same make, alternating in rounds.
 */
async function measureApiOverTls(
  parameters: BenchParameters,
  apiUrl: string,
  headerSecret: string,
): Promise<TlsFigures> {
  const tls = await loopbackTls();
  const [tlsFront, plainFront] = await Promise.all([startFront(apiUrl, tls), startFront(apiUrl)]);
  try {
    const clientOf = (url: string) =>
      createRegistrationClient({
        apiUrl: url,
        headerName: HEADER_NAME,
        headerSecrets: staticHeaderSecretSource([headerSecret]),
        agentFor: agentsTrusting(tls.ca),
      });
    let created = 0;
    const deliverThrough = (url: string) => {
      const client = clientOf(url);
      return async (): Promise<void> => {
        const result = await client.deliver(newRegistration(), { timeoutMs: 5000 });
        if (result.outcome === 'delivered' && result.created) created += 1;
      };
    };
    const measured = await interleaved(
      parameters,
      deliverThrough(tlsFront.url),
      deliverThrough(plainFront.url),
    );
    return {
      tlsMs: distributionOf(measured.subject),
      plainMs: distributionOf(measured.reference),
      created,
    };
  } finally {
    await Promise.all([tlsFront.close(), plainFront.close()]);
  }
}

/** What `measureRecovery` needs from the bench's set-up. */
interface RecoveryRig {
  parameters: BenchParameters;
  sqs: ReturnType<typeof createLocalSqsClient>;
  newQueuePair: (label: string) => Promise<{ queueUrl: string; dlqUrl: string }>;
  /** The consumer's environment with the deployed settings (backoff, long polls, concurrency). */
  deployedConsumerEnv: (queueUrl: string, dlqUrl: string) => Record<string, string>;
  startConsumer: (env: Record<string, string>) => Promise<ChildService>;
  killApi: () => Promise<void>;
  /** Starts the API again; resolves once GET /readyz answers 200. */
  restartApi: () => Promise<void>;
  problems: string[];
}

interface RecoveryFigures {
  backlog: number;
  outageSeconds: number;
  /** From the API answering /readyz again to the queue being empty. */
  recoverySeconds: number;
  /** The same backlog drained by the same consumer settings with the API up all along. */
  plainDrainSeconds: number;
  /** From the API answering to the consumer's 'consumer resumed' line. */
  resumeSeconds: number;
  deadLettered: number;
}

/** Epoch ms of the first log line with this `msg`, NaN if none. */
function loggedAt(output: string, message: string): number {
  const line = output.split('\n').find((text) => text.includes(`"msg":"${message}"`));
  if (line === undefined) return Number.NaN;
  try {
    return Date.parse(String((JSON.parse(line) as { time?: unknown }).time));
  } catch {
    return Number.NaN;
  }
}

/**
 * Recovery after a long outage with the deployed consumer settings: the API is down for
 * `recoveryOutageSeconds` while `recoveryBacklog` registrations are queued and the consumer runs
 * (it pauses rather than spend receive counts), then the API restarts. Reported: seconds from the
 * API answering to the queue being empty, beside the plain drain time of the same backlog.
 */
async function measureRecovery(rig: RecoveryRig): Promise<RecoveryFigures> {
  const { parameters, sqs } = rig;
  const backlog = parameters.recoveryBacklog;

  // Plain drain: the API up, the same consumer settings, timed from the first delete.
  const plainQueues = await rig.newQueuePair('recovery-plain');
  await fillQueue(sqs, plainQueues.queueUrl, backlog);
  const plainConsumer = await rig.startConsumer(
    rig.deployedConsumerEnv(plainQueues.queueUrl, plainQueues.dlqUrl),
  );
  let plainStartedAt: number | undefined;
  await waitFor(
    async () => {
      const { total } = await queueDepth(sqs, plainQueues.queueUrl);
      if (plainStartedAt === undefined && total < backlog) plainStartedAt = performance.now();
      return total === 0;
    },
    {
      what: 'the plain drain of the recovery backlog',
      timeoutMs: 120_000 + backlog * 20,
      intervalMs: POLL_INTERVAL_MS,
    },
  );
  const plainDrainSeconds = (performance.now() - (plainStartedAt ?? Number.NaN)) / 1000;
  await plainConsumer.stop();

  // The outage: the consumer runs, the API is killed, the backlog is queued while it is down.
  const queues = await rig.newQueuePair('recovery');
  const consumer = await rig.startConsumer(rig.deployedConsumerEnv(queues.queueUrl, queues.dlqUrl));
  await rig.killApi();
  const outageStartedAt = performance.now();
  await fillQueue(sqs, queues.queueUrl, backlog);
  await waitFor(() => Promise.resolve(consumer.output().includes('"msg":"consumer paused"')), {
    what: 'the consumer to pause',
    timeoutMs: 60_000,
    intervalMs: POLL_INTERVAL_MS,
  });
  // The outage itself: the scenario's length, not a wait for work.
  const remainingMs =
    parameters.recoveryOutageSeconds * 1000 - (performance.now() - outageStartedAt);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, remainingMs)));
  await rig.restartApi();
  const apiBackAt = performance.now();
  const apiBackAtEpochMs = Date.now();
  const outageSeconds = (apiBackAt - outageStartedAt) / 1000;
  let resumedAtEpochMs = Number.NaN;
  await waitFor(
    async () => {
      // Read early and often: the output keeps only its last 64 KiB, and deliveries log at info.
      if (Number.isNaN(resumedAtEpochMs)) {
        resumedAtEpochMs = loggedAt(consumer.output(), 'consumer resumed');
      }
      return (await queueDepth(sqs, queues.queueUrl)).total === 0;
    },
    {
      what: 'the recovery backlog to drain',
      timeoutMs: 120_000 + backlog * 20,
      intervalMs: POLL_INTERVAL_MS,
    },
  );
  const recoverySeconds = (performance.now() - apiBackAt) / 1000;
  const resumeSeconds = (resumedAtEpochMs - apiBackAtEpochMs) / 1000;
  await consumer.stop();
  const deadLettered = (await queueDepth(sqs, queues.dlqUrl)).total;
  if (deadLettered > 0) rig.problems.push(`recovery: ${deadLettered} message(s) dead-lettered`);
  return {
    backlog,
    outageSeconds,
    recoverySeconds,
    plainDrainSeconds,
    resumeSeconds,
    deadLettered,
  };
}

async function main(): Promise<void> {
  const parameters = readParameters(process.argv.slice(2));
  const machine = machineInfo();
  const serverUrl = loopbackServerUrl(process.env['DATABASE_URL'] || DEFAULT_SERVER_URL);
  const cleanup = createCleanupStack();
  const problems: string[] = [];
  const runId = Date.now().toString(36);

  try {
    console.log(
      `bench:pipeline — ${parameters.calls} handler calls per path (concurrency ` +
        `${parameters.latencyConcurrency}), backlog ${parameters.backlog}, consumer concurrency ` +
        `${parameters.concurrency}; ${machine.cpus} CPUs, load ${machine.loadAverageAtStart.join(' ')}`,
    );

    // --- Set-up: scratch database, queue server, API, producer.
    const scratch = await createScratchServerDatabase(serverUrl);
    cleanup.defer('drop scratch database', scratch.drop);
    const localSqs = await startLocalSqs();
    cleanup.defer('stop local SQS', () => localSqs.stop());
    const referenceSqs = createLocalSqsClient(localSqs.endpoint);
    cleanup.defer('close reference SQS client', async () => referenceSqs.destroy());
    const queuePair = (label: string) =>
      localSqs.createQueuePair(`bench-${label}-${runId}`, {
        maxReceiveCount: BENCH_MAX_RECEIVE_COUNT,
      });
    const fallbackQueues = await queuePair('fallback');
    const backlogQueues = await queuePair('backlog');
    const rawQueues = await queuePair('raw');

    const headerSecret = newHeaderSecret();
    const { port, parts: drill } = await drillOnFreeLoopbackPort(localSqs, {
      headerName: HEADER_NAME,
      headerSecret,
    });
    const { apiUrl } = drill;
    const apiEnv: Record<string, string> = {
      ...apiChildEnv(drill, { port, database: { DATABASE_URL: scratch.url } }),
      NODE_ENV: 'production',
    };
    const startApi = (): Promise<ChildService> =>
      startChildService({
        command: process.execPath,
        args: ['--import', 'tsx', 'api/main.ts'],
        cwd: repoRoot,
        env: apiEnv,
        ready: () => answersOk(`${apiUrl}/readyz`),
        readyTimeoutMs: 60_000,
      });
    let api = await startApi();
    cleanup.defer('stop api', () => api.stop());

    const consumerEnv = (queueUrl: string, dlqUrl: string, backoffMaxSeconds: number) => ({
      ...consumerChildEnv(drill, { queueUrl, dlqUrl }),
      NODE_ENV: 'production',
      DELIVERY_CONCURRENCY: String(parameters.concurrency),
      RECEIVE_BATCH_SIZE: String(RECEIVE_BATCH_SIZE),
      RECEIVE_WAIT_SECONDS: String(RECEIVE_WAIT_SECONDS),
      BACKOFF_BASE_SECONDS: '1',
      BACKOFF_MAX_SECONDS: String(backoffMaxSeconds),
    });
    const startConsumer = async (env: Record<string, string>): Promise<ChildService> => {
      // The consumer has no health endpoint; the figures start at its first delete, not its start.
      const consumer = await startChildService({
        command: process.execPath,
        args: ['--import', 'tsx', 'consumer/main.ts'],
        cwd: repoRoot,
        env,
        ready: () => Promise.resolve(true),
      });
      cleanup.defer('stop consumer', () => consumer.stop());
      return consumer;
    };

    const producer = await loadDrillProducer(drill, {
      queueUrl: fallbackQueues.queueUrl,
      // Long enough that the breaker stays open through the whole queue-path measurement.
      breakerOpenMs: 30 * 60_000,
    });
    cleanup.defer('stop observing the handler', async () => producer.close());
    const pathCounts = { api: 0, queue: 0, other: 0 };
    const callHandler = async (): Promise<void> => {
      const { outcome } = await producer.invoke(postConfirmationEvent());
      if (outcome?.path === 'api') pathCounts.api += 1;
      else if (outcome?.path === 'queue') pathCounts.queue += 1;
      else pathCounts.other += 1;
    };

    // --- 1. Handler latency on the API path vs a bare fetch of the same endpoint.
    let bareFetchCreated = 0;
    const bareFetch = async (): Promise<void> => {
      const response = await fetch(`${apiUrl}/user`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HEADER_NAME]: headerSecret },
        body: JSON.stringify(newRegistration()),
        signal: AbortSignal.timeout(5_000),
      });
      await response.arrayBuffer();
      if (response.status === 201) bareFetchCreated += 1;
    };
    const apiPath = await interleaved(parameters, callHandler, bareFetch);
    const apiPathHandlerCalls = pathCounts.api;
    if (pathCounts.api !== parameters.calls + parameters.warmup || pathCounts.other > 0) {
      problems.push(`API path: ${JSON.stringify(pathCounts)} (all should be api)`);
    }
    if (bareFetchCreated !== parameters.calls + parameters.warmup) {
      problems.push(
        `bare fetch: ${bareFetchCreated} of ${parameters.calls + parameters.warmup} created`,
      );
    }

    // --- 1b. The same API path over TLS, beside plain HTTP.
    const apiOverTls = await measureApiOverTls(parameters, apiUrl, headerSecret);
    const tlsExpected = 2 * (parameters.calls + parameters.warmup);
    if (apiOverTls.created !== tlsExpected) {
      problems.push(`API over TLS: ${apiOverTls.created} of ${tlsExpected} created`);
    }

    // --- 2. The API's own throughput at the consumer's concurrency (autocannon).
    const loadApi = (amount: number) =>
      runHttpLoad({
        baseUrl: apiUrl,
        connections: parameters.concurrency,
        amount,
        nextRequest: (): LoadRequest => ({
          method: 'POST',
          path: '/user',
          headers: { 'content-type': 'application/json', [HEADER_NAME]: headerSecret },
          body: JSON.stringify(newRegistration()),
        }),
        deadlineMs: 30_000 + amount * 10,
      });
    // The sequential calls above barely warm the API's concurrent paths (pool, JIT of the
    // hot loop); the consumer meets a warm API too, after the outage's backlog.
    const apiLoadWarmupRequests = Math.max(parameters.warmup, parameters.concurrency * 10);
    const apiLoadWarmup = await loadApi(apiLoadWarmupRequests);
    const apiCpuBeforeLoad = cpuSecondsOf(api.pid);
    const selfCpuBeforeLoad = selfCpuSeconds();
    const apiLoad = await loadApi(parameters.apiLoadRequests);
    const apiLoadCpuMs = {
      api: cpuMsPer(apiCpuBeforeLoad, cpuSecondsOf(api.pid), apiLoad.responses),
      loadGenerator: cpuMsPer(selfCpuBeforeLoad, selfCpuSeconds(), apiLoad.responses),
    };
    const apiLoadCreated =
      (apiLoadWarmup.statusCounts['201'] ?? 0) + (apiLoad.statusCounts['201'] ?? 0);
    if (apiLoadCreated !== apiLoadWarmupRequests + parameters.apiLoadRequests) {
      problems.push(
        `API load: ${apiLoadCreated} of ${apiLoadWarmupRequests + parameters.apiLoadRequests} created`,
      );
    }

    // --- 3. The outage: the API dies, the consumer keeps retrying, the handler queues.
    const outageConsumer = await startConsumer(
      consumerEnv(
        fallbackQueues.queueUrl,
        fallbackQueues.dlqUrl,
        parameters.outageBackoffMaxSeconds,
      ),
    );
    process.kill(api.pid, 'SIGKILL');
    await api.exited;
    pathCounts.api = 0;
    pathCounts.queue = 0;
    pathCounts.other = 0;
    // The first call after the kill meets the dead API and opens the breaker.
    await callHandler();
    let bareSendsAccepted = 0;
    const bareSend = async (): Promise<void> => {
      const output = await referenceSqs.send(
        new SendMessageCommand({
          QueueUrl: fallbackQueues.queueUrl,
          MessageBody: JSON.stringify(newRegistration()),
        }),
        { abortSignal: AbortSignal.timeout(5_000) },
      );
      if (output.MessageId) bareSendsAccepted += 1;
    };
    const queuePath = await interleaved(parameters, callHandler, bareSend);
    const queuePathHandlerCalls = pathCounts.queue;
    if (pathCounts.queue !== parameters.calls + parameters.warmup + 1 || pathCounts.other > 0) {
      problems.push(`queue path: ${JSON.stringify(pathCounts)} (all should be queue)`);
    }
    const outageBacklog = queuePathHandlerCalls + bareSendsAccepted;

    // --- 4. The API returns: how long until the outage's backlog is stored.
    const restartStartedAt = performance.now();
    api = await startApi();
    const apiBackAt = performance.now();
    await waitFor(
      async () => (await queueDepth(localSqs.sqs, fallbackQueues.queueUrl)).total === 0,
      {
        what: 'the outage backlog to drain',
        timeoutMs: 120_000 + outageBacklog * 20,
        intervalMs: POLL_INTERVAL_MS,
      },
    );
    const outageDrainSeconds = (performance.now() - apiBackAt) / 1000;
    const apiRestartSeconds = (apiBackAt - restartStartedAt) / 1000;
    await outageConsumer.stop();

    // --- 5. Raw receive + delete of a full backlog, in a process of its own (the reference).
    const loops = Math.max(1, Math.ceil(parameters.concurrency / RECEIVE_BATCH_SIZE));
    await fillQueue(referenceSqs, rawQueues.queueUrl, parameters.backlog);
    const rawMachineBefore = machineCpuTimes();
    const selfCpuBeforeRaw = selfCpuSeconds();
    const rawChild = spawnEntry(path.join('bench', 'lib', 'receive-delete-child.ts'), {
      env: { PATH: process.env['PATH'] ?? '' },
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      args: [
        '--endpoint',
        localSqs.endpoint,
        '--queue-url',
        rawQueues.queueUrl,
        '--loops',
        String(loops),
        '--batch-size',
        String(RECEIVE_BATCH_SIZE),
        '--wait-seconds',
        String(RECEIVE_WAIT_SECONDS),
        '--expected',
        String(parameters.backlog),
        '--deadline-ms',
        String(120_000),
      ],
    });
    let rawOutput = '';
    rawChild.stdout?.on('data', (chunk: Buffer) => (rawOutput += chunk.toString('utf8')));
    const rawExit = await exitOf(rawChild);
    const rawMachineBusy = busyShare(rawMachineBefore, machineCpuTimes());
    const queueServerCpuMsRaw = cpuMsPer(selfCpuBeforeRaw, selfCpuSeconds(), parameters.backlog);
    if (rawExit !== 0) throw new Error(`the receive+delete reference exited with ${rawExit}`);
    const raw = JSON.parse(rawOutput.trim().split('\n').pop() ?? '{}') as ReceiveDeleteResult & {
      processCpuSeconds: number;
    };
    if (raw.deleted !== parameters.backlog) {
      problems.push(`raw receive+delete: ${raw.deleted} of ${parameters.backlog} deleted`);
    }

    // --- 6. The consumer drains the same size of backlog into the API.
    await fillQueue(referenceSqs, backlogQueues.queueUrl, parameters.backlog);
    const drainConsumer = await startConsumer(
      consumerEnv(backlogQueues.queueUrl, backlogQueues.dlqUrl, 2),
    );
    let drainStartedAt: number | undefined;
    let depthAtStart = 0;
    let drainMachineBefore = machineCpuTimes();
    let drainCpuBefore = { consumer: 0, api: 0, self: 0 };
    await waitFor(
      async () => {
        const { total } = await queueDepth(localSqs.sqs, backlogQueues.queueUrl);
        if (drainStartedAt === undefined && total < parameters.backlog) {
          drainStartedAt = performance.now();
          depthAtStart = total;
          drainMachineBefore = machineCpuTimes();
          drainCpuBefore = {
            consumer: cpuSecondsOf(drainConsumer.pid),
            api: cpuSecondsOf(api.pid),
            self: selfCpuSeconds(),
          };
        }
        return total === 0;
      },
      {
        what: 'the consumer to drain the backlog',
        timeoutMs: 120_000 + parameters.backlog * 20,
        intervalMs: POLL_INTERVAL_MS,
      },
    );
    const drainSeconds = (performance.now() - (drainStartedAt ?? Number.NaN)) / 1000;
    const drainMachineBusy = busyShare(drainMachineBefore, machineCpuTimes());
    const drainCpuMs = {
      consumer: cpuMsPer(drainCpuBefore.consumer, cpuSecondsOf(drainConsumer.pid), depthAtStart),
      api: cpuMsPer(drainCpuBefore.api, cpuSecondsOf(api.pid), depthAtStart),
      queueServer: cpuMsPer(drainCpuBefore.self, selfCpuSeconds(), depthAtStart),
    };
    const drainRate = depthAtStart / drainSeconds;
    await drainConsumer.stop();

    // --- 7. Recovery after a long outage, with the deployed consumer settings.
    const recovery = await measureRecovery({
      parameters,
      sqs: referenceSqs,
      newQueuePair: (label) =>
        localSqs.createQueuePair(`bench-${label}-${runId}`, { maxReceiveCount: MAX_RECEIVE_COUNT }),
      deployedConsumerEnv: (queueUrl, dlqUrl) => {
        // Only what the stack sets: everything else (backoff, long polls, concurrency) at its
        // default, as deployed.
        const tuned = new Set([
          'DELIVERY_CONCURRENCY',
          'RECEIVE_BATCH_SIZE',
          'RECEIVE_WAIT_SECONDS',
          'BACKOFF_BASE_SECONDS',
          'BACKOFF_MAX_SECONDS',
        ]);
        return {
          ...Object.fromEntries(
            Object.entries(consumerEnv(queueUrl, dlqUrl, 1)).filter(([name]) => !tuned.has(name)),
          ),
          // As deployed (the stack's default): one line per message, which costs CPU too.
          LOG_LEVEL: 'info',
        };
      },
      startConsumer,
      killApi: async () => {
        process.kill(api.pid, 'SIGKILL');
        await api.exited;
      },
      restartApi: async () => {
        api = await startApi();
      },
      problems,
    });

    // --- Every registration accounted for: rows in the database, nothing dead-lettered.
    const db = openDatabase(postgresTarget(scratch.url));
    let storedUsers: number;
    try {
      const [row] = (await db('users').count({ count: '*' })) as Array<{ count: string | number }>;
      storedUsers = Number(row?.count);
    } finally {
      await db.destroy();
    }
    const expectedUsers =
      apiPathHandlerCalls +
      bareFetchCreated +
      apiOverTls.created +
      apiLoadCreated +
      outageBacklog +
      parameters.backlog +
      2 * recovery.backlog;
    if (storedUsers !== expectedUsers) {
      problems.push(`database holds ${storedUsers} users, expected ${expectedUsers}`);
    }
    for (const pair of [fallbackQueues, backlogQueues, rawQueues]) {
      const dead = (await queueDepth(localSqs.sqs, pair.dlqUrl)).total;
      if (dead > 0) problems.push(`${dead} message(s) dead-lettered in ${pair.dlqUrl}`);
    }

    // --- Figures.
    const apiHandler = distributionOf(apiPath.subject);
    const apiFetch = distributionOf(apiPath.reference);
    const queueHandler = distributionOf(queuePath.subject);
    const queueSend = distributionOf(queuePath.reference);
    const apiThroughput = apiLoad.responsesPerSecond;
    const drainCeiling = Math.min(apiThroughput, raw.messagesPerSecond);
    const drainRatio = drainRate / drainCeiling;
    const earlierApiThroughput = await earlierApiBenchThroughput();
    const queueTargetMet = queueHandler.p99 < QUEUE_PATH_P99_TARGET_MS;
    const drainTargetMet = drainRatio >= DRAIN_RATIO_TARGET;
    const loadAtEnd = os.loadavg().map((load) => Number(load.toFixed(2)));

    console.log('');
    printFigure('API path p50', ms(apiHandler.p50), `bare fetch ${ms(apiFetch.p50)}`);
    printFigure('API path p99', ms(apiHandler.p99), `bare fetch ${ms(apiFetch.p99)}`);
    printFigure(
      'API over TLS p50',
      ms(apiOverTls.tlsMs.p50),
      `same client, plain HTTP front ${ms(apiOverTls.plainMs.p50)}`,
    );
    printFigure(
      'API over TLS p99',
      ms(apiOverTls.tlsMs.p99),
      `same client, plain HTTP front ${ms(apiOverTls.plainMs.p99)}`,
    );
    printFigure('queue path p50', ms(queueHandler.p50), `bare SendMessage ${ms(queueSend.p50)}`);
    printFigure(
      'queue path p99',
      ms(queueHandler.p99),
      `bare SendMessage ${ms(queueSend.p99)}; target < ${QUEUE_PATH_P99_TARGET_MS} ms ` +
        `(${queueTargetMet ? 'met' : 'NOT met'})`,
    );
    printFigure(
      'consumer drain rate',
      rate(drainRate),
      `raw receive+delete ${rate(raw.messagesPerSecond)} (${loops} loops); ` +
        `API alone ${apiThroughput.toFixed(1)} req/s`,
    );
    printFigure(
      'drain / min(API, raw)',
      drainRatio.toFixed(2),
      `target >= ${DRAIN_RATIO_TARGET} (${drainTargetMet ? 'met' : 'NOT met'})`,
    );
    printFigure(
      'drain after API returns',
      `${outageDrainSeconds.toFixed(2)} s`,
      `${outageBacklog} queued; backoff max ${parameters.outageBackoffMaxSeconds} s + ` +
        `${outageBacklog} / drain rate = ` +
        `${(parameters.outageBackoffMaxSeconds + outageBacklog / drainRate).toFixed(2)} s`,
    );
    printFigure('API restart to ready', `${apiRestartSeconds.toFixed(2)} s`);
    printFigure(
      'machine CPU busy',
      `${(drainMachineBusy * 100).toFixed(0)}%`,
      `during raw receive+delete ${(rawMachineBusy * 100).toFixed(0)}%; load ${loadAtEnd.join(' ')}`,
    );
    printFigure(
      'CPU per message, drain',
      ms(drainCpuMs.consumer + drainCpuMs.api + drainCpuMs.queueServer),
      `consumer ${ms(drainCpuMs.consumer)} + API ${ms(drainCpuMs.api)} + queue server ` +
        `${ms(drainCpuMs.queueServer)}; API alone ${ms(apiLoadCpuMs.api)} + autocannon ` +
        `${ms(apiLoadCpuMs.loadGenerator)}; raw ${ms((raw.processCpuSeconds * 1000) / raw.deleted)} + ` +
        `queue server ${ms(queueServerCpuMsRaw)}`,
    );
    if (earlierApiThroughput !== undefined) {
      printFigure('bench:api result file', `${earlierApiThroughput.toFixed(1)} req/s`, '(context)');
    }
    printFigure(
      'recovery after outage',
      `${recovery.recoverySeconds.toFixed(2)} s`,
      `plain drain of the same ${recovery.backlog} ${recovery.plainDrainSeconds.toFixed(2)} s; ` +
        `API down ${recovery.outageSeconds.toFixed(0)} s, deployed backoff; resumed ` +
        `${recovery.resumeSeconds.toFixed(2)} s after the API answered; target < ` +
        `${RECOVERY_TARGET_SECONDS} s (${recovery.recoverySeconds < RECOVERY_TARGET_SECONDS ? 'met' : 'NOT met'})`,
    );
    printFigure('users stored', String(storedUsers), `expected ${expectedUsers}`);
    if (problems.length > 0) {
      console.error(`\n!!! INVALID RUN:\n  ${problems.join('\n  ')}\n`);
      process.exitCode = 1;
    }

    const file = await writeResult('pipeline', {
      bench: 'pipeline',
      measuredAt: new Date().toISOString(),
      valid: problems.length === 0,
      problems,
      machine: { ...machine, loadAverageAtEnd: loadAtEnd },
      parameters: {
        ...parameters,
        receiveBatchSize: RECEIVE_BATCH_SIZE,
        receiveWaitSeconds: RECEIVE_WAIT_SECONDS,
        rawLoops: loops,
        producerLogLevel: 'ERROR',
        serviceLogLevel: 'warn',
      },
      apiPath: {
        handlerMs: roundAll(apiHandler),
        bareFetchMs: roundAll(apiFetch),
        ratioP50: round(apiHandler.p50 / apiFetch.p50, 3),
        ratioP99: round(apiHandler.p99 / apiFetch.p99, 3),
      },
      apiOverTls: {
        clientMs: roundAll(apiOverTls.tlsMs),
        plainHttpClientMs: roundAll(apiOverTls.plainMs),
        ratioP50: round(apiOverTls.tlsMs.p50 / apiOverTls.plainMs.p50, 3),
        ratioP99: round(apiOverTls.tlsMs.p99 / apiOverTls.plainMs.p99, 3),
      },
      queuePath: {
        handlerMs: roundAll(queueHandler),
        bareSendMessageMs: roundAll(queueSend),
        ratioP50: round(queueHandler.p50 / queueSend.p50, 3),
        ratioP99: round(queueHandler.p99 / queueSend.p99, 3),
        target: { p99BelowMs: QUEUE_PATH_P99_TARGET_MS, met: queueTargetMet },
      },
      drain: {
        backlog: parameters.backlog,
        measuredMessages: depthAtStart,
        seconds: round(drainSeconds, 3),
        messagesPerSecond: round(drainRate, 1),
        machineCpuBusyShare: round(drainMachineBusy, 3),
        cpuMsPerMessage: {
          consumer: round(drainCpuMs.consumer, 3),
          api: round(drainCpuMs.api, 3),
          queueServer: round(drainCpuMs.queueServer, 3),
        },
        rawReceiveDelete: {
          loops,
          deleted: raw.deleted,
          receives: raw.receives,
          emptyReceives: raw.emptyReceives,
          seconds: round(raw.durationSeconds, 3),
          messagesPerSecond: round(raw.messagesPerSecond, 1),
          machineCpuBusyShare: round(rawMachineBusy, 3),
          cpuMsPerMessage: {
            client: round((raw.processCpuSeconds * 1000) / raw.deleted, 3),
            queueServer: round(queueServerCpuMsRaw, 3),
          },
        },
        apiAlone: {
          connections: parameters.concurrency,
          warmupRequests: apiLoadWarmupRequests,
          requests: parameters.apiLoadRequests,
          createdIncludingWarmup: apiLoadCreated,
          requestsPerSecond: round(apiThroughput, 1),
          latencyMs: roundAll(apiLoad.latencyMs),
          cpuMsPerRequest: {
            api: round(apiLoadCpuMs.api, 3),
            autocannon: round(apiLoadCpuMs.loadGenerator, 3),
          },
          earlierBenchApiRequestsPerSecond: earlierApiThroughput,
        },
        ratioToRaw: round(drainRate / raw.messagesPerSecond, 3),
        ratioToApi: round(drainRate / apiThroughput, 3),
        ratio: round(drainRatio, 3),
        target: { ratioAtLeast: DRAIN_RATIO_TARGET, met: drainTargetMet },
      },
      afterOutage: {
        backlog: outageBacklog,
        consumerBackoffMaxSeconds: parameters.outageBackoffMaxSeconds,
        apiRestartSeconds: round(apiRestartSeconds, 3),
        drainSecondsAfterApiReady: round(outageDrainSeconds, 3),
      },
      recoveryAfterOutage: {
        backlog: recovery.backlog,
        maxReceiveCount: MAX_RECEIVE_COUNT,
        consumerSettings: 'deployed defaults (backoff 5 s doubling to 900 s, 20 s long polls)',
        outageSeconds: round(recovery.outageSeconds, 1),
        secondsFromApiAnsweringToQueueEmpty: round(recovery.recoverySeconds, 3),
        consumerResumedSecondsAfterApiAnswered: round(recovery.resumeSeconds, 3),
        plainDrainSeconds: round(recovery.plainDrainSeconds, 3),
        deadLettered: recovery.deadLettered,
        target: {
          secondsBelow: RECOVERY_TARGET_SECONDS,
          met: recovery.recoverySeconds < RECOVERY_TARGET_SECONDS,
        },
      },
      usersStored: storedUsers,
      usersExpected: expectedUsers,
    });
    console.log(`wrote ${path.relative(repoRoot, file)}`);
  } finally {
    await cleanup.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
