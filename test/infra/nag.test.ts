import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ADOPTED_MODES } from './adoption-modes';
import { buildApp, TEST_HOSTED_ZONE } from './synth-app';

/** Every `Validations.of(…).acknowledge()` in the tree: rule ID → reason, with the path. */
function acknowledgementsOf(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

const findingsOf = (app: App) =>
  new AwsSolutionsChecks(app).validateScope(app).violations.map((violation) => ({
    rule: violation.ruleName,
    resources: violation.violatingResources.map((resource) => resource.resourceLogicalId),
  }));

describe('cdk-nag AwsSolutions', () => {
  test('when the default (dev) stage is checked, then no finding is left unacknowledged', () => {
    const { app } = buildApp({ ...TEST_HOSTED_ZONE });
    expect(findingsOf(app)).toEqual([]);
  });

  test('when a dev stage opts into plain HTTP, then no finding is left unacknowledged', () => {
    const { app } = buildApp({ allowInsecureHttp: true });
    expect(findingsOf(app)).toEqual([]);
  });

  test('when the prod stage is checked, then multi-AZ and deletion protection need no acknowledgement', () => {
    const { app } = buildApp({ stage: 'prod', ...TEST_HOSTED_ZONE });
    expect(findingsOf(app)).toEqual([]);
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
      expect(findingsOf(app)).toEqual([]);
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
    const rules = findingsOf(app).map((finding) => finding.rule);
    expect(rules).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});
