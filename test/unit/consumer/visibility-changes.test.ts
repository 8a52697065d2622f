import { ChangeMessageVisibilityBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { VisibilityChange } from '../../../consumer/handled-message';
import { createVisibilityChanges } from '../../../consumer/visibility-changes';
import type { MessageReport } from '../../../consumer/worker-ledger';
import { capturingLogger } from './support/log-lines';

const QUEUE_URL = 'https://sqs.local/000000000000/registrations';
const RECEIVE_VISIBILITY = 55;

const change = (n: number, seconds: number, outcome: MessageReport['outcome'] = 'retried') => {
  const message: Message = { MessageId: `m-${n}`, ReceiptHandle: `rh-${n}` };
  return {
    kind: 'visibility',
    message,
    seconds,
    report: {
      messageId: `m-${n}`,
      sub: `sub-${n}`,
      receiveCount: n,
      outcome,
      visibilityTimeoutSeconds: seconds,
    },
  } satisfies VisibilityChange;
};

function visibilityChanges() {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  const { logger, lines } = capturingLogger();
  const errors: Error[] = [];
  const apply = createVisibilityChanges({
    sqs,
    queueUrl: QUEUE_URL,
    logger,
    receiveVisibilitySeconds: RECEIVE_VISIBILITY,
    onError: (error) => errors.push(error),
  });
  return { apply, sqsMock, lines, errors };
}

describe('visibility changes', () => {
  it('when there is nothing to change, then no SQS call is made', async () => {
    const { apply, sqsMock, lines, errors } = visibilityChanges();

    const reports = await apply([]);

    expect(reports).toEqual([]);
    expect(sqsMock.calls()).toHaveLength(0);
    expect(lines()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('when a batch has retries and hand-backs, then one batch call sets each visibility and the reports stand', async () => {
    const { apply, sqsMock, lines, errors } = visibilityChanges();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const changes = [change(1, 30), change(2, 0, 'released'), change(3, 900)];

    const reports = await apply(changes);

    expect(sqsMock).toHaveReceivedCommandTimes(ChangeMessageVisibilityBatchCommand, 1);
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: 'm0', ReceiptHandle: 'rh-1', VisibilityTimeout: 30 },
        { Id: 'm1', ReceiptHandle: 'rh-2', VisibilityTimeout: 0 },
        { Id: 'm2', ReceiptHandle: 'rh-3', VisibilityTimeout: 900 },
      ],
    });
    expect(reports).toEqual(changes.map((entry) => entry.report));
    expect(lines()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('when SQS answers without a Failed list, then every report stands', async () => {
    const { apply, sqsMock } = visibilityChanges();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const changes = [change(1, 30), change(2, 60)];

    expect(await apply(changes)).toEqual(changes.map((entry) => entry.report));
  });

  it('when some entries fail, then only those fall back to the receive visibility, each with a warning', async () => {
    const { apply, sqsMock, lines, errors } = visibilityChanges();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({
      Successful: [{ Id: 'm1' }],
      Failed: [
        { Id: 'm0', Code: 'ReceiptHandleIsInvalid', SenderFault: true },
        { Id: 'm2', Code: 'InternalError', SenderFault: false },
      ],
    });
    const changes = [change(1, 30), change(2, 60), change(3, 90)];

    const reports = await apply(changes);

    expect(reports).toEqual([
      { ...changes[0]?.report, visibilityTimeoutSeconds: RECEIVE_VISIBILITY },
      changes[1]?.report,
      { ...changes[2]?.report, visibilityTimeoutSeconds: RECEIVE_VISIBILITY },
    ]);
    const warning =
      'changing visibility failed; the message returns after the receive visibility timeout';
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: warning,
        messageId: 'm-1',
        code: 'ReceiptHandleIsInvalid',
      }),
      expect.objectContaining({ level: 40, msg: warning, messageId: 'm-3', code: 'InternalError' }),
    ]);
    expect(errors).toEqual([]);
  });

  it('when a failure comes back without an Id, then no entry is taken for it', async () => {
    const { apply, sqsMock, lines } = visibilityChanges();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({
      Failed: [
        { Code: 'InternalError', SenderFault: false } as {
          Id: string;
          Code: string;
          SenderFault: boolean;
        },
      ],
    });
    const changes = [change(1, 30)];

    expect(await apply(changes)).toEqual([changes[0]?.report]);
    expect(lines()).toEqual([expect.objectContaining({ level: 40, code: 'InternalError' })]);
    expect(lines()[0]).not.toHaveProperty('messageId');
  });

  it('when the call fails, then every report falls back to the receive visibility, one warning, one error', async () => {
    const { apply, sqsMock, lines, errors } = visibilityChanges();
    const failure = new Error('queue unreachable');
    sqsMock.on(ChangeMessageVisibilityBatchCommand).rejects(failure);
    const changes = [change(1, 30), change(2, 0, 'released')];

    const reports = await apply(changes);

    expect(reports).toEqual(
      changes.map((entry) => ({ ...entry.report, visibilityTimeoutSeconds: RECEIVE_VISIBILITY })),
    );
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'changing visibility failed; the messages return after the receive visibility timeout',
        count: 2,
        err: expect.objectContaining({ message: 'queue unreachable' }),
      }),
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe('queue unreachable');
  });

  it('when the call rejects with something other than an Error, then it is reported as an Error', async () => {
    const { apply, sqsMock, lines, errors } = visibilityChanges();
    sqsMock
      .on(ChangeMessageVisibilityBatchCommand)
      .callsFake(() => Promise.reject('socket hang up'));

    await apply([change(1, 30)]);

    expect(errors).toEqual([new Error('socket hang up')]);
    expect(errors[0]).toBeInstanceOf(Error);
    expect(lines()).toEqual([
      expect.objectContaining({
        err: expect.objectContaining({ type: 'Error', message: 'socket hang up' }),
      }),
    ]);
  });
});
