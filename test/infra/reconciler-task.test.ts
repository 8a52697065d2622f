import { Match } from 'aws-cdk-lib/assertions';
import { metricNames } from '../../contract/metrics';
import {
  containerImageSources,
  synthApp,
  TEST_HOSTED_ZONE,
  type SynthesizedApp,
} from './synth-app';

describe('reconciler task', () => {
  let synthesized: SynthesizedApp;
  beforeAll(() => {
    synthesized = synthApp({ ...TEST_HOSTED_ZONE });
  });

  test('when synthesized, then a daily schedule runs the reconciler command on Fargate in the private subnets', () => {
    synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      Target: Match.objectLike({
        EcsParameters: Match.objectLike({
          LaunchType: 'FARGATE',
          NetworkConfiguration: {
            AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }),
          },
        }),
      }),
    });
    synthesized.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Name: 'reconciler',
          Command: ['node', '--enable-source-maps', 'dist/reconciler.js'],
          Environment: Match.arrayWith([
            { Name: 'RECONCILE_TIMEOUT_SECONDS', Value: '3600' },
            { Name: 'RECONCILE_MAX_DELETE_SHARE', Value: '0.05' },
          ]),
        }),
      ]),
    });
  });

  test("when synthesized, then the task runs the Dockerfile's api target, the very image asset the API runs", () => {
    const sources = containerImageSources(synthesized);
    expect(sources.reconciler).toMatchObject({
      dockerFile: 'Dockerfile',
      dockerBuildTarget: 'api',
    });
    expect(sources.reconciler?.assetHash).toBe(sources.api?.assetHash);
  });

  test('when synthesized, then the task may call ListUsers on this pool only', () => {
    const policies = Object.values(synthesized.json.Resources).filter(
      (resource) => resource.Type === 'AWS::IAM::Policy',
    );
    const cognitoStatements = policies
      .flatMap(
        (policy) =>
          (policy.Properties?.['PolicyDocument'] as { Statement: Record<string, unknown>[] })
            .Statement,
      )
      .filter((statement) => JSON.stringify(statement.Action).includes('cognito-idp'));
    expect(cognitoStatements).toHaveLength(1);
    expect(cognitoStatements[0]?.Action).toBe('cognito-idp:ListUsers');
    expect(JSON.stringify(cognitoStatements[0]?.Resource)).toContain('AuthUserPool');
    expect(cognitoStatements[0]?.Resource).not.toBe('*');
  });

  test('when synthesized, then the task logs in with the application secret over verified TLS, and its role may read that secret only', () => {
    const { json } = synthesized;
    const [taskDefinition] = Object.values(json.Resources).filter(
      (resource) =>
        resource.Type === 'AWS::ECS::TaskDefinition' &&
        JSON.stringify(resource.Properties?.['ContainerDefinitions']).includes('"reconciler"'),
    );
    const container = (
      taskDefinition?.Properties?.['ContainerDefinitions'] as {
        Secrets?: unknown;
        Environment: { Name: string; Value: unknown }[];
      }[]
    )[0];
    expect(container?.Secrets).toBeUndefined();
    expect(container?.Environment).toEqual(
      expect.arrayContaining([
        {
          Name: 'DATABASE_SECRET_ARN',
          Value: { Ref: expect.stringMatching(/^DatabaseAppCredentials.*Attachment/) as string },
        },
        { Name: 'DATABASE_SSL', Value: 'verify-full' },
      ]),
    );

    const roleId = (arn: unknown): string =>
      (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const secretStatementsOf = (role: string) =>
      Object.values(json.Resources)
        .filter(
          (resource) =>
            resource.Type === 'AWS::IAM::Policy' &&
            JSON.stringify(resource.Properties?.['Roles']).includes(`"${role}"`),
        )
        .flatMap(
          (policy) =>
            (policy.Properties?.['PolicyDocument'] as { Statement: Record<string, unknown>[] })
              .Statement,
        )
        .filter((statement) => JSON.stringify(statement['Action']).includes('secretsmanager:'));
    const taskRoleReads = secretStatementsOf(roleId(taskDefinition?.Properties?.['TaskRoleArn']));
    expect(taskRoleReads).toHaveLength(1);
    expect(taskRoleReads[0]?.['Resource']).toEqual({
      Ref: expect.stringMatching(/^DatabaseAppCredentials.*Attachment/) as string,
    });
    expect(
      secretStatementsOf(roleId(taskDefinition?.Properties?.['ExecutionRoleArn'])),
    ).toHaveLength(0);
  });

  test('when synthesized, then an alarm fires when a run created any user', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: metricNames.reconciler.created,
      Namespace: 'CognitoUserSync',
      Dimensions: [{ Name: 'service', Value: 'reconciler' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: Match.anyValue(),
    });
  });
});
