import type { Message } from '@aws-sdk/client-sqs';
import { createBatchHandler } from '../../../consumer/batch-handler';
import { createConcurrencyLimit } from '../../../consumer/concurrency-limit';
import type { HandledMessage, VisibilityChange } from '../../../consumer/handled-message';
import type { ApplyVisibility } from '../../../consumer/visibility-changes';
import { createWorkerLedger, type MessageReport } from '../../../consumer/worker-ledger';
import { capturingLogger } from './support/log-lines';
import { zeroStats } from './support/zero-stats';

const messageNumbered = (n: number): Message => ({ MessageId: `m-${n}`, ReceiptHandle: `rh-${n}` });

const reportFor = (message: Message, outcome: MessageReport['outcome']): MessageReport => ({
  messageId: message.MessageId,
  sub: `sub-${message.MessageId}`,
  receiveCount: 1,
  outcome,
});

/** A decision per message id; messages not listed are delivered. */
type Decisions = Record<string, 'ack-delivered' | 'ack-dead-lettered' | 'retry' | 'release'>;

const decide = (message: Message, decisions: Decisions): HandledMessage => {
  switch (decisions[message.MessageId ?? ''] ?? 'ack-delivered') {
    case 'ack-delivered':
      return { kind: 'ack', message, report: reportFor(message, 'delivered') };
    case 'ack-dead-lettered':
      return { kind: 'ack', message, report: reportFor(message, 'dead_lettered') };
    case 'retry':
      return { kind: 'visibility', message, report: reportFor(message, 'retried'), seconds: 30 };
    case 'release':
      return { kind: 'visibility', message, report: reportFor(message, 'released'), seconds: 0 };
  }
};

function batchHandler({
  decisions = {},
  limit = 10,
}: { decisions?: Decisions; limit?: number } = {}) {
  const { logger } = capturingLogger();
  const ledger = createWorkerLedger(logger);
  const settled: MessageReport[] = [];
  for (const outcome of ['delivered', 'retried', 'dead_lettered', 'released'] as const) {
    ledger.events.on(outcome, (report: MessageReport) => settled.push(report));
  }
  const visibilityCalls: VisibilityChange[][] = [];
  let applyVisibility: ApplyVisibility = (changes) => {
    visibilityCalls.push([...changes]);
    return Promise.resolve(changes.map((entry) => entry.report));
  };
  const handled: string[] = [];
  const batches = createBatchHandler({
    handleMessage: (message) => {
      handled.push(message.MessageId ?? '');
      return Promise.resolve(decide(message, decisions));
    },
    limit: createConcurrencyLimit(limit),
    applyVisibility: (changes) => applyVisibility(changes),
    ledger,
  });
  return {
    batches,
    ledger,
    settled,
    visibilityCalls,
    handled,
    setApplyVisibility: (apply: ApplyVisibility) => {
      applyVisibility = apply;
    },
  };
}

describe('batch handler', () => {
  it('when a batch is handled, then the acknowledged messages are returned for deletion and the rest get one visibility change', async () => {
    const messages = [1, 2, 3, 4, 5].map(messageNumbered);
    const { batches, visibilityCalls, handled, ledger, settled } = batchHandler({
      decisions: { 'm-2': 'retry', 'm-3': 'ack-dead-lettered', 'm-4': 'release' },
    });

    const toDelete = await batches.handleBatch(messages);

    expect(handled).toEqual(['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    expect(toDelete).toEqual([messages[0], messages[2], messages[4]]);
    expect(visibilityCalls).toEqual([
      [
        {
          kind: 'visibility',
          message: messages[1],
          report: reportFor(messages[1]!, 'retried'),
          seconds: 30,
        },
        {
          kind: 'visibility',
          message: messages[3],
          report: reportFor(messages[3]!, 'released'),
          seconds: 0,
        },
      ],
    ]);
    // Retries and hand-backs count at once; acknowledged messages only once deleted.
    expect(settled.map((report) => report.messageId)).toEqual(['m-2', 'm-4']);
    expect(ledger.stats()).toEqual({ ...zeroStats, received: 5, retried: 1, released: 1 });
  });

  it('when the visibility change fails for a message, then the report as it turned out is what counts', async () => {
    const message = messageNumbered(1);
    const { batches, settled, setApplyVisibility } = batchHandler({
      decisions: { 'm-1': 'retry' },
    });
    setApplyVisibility((changes) =>
      Promise.resolve(changes.map((entry) => ({ ...entry.report, visibilityTimeoutSeconds: 99 }))),
    );

    await batches.handleBatch([message]);

    expect(settled).toEqual([{ ...reportFor(message, 'retried'), visibilityTimeoutSeconds: 99 }]);
  });

  it('when messages of a batch are handled, then at most `limit` run at once', async () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);
    let running = 0;
    let most = 0;
    const batches = createBatchHandler({
      handleMessage: async (message) => {
        running += 1;
        most = Math.max(most, running);
        await Promise.resolve();
        await Promise.resolve();
        running -= 1;
        return decide(message, {});
      },
      limit: createConcurrencyLimit(2),
      applyVisibility: () => Promise.resolve([]),
      ledger,
    });

    const toDelete = await batches.handleBatch([1, 2, 3, 4, 5].map(messageNumbered));

    expect(toDelete).toHaveLength(5);
    expect(most).toBe(2);
  });

  it('while a batch is being handled, then its messages are in flight, and not after', async () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);
    const inFlightSeen: number[] = [];
    const batches = createBatchHandler({
      handleMessage: (message) => {
        inFlightSeen.push(ledger.stats().inFlight);
        return Promise.resolve(decide(message, {}));
      },
      limit: createConcurrencyLimit(5),
      applyVisibility: () => Promise.resolve([]),
      ledger,
    });

    await batches.handleBatch([1, 2, 3].map(messageNumbered));

    expect(inFlightSeen).toEqual([3, 3, 3]);
    expect(ledger.stats()).toEqual({ ...zeroStats, received: 3 });
  });

  it('when handling a message throws, then the batch rejects and its messages leave the in-flight count', async () => {
    const { logger } = capturingLogger();
    const ledger = createWorkerLedger(logger);
    const batches = createBatchHandler({
      handleMessage: () => Promise.reject(new Error('handler bug')),
      limit: createConcurrencyLimit(5),
      applyVisibility: () => Promise.resolve([]),
      ledger,
    });

    await expect(batches.handleBatch([1, 2].map(messageNumbered))).rejects.toThrow('handler bug');
    expect(ledger.stats()).toEqual({ ...zeroStats, received: 2 });
  });

  it('when an acknowledged message is deleted, then it settles once with its report', async () => {
    const messages = [1, 2].map(messageNumbered);
    const { batches, settled, ledger } = batchHandler({
      decisions: { 'm-2': 'ack-dead-lettered' },
    });
    await batches.handleBatch(messages);

    batches.deleted(messages[0]!);
    batches.deleted(messages[1]!);
    batches.deleted(messages[0]!);

    expect(settled).toEqual([
      reportFor(messages[0]!, 'delivered'),
      reportFor(messages[1]!, 'dead_lettered'),
    ]);
    expect(ledger.stats()).toEqual({ ...zeroStats, received: 2, delivered: 1, deadLettered: 1 });
  });

  it('when a message that was not acknowledged is reported deleted, then nothing counts', async () => {
    const messages = [1].map(messageNumbered);
    const { batches, settled, ledger } = batchHandler({ decisions: { 'm-1': 'retry' } });
    await batches.handleBatch(messages);
    settled.length = 0;

    batches.deleted(messages[0]!);
    batches.deleted(messageNumbered(7));

    expect(settled).toEqual([]);
    expect(ledger.stats()).toEqual({ ...zeroStats, received: 1, retried: 1 });
  });

  it('when deletes fail, then only acknowledged messages are returned and counted, once', async () => {
    const messages = [1, 2, 3].map(messageNumbered);
    const { batches, settled, ledger } = batchHandler({ decisions: { 'm-2': 'retry' } });
    await batches.handleBatch(messages);
    settled.length = 0;

    const failed = batches.deleteFailed(messages);
    const again = batches.deleteFailed(messages);
    batches.deleted(messages[0]!);

    expect(failed).toEqual([messages[0], messages[2]]);
    expect(again).toEqual([]);
    expect(settled).toEqual([]);
    expect(ledger.stats()).toEqual({ ...zeroStats, received: 3, retried: 1, deleteFailed: 2 });
  });

  it('when no message of a batch needs a visibility change, then the change is asked for nothing', async () => {
    const { batches, visibilityCalls } = batchHandler();

    await batches.handleBatch([messageNumbered(1)]);

    expect(visibilityCalls).toEqual([[]]);
  });
});
