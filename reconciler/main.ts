/**
 * `npm run reconcile -- [--dry-run] [--force]`: one reconciliation run of the pool named by
 * COGNITO_USER_POOL_ID against the database of DATABASE_URL (or DATABASE_SECRET_ARN), also the
 * scheduled task's command in AWS. Logs and progress go to stderr (progress only on a terminal);
 * stdout carries the EMF metrics (in AWS) and, always as its last line, the summary
 * {"scanned","created","updated","markedDeleted","unchanged","dryRun"}.
 * Exit code: 0 done, 1 failed or stopped (nothing marked deleted), 2 bad usage or configuration,
 * 3 the brake held (nothing marked deleted).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { ConfigError } from '#contract/config';
import { createServiceLogger, type Logger } from '#contract/logger';
import { METRICS_NAMESPACE, metricNames, metricServices } from '#contract/metrics';
import { openDatabase } from '../api/database';
import { createUserRepository } from '../api/user-repository';
import { loadConfig } from './config';
import { createMirrorStore } from './mirror-store';
import {
  emptySummary,
  exitCodeOf,
  reconcile,
  type ReconcileReport,
  type ReconcileSummary,
} from './reconcile';
import { listPoolUsers } from './user-pool-pager';

const USAGE = 'usage: npm run reconcile -- [--dry-run] [--force]';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface RunReconcilerOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Aborting stops the run (SIGTERM in a container, Ctrl-C on a terminal). */
  signal?: AbortSignal;
  logger?: Logger;
}

function parseFlags(argv: readonly string[]): { dryRun: boolean; force: boolean } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return { dryRun: values['dry-run'] ?? false, force: values.force ?? false };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

function publishMetrics(summary: ReconcileSummary): void {
  // The created alarm watches this: a user the live paths missed is a defect to look at.
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: metricServices.reconciler,
  });
  metrics.addMetric(metricNames.reconciler.created, MetricUnit.Count, summary.created);
  metrics.addMetric(metricNames.reconciler.updated, MetricUnit.Count, summary.updated);
  metrics.addMetric(metricNames.reconciler.markedDeleted, MetricUnit.Count, summary.markedDeleted);
  metrics.publishStoredMetrics();
}

function describeOutcome(report: ReconcileReport, maxDeleteShare: number): string {
  const { summary, skipped, stale, gone } = report;
  const parts = [
    `${report.status}: scanned ${summary.scanned}, created ${summary.created}, updated ${summary.updated}, ` +
      `unchanged ${summary.unchanged} (stale ${stale}), marked deleted ${summary.markedDeleted}` +
      (summary.dryRun ? ' (dry run: nothing written)' : ''),
  ];
  if (skipped.unconfirmed + skipped.invalid > 0) {
    parts.push(`not mirrored: ${skipped.unconfirmed} unconfirmed, ${skipped.invalid} invalid`);
  }
  if (report.status === 'brake' && gone) {
    parts.push(
      `brake: ${gone.gone} of ${gone.live} live rows look gone from the pool, more than ` +
        `${Math.round(maxDeleteShare * 1000) / 10} %; none marked. Check the pool id, then rerun ` +
        'with --force to mark them.',
    );
  }
  if (report.status === 'incomplete') {
    const reason = report.error instanceof Error ? report.error.message : String(report.error);
    parts.push(`the run ended early (${reason}); nothing was marked deleted`);
  }
  return parts.join('\n');
}

/** One run, wired from the environment; resolves to the exit code. */
export async function runReconciler(options: RunReconcilerOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const say = (line: string): void => {
    stderr.write(`${line}\n`);
  };
  const summary: ReconcileSummary = emptySummary(false);
  let exitCode = 1;
  try {
    const flags = parseFlags(options.argv);
    summary.dryRun = flags.dryRun;
    const config = loadConfig(options.env);
    const logger = options.logger ?? createServiceLogger('reconciler', config.logLevel, 2);
    const stop = new AbortController();
    const timeout = setTimeout(
      () => stop.abort(new Error(`the run took longer than ${config.timeoutMs / 1000} s`)),
      config.timeoutMs,
    );
    const onAbort = (): void => stop.abort(new Error('stop requested'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const client = new CognitoIdentityProviderClient({ maxAttempts: 1 });
    const db = openDatabase(config.database, logger);
    const progress = 'isTTY' in stderr && stderr.isTTY === true;
    try {
      const runId = randomUUID();
      logger.info(
        { runId, userPoolId: config.userPoolId, dryRun: flags.dryRun, force: flags.force },
        'reconciliation started',
      );
      const report = await reconcile({
        pages: listPoolUsers({
          client,
          userPoolId: config.userPoolId,
          requestsPerSecond: config.requestsPerSecond,
          maxRetries: config.maxRetries,
          signal: stop.signal,
          onRetry: ({ attempt, delayMs, error }) =>
            logger.warn(
              { attempt, delayMs, error: (error as Error).name },
              'ListUsers retry after backoff',
            ),
        }),
        store: createMirrorStore(db, createUserRepository(db)),
        userPoolId: config.userPoolId,
        runId,
        dryRun: flags.dryRun,
        force: flags.force,
        maxDeleteShare: config.maxDeleteShare,
        batchSize: config.batchSize,
        onProgress: progress
          ? (p) =>
              stderr.write(
                `\rreconcile: scanned ${p.scanned}, created ${p.created}, updated ${p.updated}, unchanged ${p.unchanged}`,
              )
          : undefined,
        onSkip: ({ reason, detail }) => logger.debug({ reason, detail }, 'user not mirrored'),
      });
      if (progress) stderr.write('\n');
      Object.assign(summary, report.summary);
      exitCode = exitCodeOf(report);
      const level = report.status === 'complete' ? 'info' : 'error';
      logger[level](
        {
          runId,
          status: report.status,
          summary: report.summary,
          skipped: report.skipped,
          stale: report.stale,
          gone: report.gone,
          timings: report.timings,
          err: report.error,
        },
        'reconciliation finished',
      );
      say(describeOutcome(report, config.maxDeleteShare));
      if (!flags.dryRun) publishMetrics(report.summary);
    } finally {
      clearTimeout(timeout);
      options.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      await db.destroy();
      logger.flush();
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      say(`reconcile: ${error.message}`);
      exitCode = 2;
    } else {
      say(`reconcile: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      exitCode = 1;
    }
  } finally {
    stdout.write(`${JSON.stringify(summary)}\n`);
  }
  return exitCode;
}

if (require.main === module) {
  const stop = new AbortController();
  // SIGTERM (ECS stopping the task, e.g. at its timeout) or Ctrl-C: end the scan, mark nothing.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  void runReconciler({ argv: process.argv.slice(2), env: process.env, signal: stop.signal }).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
