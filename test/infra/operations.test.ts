import { Match } from 'aws-cdk-lib/assertions';
import { COGNITO_WAIT_MS } from '../../producer/time-budget';
import { CONSUMER_HEALTH_PORT } from '../../stacks/consumer-service';
import { PRODUCER_COLD_START_ALLOWANCE, PRODUCER_TIMEOUT } from '../../stacks/producer-function';
import {
  logicalIdsOf,
  synthApp,
  TEST_HOSTED_ZONE,
  type SynthesizedApp,
  type TemplateJson,
} from './synth-app';

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Principal?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type Resource = TemplateJson['Resources'][string] & { DeletionPolicy?: string };

const onlyId = (json: TemplateJson, type: string, prefix: string): string => {
  const ids = logicalIdsOf(json, type, prefix);
  if (ids.length !== 1 || ids[0] === undefined) {
    throw new Error(`expected one ${type} ${prefix}, found ${ids.join(', ')}`);
  }
  return ids[0];
};
const resource = (json: TemplateJson, id: string): Resource => {
  const found = json.Resources[id];
  if (found === undefined) throw new Error(`no resource ${id}`);
  return found as Resource;
};
const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
/** Statements of the policies attached to a role. */
const statementsOfRole = (json: TemplateJson, roleId: string): Statement[] =>
  Object.values(json.Resources)
    .filter(
      (candidate) =>
        candidate.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(candidate.Properties?.Roles ?? []).includes(`"${roleId}"`),
    )
    .flatMap(
      (policy) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    );
const readsSecret = (statements: Statement[], secretId: string): boolean =>
  statements.some(
    (statement) =>
      actionsOf(statement).includes('secretsmanager:GetSecretValue') &&
      JSON.stringify(statement.Resource).includes(`"${secretId}"`),
  );

describe('database access and operations', () => {
  let dev: SynthesizedApp;
  let prod: SynthesizedApp;

  beforeAll(() => {
    dev = synthApp({ stage: 'opstest', ...TEST_HOSTED_ZONE });
    prod = synthApp({
      stage: 'prod',
      certificateArn:
        'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000',
      apiDomainName: 'api.example.com',
    });
  });

  /** The secret RDS generated for the master user (its logical ID carries the stack name). */
  const masterSecretId = (json: TemplateJson) => {
    const [id] = Object.entries(json.Resources)
      .filter(
        ([, candidate]) =>
          candidate.Type === 'AWS::SecretsManager::Secret' &&
          JSON.stringify(candidate.Properties?.GenerateSecretString).includes('usersync_admin'),
      )
      .map(([candidateId]) => candidateId);
    if (id === undefined) throw new Error('no master secret');
    return id;
  };
  const appSecretId = (json: TemplateJson) =>
    onlyId(json, 'AWS::SecretsManager::Secret', 'DatabaseAppCredentials');
  const taskDefinitionId = (json: TemplateJson) =>
    onlyId(json, 'AWS::ECS::TaskDefinition', 'ApiTaskDefinition');
  const containerOf = (json: TemplateJson, name: string) => {
    const containers = resource(json, taskDefinitionId(json)).Properties?.ContainerDefinitions as {
      Name: string;
      Secrets?: { Name: string; ValueFrom: unknown }[];
      Environment?: { Name: string; Value: unknown }[];
    }[];
    const container = containers.find((candidate) => candidate.Name === name);
    if (container === undefined) throw new Error(`no container ${name}`);
    return container;
  };

  test('the application role has its own secret, rotated with alternating users; the master keeps single-user rotation', () => {
    const { json } = dev;
    const appTemplate = JSON.stringify(
      resource(json, appSecretId(json)).Properties?.GenerateSecretString,
    );
    expect(appTemplate).toContain('\\"username\\":\\"usersync_app\\"');
    expect(appTemplate).toContain('\\"dbname\\":\\"usersync\\"');
    // The multi-user rotation logs in as the master to change the application role's password.
    expect(appTemplate).toMatch(/masterarn.*\{"Ref":"DatabaseInstanceSecretAttachment/);
    // Two hosted rotation applications; only the multi-user one takes the master secret.
    const applications = Object.values(json.Resources).filter(
      (candidate) => candidate.Type === 'AWS::Serverless::Application',
    );
    expect(applications).toHaveLength(2);
    const withMaster = applications.filter(
      (application) =>
        (application.Properties?.Parameters as Record<string, unknown>)?.masterSecretArn !==
        undefined,
    );
    expect(
      JSON.stringify(withMaster.map((application) => application.Properties?.Parameters)),
    ).toContain('DatabaseInstanceSecretAttachment');
    expect(withMaster).toHaveLength(1);
    // Both database secrets rotate every 30 days (the header secret has a schedule of its own).
    const databaseRotations = Object.values(json.Resources).filter(
      (candidate) =>
        candidate.Type === 'AWS::SecretsManager::RotationSchedule' &&
        /"Ref":"Database(Instance|AppCredentials)/.test(
          JSON.stringify(candidate.Properties?.SecretId),
        ),
    );
    expect(databaseRotations.map((rotation) => rotation.Properties?.RotationRules)).toEqual([
      { ScheduleExpression: 'rate(30 days)' },
      { ScheduleExpression: 'rate(30 days)' },
    ]);
  });

  test('the master secret reaches the migrate container only: injected by ECS, unreadable by the task role', () => {
    const { json } = dev;
    const master = onlyId(
      json,
      'AWS::SecretsManager::SecretTargetAttachment',
      'DatabaseInstanceSecretAttachment',
    );
    const app = onlyId(
      json,
      'AWS::SecretsManager::SecretTargetAttachment',
      'DatabaseAppCredentialsAttachment',
    );
    const migrate = containerOf(json, 'migrate');
    const api = containerOf(json, 'api');

    expect(migrate.Secrets?.map((secret) => secret.Name).sort()).toEqual([
      'DATABASE_APP_CREDENTIALS',
      'DATABASE_CREDENTIALS',
    ]);
    expect(JSON.stringify(migrate.Secrets)).toContain(`"${master}"`);
    expect(api.Secrets).toBeUndefined();
    expect(api.Environment).toEqual(
      expect.arrayContaining([
        {
          Name: 'DATABASE_SECRET_ARN',
          Value: { Ref: expect.stringMatching(/^DatabaseAppCredentials.*Attachment/) as string },
        },
        { Name: 'DATABASE_SSL', Value: 'verify-full' },
      ]),
    );

    const taskDefinition = resource(json, taskDefinitionId(json)).Properties ?? {};
    const roleIdOf = (arn: unknown) => (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const taskRole = statementsOfRole(json, roleIdOf(taskDefinition.TaskRoleArn));
    const executionRole = statementsOfRole(json, roleIdOf(taskDefinition.ExecutionRoleArn));
    expect(readsSecret(taskRole, master)).toBe(false);
    expect(readsSecret(executionRole, master)).toBe(true);
    expect(readsSecret(taskRole, app)).toBe(true);
  });

  test('in prod both database secrets are retained with the database; in other stages they go with it', () => {
    for (const [synthesized, policy] of [
      [prod, 'Retain'],
      [dev, 'Delete'],
    ] as const) {
      const { json } = synthesized;
      for (const id of [masterSecretId(json), appSecretId(json)]) {
        expect(resource(json, id).DeletionPolicy ?? 'Delete').toBe(policy);
      }
    }
  });

  test('the exported PostgreSQL logs have a retention period', () => {
    dev.template.hasResourceProperties('Custom::LogRetention', {
      LogGroupName: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith(['/aws/rds/instance/', '/postgresql'])],
      }),
      RetentionInDays: 30,
    });
  });

  test('the load balancer checks the process (/healthz), not the database (/readyz)', () => {
    dev.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/healthz',
    });
  });

  test('the consumer container has a health check against its loopback /healthz', () => {
    dev.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'consumer',
          Environment: Match.arrayWith([
            { Name: 'HEALTH_PORT', Value: String(CONSUMER_HEALTH_PORT) },
          ]),
          HealthCheck: Match.objectLike({
            Command: Match.arrayWith([
              Match.stringLikeRegexp(`127\\.0\\.0\\.1:${CONSUMER_HEALTH_PORT}/healthz`),
            ]),
          }),
        }),
      ],
    });
  });

  test('CloudWatch may publish to the alarm topic and use its key, for this account’s alarms only', () => {
    const { json } = dev;
    const conditions = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': expect.anything() as unknown },
    };
    const topicPolicy = Object.values(json.Resources).find(
      (candidate) => candidate.Type === 'AWS::SNS::TopicPolicy',
    );
    const topicStatements = (topicPolicy?.Properties?.PolicyDocument as { Statement: Statement[] })
      .Statement;
    expect(topicStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: conditions,
      }),
    );
    const key = resource(json, onlyId(json, 'AWS::KMS::Key', 'AlarmsTopicKey'));
    const keyStatements = (key.Properties?.KeyPolicy as { Statement: Statement[] }).Statement;
    const cloudWatchKeyStatements = keyStatements.filter((statement) =>
      JSON.stringify(statement.Principal).includes('cloudwatch.amazonaws.com'),
    );
    expect(cloudWatchKeyStatements).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: conditions,
      }),
    ]);
    expect(JSON.stringify(cloudWatchKeyStatements[0]?.Condition)).toContain(':alarm:*');
  });

  test('the producer times out before Cognito gives up, cold start included, and prod reserves its concurrency', () => {
    expect(
      PRODUCER_TIMEOUT.toMilliseconds() + PRODUCER_COLD_START_ALLOWANCE.toMilliseconds(),
    ).toBeLessThanOrEqual(COGNITO_WAIT_MS);
    const producerOf = (synthesized: SynthesizedApp) =>
      resource(
        synthesized.json,
        onlyId(synthesized.json, 'AWS::Lambda::Function', 'ProducerFunction'),
      ).Properties ?? {};
    expect(producerOf(dev).Timeout).toBe(PRODUCER_TIMEOUT.toSeconds());
    expect(producerOf(prod).ReservedConcurrentExecutions).toBe(20);
    expect(producerOf(dev).ReservedConcurrentExecutions).toBeUndefined();
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
    });
  });
});
