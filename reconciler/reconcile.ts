import type { UserType } from '@aws-sdk/client-cognito-identity-provider';
import { IncompleteScanError } from './errors';
import type { BatchCounts, MirrorStore } from './mirror-store';
import { poolUserVerdict, type PoolRegistration } from './pool-user';

/** The last line of `npm run reconcile`'s stdout (ARCHITECTURE.md). */
export interface ReconcileSummary {
  scanned: number;
  created: number;
  updated: number;
  markedDeleted: number;
  unchanged: number;
  dryRun: boolean;
}

/** The summary of a run that has not counted anything yet. */
export function emptySummary(dryRun: boolean): ReconcileSummary {
  return { scanned: 0, created: 0, updated: 0, markedDeleted: 0, unchanged: 0, dryRun };
}

/**
 * - `complete`: the whole pool was scanned and the sweep ran;
 * - `brake`: the whole pool was scanned but more rows looked gone than the brake allows, so none
 *   were marked;
 * - `incomplete`: the scan ended early (see `error`); nothing was marked deleted.
 */
export type ReconcileStatus = 'complete' | 'brake' | 'incomplete';

export interface ReconcileReport {
  status: ReconcileStatus;
  summary: ReconcileSummary;
  /** Pool users the mirror does not hold: unconfirmed sign-ups, and users the contract refuses. */
  skipped: { unconfirmed: number; invalid: number };
  /** Pool states older than the stored one (included in `summary.unchanged`). */
  stale: number;
  /** Rows that looked gone, and the live rows of the pool they are a share of (after a full scan). */
  gone?: { gone: number; live: number };
  /** Busy time on each side, in milliseconds: waiting for ListUsers pages, and database work. */
  timings: { cognitoMs: number; databaseMs: number; totalMs: number };
  error?: unknown;
}

export interface ReconcileProgress {
  scanned: number;
  created: number;
  updated: number;
  unchanged: number;
}

export interface ReconcileOptions {
  /** The pool's users, page by page (see listPoolUsers). */
  readonly pages: AsyncIterable<UserType[]>;
  readonly store: MirrorStore;
  readonly userPoolId: string;
  readonly runId: string;
  readonly dryRun: boolean;
  /** Mark every gone row even beyond the brake. */
  readonly force: boolean;
  /** Largest share (0–1) of the pool's live rows one run may mark deleted. */
  readonly maxDeleteShare: number;
  /** Users per database round trip. */
  readonly batchSize: number;
  readonly now?: () => number;
  /** Called after each database batch. */
  readonly onProgress?: (progress: ReconcileProgress) => void;
  /** Told about each user the mirror does not hold. */
  readonly onSkip?: (skip: { reason: 'unconfirmed' | 'invalid'; detail: string }) => void;
}

/**
 * One reconciliation run: streams the pool's pages into database batches (the next pages are
 * fetched while a batch is written, and at most one batch waits in memory), then, only after a
 * complete scan, marks the rows the scan did not see as deleted, unless they are more than
 * `maxDeleteShare` of the pool's live rows and `force` is off (the brake: a wrong pool id or a
 * scan that silently returned too little must not wipe the mirror).
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  const scanStartedAt = new Date();
  const summary = emptySummary(options.dryRun);
  const report: ReconcileReport = {
    status: 'incomplete',
    summary,
    skipped: { unconfirmed: 0, invalid: 0 },
    stale: 0,
    timings: { cognitoMs: 0, databaseMs: 0, totalMs: 0 },
  };
  const { store, runId } = options;

  const timeDatabase = async <T>(work: () => Promise<T>): Promise<T> => {
    const started = now();
    try {
      return await work();
    } finally {
      report.timings.databaseMs += now() - started;
    }
  };
  const addCounts = (counts: BatchCounts): void => {
    summary.created += counts.created;
    summary.updated += counts.updated;
    summary.unchanged += counts.unchanged;
    report.stale += counts.stale;
    options.onProgress?.({
      scanned: summary.scanned,
      created: summary.created,
      updated: summary.updated,
      unchanged: summary.unchanged,
    });
  };

  let batch: PoolRegistration[] = [];
  let seen: string[] = [];
  let inFlight: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    // One batch written at a time: wait for the previous one before handing over the next.
    await inFlight;
    inFlight = undefined;
    if (batch.length === 0 && seen.length === 0) return;
    const registrations = batch;
    const seenSubs = seen;
    batch = [];
    seen = [];
    const written = timeDatabase(() =>
      store.applyBatch(runId, registrations, seenSubs, { dryRun: options.dryRun }),
    ).then(addCounts);
    // Handled here so that a failure while the next page is awaited is not an unhandled
    // rejection; the next flush awaits `written` and rethrows it.
    written.catch(() => undefined);
    inFlight = written;
  };

  try {
    await timeDatabase(() => store.beginRun(runId));
    const iterator = options.pages[Symbol.asyncIterator]();
    for (;;) {
      const waitStarted = now();
      const next = await iterator.next();
      report.timings.cognitoMs += now() - waitStarted;
      if (next.done) break;
      for (const user of next.value) {
        summary.scanned += 1;
        const verdict = poolUserVerdict(user, options.userPoolId);
        if (verdict.kind === 'mirror') {
          batch.push(verdict.registration);
          seen.push(verdict.registration.sub);
        } else {
          report.skipped[verdict.reason] += 1;
          if (verdict.sub !== undefined) seen.push(verdict.sub);
          options.onSkip?.({ reason: verdict.reason, detail: verdict.detail });
        }
      }
      if (seen.length >= options.batchSize) await flush();
    }
    await flush();
    await inFlight;

    const gone = await timeDatabase(() =>
      store.countGone(runId, options.userPoolId, scanStartedAt),
    );
    report.gone = gone;
    const maxGone = options.force
      ? Number.POSITIVE_INFINITY
      : Math.floor(gone.live * options.maxDeleteShare);
    if (gone.gone > maxGone) {
      report.status = 'brake';
    } else {
      report.status = 'complete';
      summary.markedDeleted = options.dryRun
        ? gone.gone
        : await timeDatabase(() =>
            store.markGone(runId, options.userPoolId, scanStartedAt, maxGone),
          );
    }
  } catch (error) {
    // What the scan did see is still true: write it (a scan error leaves the database working),
    // then report. Only the sweep needs the whole pool.
    if (error instanceof IncompleteScanError) {
      await flush()
        .then(() => inFlight)
        .catch(() => undefined);
    }
    await inFlight?.catch(() => undefined);
    report.status = 'incomplete';
    report.error = error;
  } finally {
    await timeDatabase(() => store.endRun(runId)).catch(() => undefined);
    report.timings.totalMs = now() - startedAt;
  }
  return report;
}

/** The exit code of a run: 0 complete, 1 failed or stopped, 3 the brake held. */
export function exitCodeOf(report: ReconcileReport): number {
  if (report.status === 'complete') return 0;
  if (report.status === 'brake') return 3;
  return 1;
}
