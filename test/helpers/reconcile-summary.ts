import type { ReconcileSummary } from '../../reconciler/reconcile';

/** A run's summary with every count not named at 0, and not a dry run unless said. */
export function reconcileSummary(counts: Partial<ReconcileSummary>): ReconcileSummary {
  return {
    scanned: 0,
    created: 0,
    updated: 0,
    markedDeleted: 0,
    unchanged: 0,
    dryRun: false,
    ...counts,
  };
}
