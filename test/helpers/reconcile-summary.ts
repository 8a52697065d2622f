import { emptySummary, type ReconcileSummary } from '../../reconciler/reconcile';

/** A run's summary with every count not named at 0, and not a dry run unless said. */
export function reconcileSummary(counts: Partial<ReconcileSummary>): ReconcileSummary {
  return { ...emptySummary(false), ...counts };
}
