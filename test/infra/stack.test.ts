import { Match } from 'aws-cdk-lib/assertions';
import { SQS_MAX_MESSAGE_BYTES } from '#contract/registration-limits';
import { retryWindowSeconds } from '../../consumer/backoff';
import { API_HEALTH_CHECK_PATH } from '../../stacks/api-service';
import { CONSUMER_DRAIN_TIMEOUT_MS, CONSUMER_STOP_TIMEOUT } from '../../stacks/consumer-service';
import { FALLBACK_METRIC } from '../../stacks/alarms';
import { GUARD_WEAKENED_METRIC } from '../../guard-watch/guard-metric';
import {
  DEAD_LETTER_RETENTION,
  MAX_RECEIVE_COUNT,
  REGISTRATION_RETENTION,
} from '../../stacks/registration-queue';
import { containerImageSources, logicalIdsOf, synthApp, type SynthesizedApp } from './synth-app';

const CERTIFICATE_ARN =
  'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000';
const NAT_GATEWAYS = 2;

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

describe('CognitoUserSync stack', () => {
  let synthesized: SynthesizedApp;
  const resourcesOf = (type: string) =>
    Object.entries(synthesized.json.Resources).filter(([, resource]) => resource.Type === type);
  const onlyId = (type: string, prefix = ''): string => {
    const ids = logicalIdsOf(synthesized.json, type, prefix);
    if (ids.length !== 1 || ids[0] === undefined) {
      throw new Error(`expected one ${type} ${prefix}, found ${ids.join(', ')}`);
    }
    return ids[0];
  };
  /** The source queue: the one with a redrive policy (its logical ID shares the DLQ's prefix). */
  const registrationQueueId = (): string => {
    const [queueId] = resourcesOf('AWS::SQS::Queue')
      .filter(([, queue]) => queue.Properties?.RedrivePolicy !== undefined)
      .map(([id]) => id);
    if (queueId === undefined) throw new Error('no queue with a redrive policy');
    return queueId;
  };
  const subnetRefs = (group: 'public' | 'private' | 'isolated') =>
    logicalIdsOf(synthesized.json, 'AWS::EC2::Subnet', `NetworkVpc${group}Subnet`).map((id) => ({
      Ref: id,
    }));
  const policyStatementsOfRole = (roleId: string): Statement[] =>
    resourcesOf('AWS::IAM::Policy')
      .filter(([, policy]) =>
        JSON.stringify(policy.Properties?.Roles ?? []).includes(`"${roleId}"`),
      )
      .flatMap(([, policy]) => {
        const document = policy.Properties?.PolicyDocument as { Statement: Statement[] };
        return document.Statement;
      });

  beforeAll(() => {
    synthesized = synthApp({
      stage: 'infratest',
      natGateways: NAT_GATEWAYS,
      certificateArn: CERTIFICATE_ARN,
      apiDomainName: 'api.example.com',
    });
  });

  describe('network', () => {
    test('each NAT Gateway uses an Elastic IP allocated in the stack, one per gateway', () => {
      const eipIds = logicalIdsOf(synthesized.json, 'AWS::EC2::EIP');
      expect(eipIds).toHaveLength(NAT_GATEWAYS);
      const allocations = resourcesOf('AWS::EC2::NatGateway').map(
        ([, nat]) => nat.Properties?.AllocationId,
      );
      expect(allocations).toEqual(
        expect.arrayContaining(eipIds.map((id) => ({ 'Fn::GetAtt': [id, 'AllocationId'] }))),
      );
      expect(allocations).toHaveLength(NAT_GATEWAYS);
    });

    test('the WAF IP set is fed by exactly those Elastic IPs, and they are a stack output', () => {
      const eipAddresses = logicalIdsOf(synthesized.json, 'AWS::EC2::EIP').map((id) => ({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'PublicIp'] }, '/32']],
      }));
      synthesized.template.hasResourceProperties('AWS::WAFv2::IPSet', {
        Scope: 'REGIONAL',
        Addresses: eipAddresses,
      });
      const output = synthesized.json.Outputs?.NatEgressIps?.Value;
      for (const id of logicalIdsOf(synthesized.json, 'AWS::EC2::EIP')) {
        expect(JSON.stringify(output)).toContain(
          JSON.stringify({ 'Fn::GetAtt': [id, 'PublicIp'] }),
        );
      }
    });

    test('the VPC spans two AZs with public, private and isolated subnets, and has flow logs', () => {
      expect(subnetRefs('public')).toHaveLength(2);
      expect(subnetRefs('private')).toHaveLength(2);
      expect(subnetRefs('isolated')).toHaveLength(2);
      synthesized.template.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceType: 'VPC',
        TrafficType: 'ALL',
      });
    });

    test('an SQS interface endpoint with private DNS admits only the producer and the consumer', () => {
      synthesized.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        ServiceName: Match.stringLikeRegexp('sqs'),
      });
      const endpointSg = onlyId('AWS::EC2::SecurityGroup', 'NetworkVpcSqsEndpointSecurityGroup');
      const sources = resourcesOf('AWS::EC2::SecurityGroupIngress')
        .filter(([, ingress]) => JSON.stringify(ingress.Properties?.GroupId).includes(endpointSg))
        .map(([, ingress]) => JSON.stringify(ingress.Properties?.SourceSecurityGroupId));
      expect(sources.sort()).toEqual(
        [
          JSON.stringify({
            'Fn::GetAtt': [onlyId('AWS::EC2::SecurityGroup', 'ConsumerService'), 'GroupId'],
          }),
          JSON.stringify({
            'Fn::GetAtt': [onlyId('AWS::EC2::SecurityGroup', 'ProducerFunction'), 'GroupId'],
          }),
        ].sort(),
      );
      const endpointGroup = synthesized.json.Resources[endpointSg]?.Properties;
      expect(endpointGroup?.SecurityGroupIngress).toBeUndefined();
    });
  });

  describe('header secret', () => {
    test('the value is generated by Secrets Manager under "current", never written in the template', () => {
      const headerSecretId = onlyId('AWS::SecretsManager::Secret', 'HeaderSecret');
      const properties = synthesized.json.Resources[headerSecretId]?.Properties ?? {};
      expect(properties.SecretString).toBeUndefined();
      expect(properties.GenerateSecretString).toMatchObject({
        GenerateStringKey: 'current',
        SecretStringTemplate: '{}',
        PasswordLength: expect.any(Number) as number,
      });
      expect(
        (properties.GenerateSecretString as { PasswordLength: number }).PasswordLength,
      ).toBeGreaterThanOrEqual(40);
    });

    test('WAF accepts the current and previous values, only through Secrets Manager dynamic references', () => {
      const headerSecretId = onlyId('AWS::SecretsManager::Secret', 'HeaderSecret');
      const headerEquals = (key: string) => ({
        ByteMatchStatement: {
          FieldToMatch: { SingleHeader: { Name: 'x-custom-auth' } },
          PositionalConstraint: 'EXACTLY',
          SearchString: {
            'Fn::Join': [
              '',
              ['{{resolve:secretsmanager:', { Ref: headerSecretId }, `:SecretString:${key}::}}`],
            ],
          },
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      });
      synthesized.template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([
          Match.objectLike({
            Name: 'AllowSignedRegistration',
            Statement: {
              AndStatement: {
                Statements: Match.arrayWith([
                  {
                    OrStatement: {
                      Statements: [headerEquals('current'), headerEquals('previous')],
                    },
                  },
                ]),
              },
            },
          }),
        ]),
      });
    });

    test('the guard rules keep no sampled requests (they would show the header in clear)', () => {
      const [webAcl] = resourcesOf('AWS::WAFv2::WebACL');
      const rules = (webAcl?.[1].Properties?.Rules ?? []) as {
        Name: string;
        VisibilityConfig: { SampledRequestsEnabled: boolean };
      }[];
      const sampling = Object.fromEntries(
        rules.map((rule) => [rule.Name, rule.VisibilityConfig.SampledRequestsEnabled]),
      );
      expect(sampling).toMatchObject({
        AllowSignedRegistration: false,
        BlockUnsignedRegistration: false,
      });
    });

    test('rotates automatically every 30 days by the rotation function, and a deploy does not rotate', () => {
      const rotationFunctionId = onlyId('AWS::Lambda::Function', 'HeaderRotationFunction');
      synthesized.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        SecretId: { Ref: onlyId('AWS::SecretsManager::Secret', 'HeaderSecret') },
        RotationLambdaARN: { 'Fn::GetAtt': [rotationFunctionId, 'Arn'] },
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
        RotateImmediatelyOnUpdate: false,
      });
    });

    test('the WebACL is created only after the secret has its "previous" key', () => {
      const [webAcl] = resourcesOf('AWS::WAFv2::WebACL');
      const dependsOn = (webAcl?.[1] as { DependsOn?: string[] }).DependsOn ?? [];
      expect(dependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/^HeaderRotationSeedTrigger/)]),
      );
    });

    test('the rotation function may edit only this WebACL (and the IP set it references)', () => {
      const roleId = onlyId('AWS::IAM::Role', 'HeaderRotationFunctionServiceRole');
      const wafStatements = policyStatementsOfRole(roleId).filter((statement) =>
        JSON.stringify(statement.Action).includes('wafv2:'),
      );
      expect(wafStatements).toEqual([
        expect.objectContaining({
          Action: ['wafv2:GetWebACL', 'wafv2:UpdateWebACL'],
          Resource: expect.arrayContaining([
            { 'Fn::GetAtt': [onlyId('AWS::WAFv2::WebACL'), 'Arn'] },
            { 'Fn::GetAtt': [onlyId('AWS::WAFv2::IPSet'), 'Arn'] },
          ]) as unknown,
        }),
      ]);
    });

    test('its resource policy denies reading the value to all but the senders, the API, the rotation and the deployment role', () => {
      const [policy] = resourcesOf('AWS::SecretsManager::ResourcePolicy');
      const statements = (
        policy?.[1].Properties?.ResourcePolicy as {
          Statement: { Effect: string; Action: string; Principal: unknown; Condition: object }[];
        }
      ).Statement;
      const text = JSON.stringify(statements);
      const readDenials = statements.filter(
        (statement) => statement.Action === 'secretsmanager:GetSecretValue',
      );
      expect(readDenials).toEqual([
        expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' } }),
      ]);
      for (const roleId of [
        onlyId('AWS::IAM::Role', 'ProducerFunctionServiceRole'),
        onlyId('AWS::IAM::Role', 'ConsumerTaskDefinitionTaskRole'),
        onlyId('AWS::IAM::Role', 'ApiTaskDefinitionTaskRole'),
        onlyId('AWS::IAM::Role', 'HeaderRotationFunctionServiceRole'),
        onlyId('AWS::IAM::Role', 'HeaderRotationSeedFunctionServiceRole'),
      ]) {
        expect(text).toContain(`"${roleId}"`);
      }
      expect(text).toContain('cfn-exec-role');
    });

    test('no header value or plaintext header variable appears anywhere in the template', () => {
      const text = JSON.stringify(synthesized.json);
      // Local-only variables carrying values must never be configured in AWS.
      expect(text).not.toMatch(/AUTH_HEADER_SECRETS?"/);
      // Every match on the header compares against a dynamic reference, not a literal.
      const headerSearchStrings: unknown[] = [];
      const collect = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(collect);
        else if (typeof node === 'object' && node !== null) {
          const byteMatch = (
            node as { ByteMatchStatement?: { FieldToMatch: object; SearchString: unknown } }
          ).ByteMatchStatement;
          if (byteMatch !== undefined && 'SingleHeader' in byteMatch.FieldToMatch) {
            headerSearchStrings.push(byteMatch.SearchString);
          }
          Object.values(node).forEach(collect);
        }
      };
      collect(synthesized.json.Resources);
      expect(headerSearchStrings.length).toBeGreaterThan(0);
      for (const searchString of headerSearchStrings) {
        expect(JSON.stringify(searchString)).toMatch(
          /^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"HeaderSecret\w+"\},":SecretString:(current|previous)::\}\}"\]\]\}$/,
        );
      }
    });
  });

  describe('producer', () => {
    test("runs on Node.js 24 in the private subnets, within Cognito's 5 s", () => {
      const producerId = onlyId('AWS::Lambda::Function', 'ProducerFunction');
      const properties = synthesized.json.Resources[producerId]?.Properties ?? {};
      expect(properties.Runtime).toBe('nodejs24.x');
      expect(properties.Timeout).toBeLessThanOrEqual(5);
      expect(properties.VpcConfig).toEqual({
        SubnetIds: subnetRefs('private'),
        SecurityGroupIds: [
          { 'Fn::GetAtt': [onlyId('AWS::EC2::SecurityGroup', 'ProducerFunction'), 'GroupId'] },
        ],
      });
      expect(properties.Environment).toEqual({
        Variables: expect.objectContaining({
          API_URL: 'https://api.example.com',
          QUEUE_URL: { Ref: registrationQueueId() },
          AUTH_HEADER_NAME: 'x-custom-auth',
          AUTH_SECRET_ARN: { Ref: onlyId('AWS::SecretsManager::Secret', 'HeaderSecret') },
          API_TIMEOUT_MS: expect.stringMatching(/^\d+$/) as string,
          POWERTOOLS_SERVICE_NAME: 'producer',
        }) as object,
      });
    });

    test("is the user pool's PostConfirmation trigger, invocable by that pool only", () => {
      const producerId = onlyId('AWS::Lambda::Function', 'ProducerFunction');
      const userPoolId = onlyId('AWS::Cognito::UserPool');
      synthesized.template.hasResourceProperties('AWS::Cognito::UserPool', {
        LambdaConfig: { PostConfirmation: { 'Fn::GetAtt': [producerId, 'Arn'] } },
        MfaConfiguration: 'ON',
      });
      synthesized.template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: { 'Fn::GetAtt': [producerId, 'Arn'] },
        Principal: 'cognito-idp.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [userPoolId, 'Arn'] },
      });
    });

    test('may read the header secret and send to the queue, and nothing else', () => {
      const roleId = onlyId('AWS::IAM::Role', 'ProducerFunctionServiceRole');
      const statements = policyStatementsOfRole(roleId);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: { Ref: onlyId('AWS::SecretsManager::Secret', 'HeaderSecret') },
        },
        {
          Effect: 'Allow',
          Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          Resource: { 'Fn::GetAtt': [registrationQueueId(), 'Arn'] },
        },
      ]);
      const managed = JSON.stringify(
        synthesized.json.Resources[roleId]?.Properties?.ManagedPolicyArns,
      );
      expect(managed.match(/policy\/service-role\/\w+/g)?.sort()).toEqual([
        'policy/service-role/AWSLambdaBasicExecutionRole',
        'policy/service-role/AWSLambdaVPCAccessExecutionRole',
      ]);
    });
  });

  describe('queue', () => {
    test('both queues are encrypted and refuse requests without TLS', () => {
      const queueIds = logicalIdsOf(synthesized.json, 'AWS::SQS::Queue');
      expect(queueIds).toHaveLength(2);
      for (const queueId of queueIds) {
        expect(synthesized.json.Resources[queueId]?.Properties?.SqsManagedSseEnabled).toBe(true);
        synthesized.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queueId }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });

    test('only the producer and the redrive role may send to the queue, and only the consumer to the DLQ', () => {
      const senderDenial = (queueId: string, roleIds: string[]) =>
        synthesized.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queueId }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 'sqs:SendMessage',
                Condition: {
                  ArnNotEquals: {
                    'aws:PrincipalArn': roleIds.map((roleId) => ({
                      'Fn::GetAtt': [roleId, 'Arn'],
                    })),
                  },
                },
              }),
            ]),
          },
        });
      senderDenial(registrationQueueId(), [
        onlyId('AWS::IAM::Role', 'ProducerFunctionServiceRole'),
        onlyId('AWS::IAM::Role', 'RegistrationQueueRedriveRole'),
      ]);
      senderDenial(onlyId('AWS::SQS::Queue', 'RegistrationQueueDeadLetterQueue'), [
        onlyId('AWS::IAM::Role', 'ConsumerTaskDefinitionTaskRole'),
      ]);
    });

    test('redrives to the DLQ after MAX_RECEIVE_COUNT receives; the DLQ keeps messages 14 days', () => {
      const dlqId = onlyId('AWS::SQS::Queue', 'RegistrationQueueDeadLetterQueue');
      synthesized.template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
          maxReceiveCount: MAX_RECEIVE_COUNT,
        },
        MessageRetentionPeriod: REGISTRATION_RETENTION.toSeconds(),
      });
      expect(synthesized.json.Resources[dlqId]?.Properties?.MessageRetentionPeriod).toBe(
        14 * 24 * 3600,
      );
      expect(DEAD_LETTER_RETENTION.toSeconds()).toBeGreaterThan(REGISTRATION_RETENTION.toSeconds());
    });

    test('both queues take the largest registration: their maximum message size is SQS_MAX_MESSAGE_BYTES', () => {
      const queues = synthesized.template.findResources('AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(2);
      for (const queue of Object.values(queues)) {
        expect(queue.Properties?.MaximumMessageSize).toBe(SQS_MAX_MESSAGE_BYTES);
      }
    });

    test("MAX_RECEIVE_COUNT lets the consumer's backoff ride out an hour-long outage", () => {
      const window = retryWindowSeconds(MAX_RECEIVE_COUNT);
      expect(window.minimum).toBeGreaterThanOrEqual(3600);
      // A message must still be in the queue when its last retry is due.
      expect(window.maximum).toBeLessThan(REGISTRATION_RETENTION.toSeconds());
    });
  });

  describe('consumer', () => {
    test('scales on queue depth only, with no CPU-based policy', () => {
      const queueName = {
        'Fn::GetAtt': [registrationQueueId(), 'QueueName'],
      };
      synthesized.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 1,
        MaxCapacity: 4,
        ScalableDimension: 'ecs:service:DesiredCount',
      });
      synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: queueName }],
        AlarmActions: [
          { Ref: Match.stringLikeRegexp('ConsumerServiceTaskCountTargetQueueDepthUpperPolicy') },
        ],
      });
      const policyTypes = resourcesOf('AWS::ApplicationAutoScaling::ScalingPolicy').map(
        ([, policy]) => policy.Properties?.PolicyType,
      );
      expect(policyTypes).toEqual(['StepScaling', 'StepScaling']);
    });

    test('gets more time to stop than it takes to drain', () => {
      synthesized.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Name: 'consumer',
            StopTimeout: CONSUMER_STOP_TIMEOUT.toSeconds(),
            Environment: Match.arrayWith([
              { Name: 'STOP_TIMEOUT_MS', Value: String(CONSUMER_DRAIN_TIMEOUT_MS) },
            ]),
          }),
        ],
      });
      // The longest receive (20 s long poll) plus the drain must fit.
      expect(CONSUMER_STOP_TIMEOUT.toSeconds()).toBeGreaterThan(
        20 + CONSUMER_DRAIN_TIMEOUT_MS / 1000,
      );
    });
  });

  describe('database', () => {
    test('is encrypted, backed up, not publicly accessible, and in the isolated subnets', () => {
      synthesized.template.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'postgres',
        PubliclyAccessible: false,
        StorageEncrypted: true,
        BackupRetentionPeriod: Match.anyValue(),
        DBSubnetGroupName: { Ref: onlyId('AWS::RDS::DBSubnetGroup') },
      });
      synthesized.template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
        SubnetIds: subnetRefs('isolated'),
      });
    });

    test('admits only the API tasks (which run the migrations), the reconciler and the rotation functions', () => {
      const databaseSg = onlyId('AWS::EC2::SecurityGroup', 'DatabaseInstanceSecurityGroup');
      expect(
        synthesized.json.Resources[databaseSg]?.Properties?.SecurityGroupIngress,
      ).toBeUndefined();
      const sources = resourcesOf('AWS::EC2::SecurityGroupIngress')
        .filter(([, ingress]) => JSON.stringify(ingress.Properties?.GroupId).includes(databaseSg))
        .map(([, ingress]) => {
          expect(ingress.Properties?.CidrIp).toBeUndefined();
          return JSON.stringify(ingress.Properties?.SourceSecurityGroupId);
        });
      expect(sources.sort()).toEqual(
        [
          JSON.stringify({
            'Fn::GetAtt': [onlyId('AWS::EC2::SecurityGroup', 'ApiServiceSecurityGroup'), 'GroupId'],
          }),
          ...['DatabaseInstanceRotationSingleUser', 'DatabaseInstanceAppCredentialsRotation'].map(
            (prefix) =>
              JSON.stringify({
                'Fn::GetAtt': [onlyId('AWS::EC2::SecurityGroup', prefix), 'GroupId'],
              }),
          ),
          JSON.stringify({
            'Fn::GetAtt': [onlyId('AWS::EC2::SecurityGroup', 'ReconcilerSecurityGroup'), 'GroupId'],
          }),
        ].sort(),
      );
    });

    test('rotates its credentials', () => {
      synthesized.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
    });
  });

  describe('api', () => {
    test('migrates before it serves: the api container waits for the migrate container to succeed', () => {
      synthesized.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
        ContainerDefinitions: Match.arrayWith([
          Match.objectLike({
            Name: 'migrate',
            Essential: false,
            Command: ['node', '--enable-source-maps', 'dist/migrate.js', 'latest'],
          }),
          Match.objectLike({
            Name: 'api',
            Essential: true,
            DependsOn: [{ ContainerName: 'migrate', Condition: 'SUCCESS' }],
            PortMappings: [Match.objectLike({ ContainerPort: 3000 })],
            Environment: Match.arrayWith([{ Name: 'DATABASE_SSL', Value: 'verify-full' }]),
          }),
        ]),
      });
    });

    test("the api and migrate containers run the Dockerfile's api target, the consumer its consumer target", () => {
      const sources = containerImageSources(synthesized);
      expect(sources.api).toMatchObject({ dockerFile: 'Dockerfile', dockerBuildTarget: 'api' });
      expect(sources.migrate).toEqual(sources.api);
      expect(sources.consumer).toMatchObject({
        dockerFile: 'Dockerfile',
        dockerBuildTarget: 'consumer',
      });
    });

    test('checks the source address itself: ALLOWED_SOURCE_IPS joins the NAT Elastic IPs, behind one proxy hop', () => {
      const eipAddresses = logicalIdsOf(synthesized.json, 'AWS::EC2::EIP').map((id) => ({
        'Fn::GetAtt': [id, 'PublicIp'],
      }));
      expect(eipAddresses).toHaveLength(NAT_GATEWAYS);
      const api = resourcesOf('AWS::ECS::TaskDefinition')
        .flatMap(
          ([, definition]) =>
            definition.Properties?.ContainerDefinitions as {
              Name: string;
              Environment: { Name: string; Value: unknown }[];
            }[],
        )
        .find((container) => container.Name === 'api');
      const environment = Object.fromEntries(
        (api?.Environment ?? []).map(({ Name, Value }) => [Name, Value]),
      );
      expect(environment.ALLOWED_SOURCE_IPS).toEqual({ 'Fn::Join': [',', eipAddresses] });
      expect(environment.TRUSTED_PROXY_HOPS).toBe('1');
    });

    test('serves HTTPS with the given certificate, redirects HTTP, and checks /healthz', () => {
      synthesized.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      });
      synthesized.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [Match.objectLike({ Type: 'redirect' })],
      });
      synthesized.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        HealthCheckPath: API_HEALTH_CHECK_PATH,
        TargetType: 'ip',
      });
    });

    test('the load balancer is internet-facing, logs its access, and has the WebACL attached', () => {
      const loadBalancerId = onlyId('AWS::ElasticLoadBalancingV2::LoadBalancer');
      synthesized.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internet-facing',
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.enabled', Value: 'true' }]),
      });
      synthesized.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([
          { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        ]),
      });
      synthesized.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        ResourceArn: { Ref: loadBalancerId },
        WebACLArn: { 'Fn::GetAtt': [onlyId('AWS::WAFv2::WebACL'), 'Arn'] },
      });
      synthesized.template.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
      });
    });

    test('execution roles hold no wildcard beyond ecr:GetAuthorizationToken', () => {
      for (const roleId of logicalIdsOf(synthesized.json, 'AWS::IAM::Role').filter((id) =>
        id.includes('ExecutionRole'),
      )) {
        const wildcards = policyStatementsOfRole(roleId).filter(
          (statement) => statement.Resource === '*',
        );
        expect(wildcards).toEqual([
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ]);
      }
    });
  });

  describe('alarms', () => {
    test('watch dead letters, queue age, API 5xx, producer errors, throttles and fallbacks, guard blocks, a weakened guard and reconciler-created users', () => {
      const topicId = onlyId('AWS::SNS::Topic');
      const alarms = resourcesOf('AWS::CloudWatch::Alarm')
        .map(([, alarm]) => alarm.Properties ?? {})
        .filter((alarm) => JSON.stringify(alarm.AlarmActions ?? []).includes(topicId));
      const text = JSON.stringify(alarms);
      expect(text).toContain(
        JSON.stringify({
          'Fn::GetAtt': [
            onlyId('AWS::SQS::Queue', 'RegistrationQueueDeadLetterQueue'),
            'QueueName',
          ],
        }),
      );
      expect(text).toContain('ApproximateAgeOfOldestMessage');
      expect(text).toContain('HTTPCode_Target_5XX_Count');
      expect(text).toContain('"MetricName":"Errors"');
      expect(text).toContain('"MetricName":"Throttles"');
      expect(text).toContain(`"Namespace":"${FALLBACK_METRIC.namespace}"`);
      expect(text).toContain(`"MetricName":"${FALLBACK_METRIC.metricName}"`);
      expect(text).toContain('{"Name":"service","Value":"producer"}');
      expect(text).toContain('{"Name":"Rule","Value":"BlockUnsignedRegistration"}');
      expect(text).toContain('{"Name":"service","Value":"reconciler"}');
      expect(text).toContain(`"MetricName":"${GUARD_WEAKENED_METRIC.metricName}"`);
      expect(text).toContain(`{"Name":"service","Value":"${GUARD_WEAKENED_METRIC.service}"}`);
      expect(alarms).toHaveLength(9);
    });
  });
});
