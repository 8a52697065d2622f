/**
 * End-to-end: a database failover under the running pipeline. The API and the consumer run as
 * their own processes (as `npm run api` / `npm run consumer`, and as `npm start` runs them on a
 * `DATABASE_URL`), the real producer handler in this process, the local SQS server in this
 * process, all on a scratch database of the PostgreSQL server.
 *
 * The failover is played by the database itself: `ALTER DATABASE … SET
 * default_transaction_read_only = on` and every session of it terminated, so each new session is
 * read-only (25006 on every write), as a writer demoted under its DNS name answers; 20 s later it
 * is switched back and the sessions terminated again. Meanwhile sign-ups flow through the
 * producer and a direct sender posts registrations and retries them. Every answer must be
 * 201/200 or 503, never 500; the consumer must see an outage (it pauses), not defects; and after
 * the switch back every registration is stored once and nothing is dead-lettered.
 *
 * Needs a PostgreSQL server: PGlite has no per-database setting for other sessions and no
 * sessions to terminate.
 */
import { performance } from 'node:perf_hooks';
import knex, { type Knex } from 'knex';
import type { RegistrationOutcome } from '../../producer/registration-outcome';
import { postConfirmationEvent } from '../../fixtures/cognito-events';
import { newRegistration } from '../../fixtures/registrations';
import { createScratchServerDatabase, serverDatabaseUrl } from '../../fixtures/test-database';
import { countBy } from '../helpers/count-by';
import { queueDepth } from '../helpers/local-sqs';
import { startPipelineDrill, type PipelineDrill } from '../helpers/pipeline-drill';
import { waitFor } from '../../scripts/local/wait-for';

/** How long the database refuses writes: the drill. */
const READ_ONLY_MS = 20_000;
/** Traffic before the switch, so the pools hold writable connections to be caught out. */
const WARM_UP_MS = 2_000;
/** Pace of each traffic loop: a steady flow, not a load test. */
const SIGN_UP_EVERY_MS = 100;
const DIRECT_POST_EVERY_MS = 150;
const SIGN_UP_LOOPS = 2;
/** A short breaker, so the producer keeps trying the API during the drill. */
const PRODUCER_BREAKER_OPEN_MS = 2_000;
/** The direct sender's retry pause after a 503 (shorter than retry-after, to see more answers). */
const DIRECT_RETRY_MS = 250;
const DIRECT_TIMEOUT_MS = 5_000;
const READY_TIMEOUT_MS = 60_000;
/** Everything must be stored this soon after the switch back: the paused consumer resumes. */
const STORED_AFTER_SWITCH_BACK_LIMIT_MS = 10_000;
/** How long to wait for it at most, so a slower recovery is measured rather than cut off. */
const SETTLED_TIMEOUT_MS = 30_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (serverDatabaseUrl) {
  const serverUrl = serverDatabaseUrl;

  describe('registration pipeline through a database failover (PostgreSQL server)', () => {
    let pipeline: PipelineDrill | undefined;
    let scratch: { url: string; drop: () => Promise<void> } | undefined;
    let databaseName: string;
    let admin: Knex | undefined;
    const report: Record<string, unknown> = { e2e: 'database-failover' };

    /** Sets the scratch database read-only (or back) for new sessions and ends every session. */
    async function switchReadOnly(on: boolean): Promise<void> {
      if (!admin) throw new Error('set-up did not finish');
      await admin.raw(
        on
          ? 'ALTER DATABASE ?? SET default_transaction_read_only = on'
          : 'ALTER DATABASE ?? RESET default_transaction_read_only',
        [databaseName],
      );
      await admin.raw(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()',
        [databaseName],
      );
    }

    beforeAll(async () => {
      scratch = await createScratchServerDatabase(serverUrl);
      databaseName = new URL(scratch.url).pathname.slice(1);
      admin = knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
      pipeline = await startPipelineDrill({
        queueName: `e2e-failover-${Date.now()}`,
        apiDatabaseEnv: { DATABASE_URL: scratch.url },
        producerBreakerOpenMs: PRODUCER_BREAKER_OPEN_MS,
        apiReadyTimeoutMs: READY_TIMEOUT_MS,
      });
    }, READY_TIMEOUT_MS + 30_000);

    afterAll(async () => {
      process.stderr.write(`${JSON.stringify(report)}\n`);
      await pipeline?.stop();
      // Never leave the setting behind, even when the test failed half-way.
      await admin
        ?.raw('ALTER DATABASE ?? RESET default_transaction_read_only', [databaseName])
        .catch(() => undefined);
      await admin?.destroy();
      await scratch?.drop();
    }, 60_000);

    it('when the database turns read-only for 20 s under traffic, then every answer is 2xx or 503, the consumer pauses without a defect, and afterwards every registration is stored once', async () => {
      if (!pipeline || !scratch) throw new Error('set-up did not finish');
      const { api, consumer, localSqs, queues, producer: invoker } = pipeline;
      const { apiUrl, headerName, headerSecret } = pipeline.parts;
      let flowing = true;
      const signUpSubs: string[] = [];
      const outcomes: RegistrationOutcome[] = [];
      let thrown = 0;
      const directSubs: string[] = [];
      const directStatuses: number[] = [];
      let directTimeouts = 0;

      const signUpLoop = async (): Promise<void> => {
        while (flowing) {
          const event = postConfirmationEvent();
          signUpSubs.push(event.request.userAttributes['sub'] ?? '');
          const invocation = await invoker.invoke(event);
          if (invocation.status !== 'ok') thrown += 1;
          if (invocation.outcome) outcomes.push(invocation.outcome);
          await pause(SIGN_UP_EVERY_MS);
        }
      };
      /** A sender that honours 503: it posts until the registration is stored. */
      const directLoop = async (): Promise<void> => {
        while (flowing) {
          const registration = newRegistration();
          directSubs.push(registration.sub);
          for (;;) {
            try {
              const response = await fetch(`${apiUrl}/user`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', [headerName]: headerSecret },
                body: JSON.stringify(registration),
                signal: AbortSignal.timeout(DIRECT_TIMEOUT_MS),
              });
              await response.arrayBuffer();
              directStatuses.push(response.status);
              if (response.status === 200 || response.status === 201) break;
              if (response.status !== 503) break; // recorded; the assertions name it
            } catch {
              directTimeouts += 1;
            }
            await pause(DIRECT_RETRY_MS);
          }
          await pause(DIRECT_POST_EVERY_MS);
        }
      };
      const traffic = Promise.all([
        ...Array.from({ length: SIGN_UP_LOOPS }, () => signUpLoop()),
        directLoop(),
      ]);

      // The scenario's phases: warm pools, then the failover's read-only window. (These waits
      // are the drill's timeline, not waits for work.)
      await pause(WARM_UP_MS);
      const readOnlyFrom = performance.now();
      await switchReadOnly(true);
      await pause(READ_ONLY_MS);
      await switchReadOnly(false);
      const switchedBackAt = performance.now();
      report['readOnlyMs'] = Math.round(switchedBackAt - readOnlyFrom);
      flowing = false;
      await traffic;

      const sqs = localSqs.sqs;
      const db = knex({ client: 'pg', connection: scratch.url, pool: { min: 0, max: 1 } });
      const allSubs = [...signUpSubs, ...directSubs];
      let storedOnce = 0;
      let totalRows = 0;
      let settled: boolean;
      try {
        // Not thrown at once on a timeout: the assertions below say what went wrong first.
        settled = await waitFor(
          async () => {
            const [stored] = (await db('users').whereIn('sub', allSubs).count({ count: '*' })) as [
              { count: string },
            ];
            storedOnce = Number(stored.count);
            return (
              storedOnce === allSubs.length && (await queueDepth(sqs, queues.queueUrl)).total === 0
            );
          },
          { timeoutMs: SETTLED_TIMEOUT_MS, intervalMs: 250, what: 'every registration stored' },
        ).then(
          () => true,
          () => false,
        );
        const [total] = (await db('users').count({ count: '*' })) as [{ count: string }];
        totalRows = Number(total.count);
      } finally {
        await db.destroy();
      }
      const settledAfterMs = Math.round(performance.now() - switchedBackAt);
      const apiLines = api.lines();
      const consumerLines = consumer.lines();
      const outcomeKinds = countBy(
        outcomes.map((outcome) =>
          outcome.path === 'queue' ? `queue:${outcome.reason}` : outcome.path,
        ),
      );
      Object.assign(report, {
        signUps: signUpSubs.length,
        directRegistrations: directSubs.length,
        directStatuses: countBy(directStatuses.map(String)),
        directTimeouts,
        outcomes: outcomeKinds,
        settled,
        settledAfterMs,
      });

      // Every answer an outage, never a defect.
      expect(directStatuses.filter((status) => ![200, 201, 503].includes(status))).toEqual([]);
      expect(directStatuses).toContain(503);
      expect(directTimeouts).toBe(0);
      expect(apiLines.filter((line) => line.includes('"status":500'))).toEqual([]);
      expect(
        apiLines.filter((line) => line.includes('"level":50') && !line.includes('"status":503')),
      ).toEqual([]);
      expect(thrown).toBe(0);
      // Stored by the API, or queued for a reason other than a defect (503, the open breaker).
      const storedOrQueuedForAnOutage = (outcome: RegistrationOutcome): boolean =>
        outcome.path === 'api' || (outcome.path === 'queue' && outcome.reason !== 'server_error');
      expect(outcomes.filter((outcome) => !storedOrQueuedForAnOutage(outcome))).toEqual([]);
      expect(outcomeKinds['queue:unavailable'] ?? 0).toBeGreaterThan(0);
      // The consumer met the failover as an outage: it paused, resumed, counted no defect.
      const lifecycle = consumerLines.flatMap((line) => {
        const msg = /"msg":"(consumer [a-z]+)"/.exec(line)?.[1];
        return msg === undefined ? [] : [msg];
      });
      expect(lifecycle).toEqual(expect.arrayContaining(['consumer paused', 'consumer resumed']));
      expect(consumerLines.filter((line) => line.includes('ConsumerServerDefects'))).toEqual([]);
      expect(consumerLines.filter((line) => line.includes('"defect":true'))).toEqual([]);
      // Afterwards: everything stored once, nothing dead-lettered.
      expect(settled).toBe(true);
      expect(settledAfterMs).toBeLessThan(STORED_AFTER_SWITCH_BACK_LIMIT_MS);
      expect(storedOnce).toBe(allSubs.length);
      expect(totalRows).toBe(allSubs.length);
      expect(new Set(allSubs).size).toBe(allSubs.length);
      expect((await queueDepth(sqs, queues.dlqUrl)).total).toBe(0);
    }, 120_000);
  });
} else {
  describe('registration pipeline through a database failover', () => {
    it('runs only against a PostgreSQL server (set DATABASE_URL): PGlite has no per-database read-only setting for other sessions, nor sessions to terminate', () => {
      expect(serverDatabaseUrl).toBeUndefined();
    });
  });
}
