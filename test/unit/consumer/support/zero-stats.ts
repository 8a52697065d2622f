import type { WorkerStats } from '../../../../consumer/worker-ledger';

/**
 * The worker's counters before anything happened. Written out here rather than taken from the
 * ledger, so a changed starting value fails the tests instead of moving with them.
 */
export const zeroStats: Readonly<WorkerStats> = Object.freeze({
  received: 0,
  delivered: 0,
  retried: 0,
  deadLettered: 0,
  released: 0,
  deleteFailed: 0,
  inFlight: 0,
});
