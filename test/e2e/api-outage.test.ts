/**
 * End-to-end: the whole pipeline on this machine through an API outage. The local SQS server
 * (queue + DLQ with redrive) runs in this process; the API and the consumer run as their own
 * processes (`api/main.ts`, `consumer/main.ts`, as `npm run api` / `npm run consumer` do); the
 * real producer handler runs in this process with its environment pointed at them.
 *
 * The database is a scratch database on the PostgreSQL server when DATABASE_URL is set (so counts
 * are exact), else the embedded PGlite in a temporary data directory, which outlives the API
 * process so the restarted API finds the rows stored before the outage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { openDatabase } from '../../api/database';
import type { RegistrationOutcome } from '../../producer/registration-outcome';
import { exitOf, stopChild } from '../../scripts/local/child-process';
import { mapConcurrently } from '../../scripts/local/producer-invocations';
import { postConfirmationEvent } from '../../fixtures/cognito-events';
import { queueDepth } from '../helpers/local-sqs';
import {
  createScratchServerDatabase,
  databaseKind,
  postgresTarget,
  serverDatabaseUrl,
} from '../../fixtures/test-database';
import { countBy } from '../helpers/count-by';
import { startPipelineDrill, type PipelineDrill } from '../helpers/pipeline-drill';
import { type ServiceProcess, stillRunning } from '../helpers/service-process';
import { waitFor } from '../../scripts/local/wait-for';
import { percentile as nearestRankPercentile } from '../../bench/lib/stats';
import { retryWindowSeconds } from '../../consumer/backoff';

const SIGN_UPS_PER_PHASE = 300;
const SIGN_UP_CONCURRENCY = 10;
/** The bound on the handler while the API is down: the breaker keeps it far below 5 s. */
const QUEUE_PATH_P99_LIMIT_MS = 1000;
/** Long enough that the breaker stays open for the whole outage phase, even on a busy machine. */
const PRODUCER_BREAKER_OPEN_MS = 120_000;
/**
 * Receives before the queue dead-letters a message: few, so that with the consumer's default
 * backoff the queue's whole retry window (at most 5 s + 10 s) is shorter than the outage. Only a
 * consumer that stops receiving while the API is down dead-letters nothing.
 */
const E2E_MAX_RECEIVE_COUNT = 3;
/** The outage lasts at least this much longer than the retry window. */
const OUTAGE_MARGIN_MS = 3000;
/** Everything queued must be stored this soon after the API answers again. */
const STORED_AFTER_RESTART_LIMIT_MS = 10_000;
/** Starting the API on PGlite initialises a data directory; on a busy machine that takes a while. */
const API_READY_TIMEOUT_MS = 90_000;
const DRAIN_TIMEOUT_MS = 60_000;

interface SignUpRun {
  /** The `sub` of each sign-up, in the order they were generated. */
  subs: string[];
  outcomes: RegistrationOutcome[];
  /** Wall-clock duration of each handler call, ms. */
  durationsMs: number[];
  /** Handler calls that threw (both paths failed). */
  thrown: number;
  elapsedMs: number;
}

/** When the consumer logged 'consumer resumed' (epoch ms), NaN if it has not. */
const resumedAtEpochMs = (consumer: ServiceProcess): number => {
  const line = consumer.lines().find((text) => text.includes('"msg":"consumer resumed"'));
  return line ? Date.parse(String((JSON.parse(line) as { time?: unknown }).time)) : Number.NaN;
};

/** Nearest-rank percentile (an observed value), as the benchmarks report it. */
const percentile = (samples: readonly number[], p: number): number =>
  nearestRankPercentile(
    [...samples].sort((a, b) => a - b),
    p,
  );

describe(`registration pipeline through an API outage (${databaseKind})`, () => {
  let pipeline: PipelineDrill | undefined;
  let dropScratchDatabase: (() => Promise<void>) | undefined;
  let pgliteDataDir: string | undefined;
  /** Timings for the CI log, written in afterAll so a failing run shows them too. */
  const report: Record<string, unknown> = { e2e: 'api-outage', database: databaseKind };

  /** Runs `count` sign-ups through the handler, `SIGN_UP_CONCURRENCY` at a time. */
  async function signUp(count: number, label: string): Promise<SignUpRun> {
    if (!pipeline) throw new Error('set-up did not finish');
    const { producer } = pipeline;
    const events = Array.from({ length: count }, (_, index) =>
      postConfirmationEvent({ email: `e2e-${label}-${index}-${Date.now()}@example.com` }),
    );
    const startedAt = performance.now();
    const invocations = await mapConcurrently(events, SIGN_UP_CONCURRENCY, (event) =>
      producer.invoke(event),
    );
    return {
      subs: events.map((event) => event.request.userAttributes['sub'] ?? ''),
      outcomes: invocations.flatMap((invocation) => invocation.outcome ?? []),
      durationsMs: invocations.map((invocation) => invocation.durationMs),
      thrown: invocations.filter((invocation) => invocation.status !== 'ok').length,
      elapsedMs: performance.now() - startedAt,
    };
  }

  beforeAll(async () => {
    let apiDatabaseEnv: Record<string, string>;
    if (serverDatabaseUrl) {
      const scratch = await createScratchServerDatabase(serverDatabaseUrl);
      dropScratchDatabase = scratch.drop;
      apiDatabaseEnv = { DATABASE_URL: scratch.url };
    } else {
      pgliteDataDir = await mkdtemp(path.join(tmpdir(), 'e2e-pglite-'));
      apiDatabaseEnv = { PGLITE_DATA_DIR: pgliteDataDir };
    }

    pipeline = await startPipelineDrill({
      queueName: `e2e-registrations-${Date.now()}`,
      maxReceiveCount: E2E_MAX_RECEIVE_COUNT,
      apiDatabaseEnv,
      producerBreakerOpenMs: PRODUCER_BREAKER_OPEN_MS,
      apiReadyTimeoutMs: API_READY_TIMEOUT_MS,
    });
  }, API_READY_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    process.stderr.write(`${JSON.stringify(report)}\n`);
    await pipeline?.stop();
    await dropScratchDatabase?.();
    if (pgliteDataDir) await rm(pgliteDataDir, { recursive: true, force: true });
  }, 60_000);

  it("when the API is killed mid-stream and stays down past the queue's retry window, then sign-ups are queued fast and, within 10 s of its restart, all 600 users are stored exactly once and none dead-lettered", async () => {
    if (!pipeline) throw new Error('set-up did not finish');
    const { consumer, queues, apiEnv } = pipeline;
    const sqs = pipeline.localSqs.sqs;

    // Phase 1: the API is up, every sign-up is stored directly.
    const beforeOutage = await signUp(SIGN_UPS_PER_PHASE, 'up');

    report['apiPhaseMs'] = Math.round(beforeOutage.elapsedMs);
    report['apiPhaseP99Ms'] = Math.round(percentile(beforeOutage.durationsMs, 99));

    expect(beforeOutage.thrown).toBe(0);
    expect(countBy(beforeOutage.outcomes.map((outcome) => outcome.path))).toEqual({
      api: SIGN_UPS_PER_PHASE,
    });

    // Phase 2: the API process dies without any chance to clean up.
    const killedApi = pipeline.api;
    killedApi.child.kill('SIGKILL');
    expect(await exitOf(killedApi.child)).toBe('SIGKILL');
    const outageStartedAt = performance.now();

    const duringOutage = await signUp(SIGN_UPS_PER_PHASE, 'down');
    const outagePaths = countBy(duringOutage.outcomes.map((outcome) => outcome.path));
    const outageReasons = countBy(
      duringOutage.outcomes.map((outcome) => (outcome.path === 'queue' ? outcome.reason : 'none')),
    );
    const outageP99Ms = percentile(duringOutage.durationsMs, 99);
    Object.assign(report, {
      outagePhaseMs: Math.round(duringOutage.elapsedMs),
      outageP50Ms: Math.round(percentile(duringOutage.durationsMs, 50)),
      outageP99Ms: Math.round(outageP99Ms),
      outageMaxMs: Math.round(Math.max(...duringOutage.durationsMs)),
      outageReasons,
    });

    expect(duringOutage.thrown).toBe(0);
    expect(outagePaths).toEqual({ queue: SIGN_UPS_PER_PHASE });
    expect(outageP99Ms).toBeLessThan(QUEUE_PATH_P99_LIMIT_MS);
    // Only the calls already under way when the first failure was seen may try the API.
    expect(outageReasons['breaker_open'] ?? 0).toBeGreaterThanOrEqual(
      SIGN_UPS_PER_PHASE - SIGN_UP_CONCURRENCY,
    );
    expect(stillRunning(consumer)).toBe(true);

    // The API stays down for longer than the queue's whole retry window: a consumer that kept
    // receiving would have dead-lettered every queued registration by now. (This wait is the
    // scenario's outage, not a wait for work.)
    const retryWindowMs = retryWindowSeconds(E2E_MAX_RECEIVE_COUNT).maximum * 1000;
    const outageSoFarMs = performance.now() - outageStartedAt;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, retryWindowMs + OUTAGE_MARGIN_MS - outageSoFarMs)),
    );
    const outageMs = performance.now() - outageStartedAt;
    expect(consumer.lines().join('\n')).toContain('"msg":"consumer paused"');

    // Phase 3: the API comes back on the same port and database; the consumer drains the queue.
    const restartStartedAt = performance.now();
    const api = await pipeline.restartApi();
    const apiBackAt = performance.now();
    const apiBackAtEpochMs = Date.now();
    const runningConsumer = consumer;
    await waitFor(
      async () => {
        if (!stillRunning(runningConsumer)) {
          throw new Error(`the consumer exited:\n${runningConsumer.outputTail()}`);
        }
        return (await queueDepth(sqs, queues.queueUrl)).total === 0;
      },
      { timeoutMs: DRAIN_TIMEOUT_MS, intervalMs: 100, what: 'the consumer to drain the queue' },
    );
    const drainedAt = performance.now();
    Object.assign(report, {
      apiDownMs: Math.round(outageMs),
      retryWindowMs,
      apiRestartMs: Math.round(apiBackAt - restartStartedAt),
      drainAfterRestartMs: Math.round(drainedAt - apiBackAt),
      consumerResumedAfterRestartMs: resumedAtEpochMs(consumer) - apiBackAtEpochMs,
      outageToDrainedMs: Math.round(drainedAt - outageStartedAt),
    });

    // Phase 4: exactly the 600 users, once each, with the path each took; nothing left queued.
    let db: Knex;
    if (serverDatabaseUrl) {
      db = openDatabase(postgresTarget(apiEnv['DATABASE_URL'] ?? ''));
    } else {
      // PGlite serves one process at a time: stop the API (gracefully) and read its data directory.
      await stopChild(api.child, { timeoutMs: 15_000 });
      db = openDatabase({ kind: 'embedded', dataDir: pgliteDataDir });
    }
    let rows: Array<{ sub: string; email: string; source: string }>;
    let totalRows: number;
    try {
      const allSubs = [...beforeOutage.subs, ...duringOutage.subs];
      rows = await db('users').select('sub', 'email', 'source').whereIn('sub', allSubs);
      const [{ count }] = (await db('users').count({ count: '*' })) as [{ count: string | number }];
      totalRows = Number(count);
    } finally {
      await db.destroy();
    }
    const sourceBySub = new Map(rows.map((row) => [row.sub, row.source]));
    const dlqDepth = await queueDepth(sqs, queues.dlqUrl);
    const queueDepthAfter = await queueDepth(sqs, queues.queueUrl);

    expect(rows).toHaveLength(2 * SIGN_UPS_PER_PHASE);
    expect(totalRows).toBe(2 * SIGN_UPS_PER_PHASE);
    expect(new Set(rows.map((row) => row.sub)).size).toBe(2 * SIGN_UPS_PER_PHASE);
    expect(new Set(rows.map((row) => row.email.toLowerCase())).size).toBe(2 * SIGN_UPS_PER_PHASE);
    expect(beforeOutage.subs.every((sub) => sourceBySub.get(sub) === 'trigger')).toBe(true);
    expect(duringOutage.subs.every((sub) => sourceBySub.get(sub) === 'queue')).toBe(true);
    expect(queueDepthAfter.total).toBe(0);
    expect(dlqDepth.total).toBe(0);
    expect(outageMs).toBeGreaterThan(retryWindowMs);
    expect(drainedAt - apiBackAt).toBeLessThan(STORED_AFTER_RESTART_LIMIT_MS);
  }, 240_000);
});
