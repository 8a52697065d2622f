import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { redriveDeadLetters } from '../../../consumer/dlq-redrive';

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/registrations';
const deadLetterQueueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/registrations-dlq';
const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:registrations';
const deadLetterQueueArn = 'arn:aws:sqs:eu-west-1:123456789012:registrations-dlq';

describe('redriveDeadLetters with a message move task', () => {
  const sqs = mockClient(SQSClient);

  beforeEach(() => {
    sqs.reset();
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: queueUrl })
      .resolves({ Attributes: { QueueArn: queueArn, ApproximateNumberOfMessages: '0' } });
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: deadLetterQueueUrl })
      .resolves({ Attributes: { QueueArn: deadLetterQueueArn, ApproximateNumberOfMessages: '0' } });
  });

  it('when SQS runs the move task to completion, then it moves DLQ → queue explicitly and reports what moved', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3 }] })
      .resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 12 }] });

    const summary = await redriveDeadLetters({
      sqs: new SQSClient({ region: 'eu-west-1' }),
      queueUrl,
      deadLetterQueueUrl,
      pollIntervalMs: 1,
    });

    expect(summary).toMatchObject({
      method: 'move-task',
      moved: 12,
      failed: 0,
      status: 'COMPLETED',
      remaining: 0,
    });
    // Messages the consumer dead-lettered itself have no source ARN: the destination is explicit.
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: deadLetterQueueArn,
      DestinationArn: queueArn,
    });
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('when the move task fails, then the summary carries its status and reason', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        {
          Status: 'FAILED',
          ApproximateNumberOfMessagesMoved: 4,
          FailureReason: 'AccessDenied',
        },
      ],
    });

    const summary = await redriveDeadLetters({
      sqs: new SQSClient({ region: 'eu-west-1' }),
      queueUrl,
      deadLetterQueueUrl,
      method: 'move-task',
      pollIntervalMs: 1,
    });

    expect(summary).toMatchObject({
      method: 'move-task',
      moved: 4,
      failed: 1,
      status: 'FAILED',
      failureReason: 'AccessDenied',
    });
  });
});
