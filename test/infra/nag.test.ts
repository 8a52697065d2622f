import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ADOPTED_MODES } from './adoption-modes';
import { acknowledgementsOf, nagFindingsOf } from './nag-findings';
import { buildApp, TEST_HOSTED_ZONE } from './synth-app';

describe('cdk-nag AwsSolutions', () => {
  test('when the default (dev) stage is checked, then no finding is left unacknowledged', () => {
    const { app } = buildApp({ ...TEST_HOSTED_ZONE });
    expect(nagFindingsOf(app)).toEqual([]);
  });

  test('when a dev stage opts into plain HTTP, then no finding is left unacknowledged', () => {
    const { app } = buildApp({ allowInsecureHttp: true });
    expect(nagFindingsOf(app)).toEqual([]);
  });

  test('when the prod stage is checked, then multi-AZ and deletion protection need no acknowledgement', () => {
    const { app } = buildApp({ stage: 'prod', ...TEST_HOSTED_ZONE });
    expect(nagFindingsOf(app)).toEqual([]);
    const acknowledged = acknowledgementsOf(app).map((acknowledgement) => acknowledgement.id);
    expect(acknowledged.filter((id) => /AwsSolutions-RDS(3|10)$/.test(id))).toEqual([]);
  });

  test('every acknowledgement names a specific rule and gives a real reason', () => {
    const { app } = buildApp({ ...TEST_HOSTED_ZONE });
    // aws-cdk-lib acknowledges a few CloudFormation-validation warnings of its own; ours are nag's.
    const acknowledgements = acknowledgementsOf(app).filter(({ id }) =>
      id.includes('AwsSolutions-'),
    );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const acknowledgement of acknowledgements) {
      // Recorded as `<namespace>::AwsSolutions-<rule>[<finding>]`: one rule, never a prefix.
      expect(acknowledgement.id).toMatch(/::AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(acknowledgement.reason.length).toBeGreaterThanOrEqual(80);
    }
  });

  test.each(ADOPTED_MODES)(
    'when the $name mode is checked, then no finding is left unacknowledged, and each acknowledgement has its reason',
    ({ context }) => {
      const { app } = buildApp(context);
      expect(nagFindingsOf(app)).toEqual([]);
      for (const { id, reason } of acknowledgementsOf(app).filter(({ id }) =>
        id.includes('AwsSolutions-'),
      )) {
        expect(id).toMatch(/::AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
        expect(reason.length).toBeGreaterThanOrEqual(80);
      }
    },
  );

  test('when a resource breaks a rule, then the pack reports it (the gate is live)', () => {
    const app = new App();
    new sqs.Queue(new Stack(app, 'Careless'), 'PlainQueue', {
      encryption: sqs.QueueEncryption.UNENCRYPTED,
    });
    const rules = nagFindingsOf(app).map((finding) => finding.rule);
    expect(rules).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});
