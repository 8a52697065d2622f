import type { MessageReport, WorkerStats } from '../../../consumer/worker-ledger';
import { createWorkerLedger } from '../../../consumer/worker-ledger';
import { capturingLogger } from './support/log-lines';
import { zeroStats } from './support/zero-stats';

const report = (outcome: MessageReport['outcome'], extra: Partial<MessageReport> = {}) =>
  ({
    messageId: `m-${outcome}`,
    sub: `sub-${outcome}`,
    receiveCount: 2,
    outcome,
    ...extra,
  }) satisfies MessageReport;

describe('worker ledger', () => {
  it('when nothing happened yet, then every counter is 0', () => {
    const { logger } = capturingLogger();

    expect(createWorkerLedger(logger).stats()).toEqual(zeroStats);
  });

  it('when batches arrive and finish, then received adds up and inFlight follows the open batches', () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);

    ledger.batchReceived(3);
    ledger.batchReceived(4);
    const during = ledger.stats();
    ledger.batchDone(3);
    const after = ledger.stats();

    expect(during).toEqual({ ...zeroStats, received: 7, inFlight: 7 });
    expect(after).toEqual({ ...zeroStats, received: 7, inFlight: 4 });
  });

  it('when deletes fail, then deleteFailed adds up the counts', () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);

    ledger.deleteFailed(2);
    ledger.deleteFailed(3);

    expect(ledger.stats()).toEqual({ ...zeroStats, deleteFailed: 5 });
  });

  it('when messages settle, then each outcome counts in its own counter', () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);

    ledger.settled(report('delivered'));
    ledger.settled(report('delivered'));
    ledger.settled(report('retried'));
    ledger.settled(report('dead_lettered'));
    ledger.settled(report('dead_lettered'));
    ledger.settled(report('dead_lettered'));
    ledger.settled(report('released'));

    expect(ledger.stats()).toEqual({
      ...zeroStats,
      delivered: 2,
      retried: 1,
      deadLettered: 3,
      released: 1,
    });
  });

  it('when a message settles, then one line at info carries the report, dead-lettering at warn', () => {
    const { logger, lines } = capturingLogger();
    const ledger = createWorkerLedger(logger);
    const retried = report('retried', {
      reason: 'throttled',
      status: 429,
      visibilityTimeoutSeconds: 10,
    });

    ledger.settled(report('delivered'));
    ledger.settled(retried);
    ledger.settled(report('dead_lettered', { reason: 'invalid_request', status: 400 }));
    ledger.settled(report('released'));

    expect(lines()).toEqual([
      expect.objectContaining({ level: 30, msg: 'message delivered', ...report('delivered') }),
      expect.objectContaining({ level: 30, msg: 'message retried', ...retried }),
      expect.objectContaining({
        level: 40,
        msg: 'message dead-lettered',
        ...report('dead_lettered', { reason: 'invalid_request', status: 400 }),
      }),
      expect.objectContaining({ level: 30, msg: 'message released', ...report('released') }),
    ]);
  });

  it('when a message settles, then its outcome event carries the report', () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);
    const seen: Array<[string, MessageReport]> = [];
    for (const outcome of ['delivered', 'retried', 'dead_lettered', 'released'] as const) {
      ledger.events.on(outcome, (settled: MessageReport) => seen.push([outcome, settled]));
    }
    const reports = [
      report('released'),
      report('dead_lettered'),
      report('retried'),
      report('delivered'),
    ];

    for (const settled of reports) ledger.settled(settled);

    expect(seen).toEqual(reports.map((settled) => [settled.outcome, settled]));
  });

  it('when emit is called, then listeners get the arguments', () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);
    const stopped: WorkerStats[] = [];
    ledger.events.on('stopped', (stats: WorkerStats) => stopped.push(stats));

    ledger.emit('stopped', { ...zeroStats, received: 1 });

    expect(stopped).toEqual([{ ...zeroStats, received: 1 }]);
  });

  it('when an error is emitted without a listener of the caller, then it does not throw', () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);

    expect(() => ledger.emit('error', new Error('queue gone'))).not.toThrow();
  });

  it('when stats are read, then the caller gets a copy it cannot change the counters through', () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);

    ledger.stats().received = 99;

    expect(ledger.stats().received).toBe(0);
  });
});
