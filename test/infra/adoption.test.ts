import fs from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { EXAMPLE_ESTATE } from '../../examples/existing-estate/estate';
import { API_CONTAINER_PORT } from '../../stacks/api-service';
import { DATABASE_APP_USER } from '../../stacks/database';
import { firstRunStartedBy } from '../../stacks/reconciler-first-run';
import { ADOPTION_MODES, type Part } from './adoption-modes';
import { logicalIdsOf, synthApp, type SynthesizedApp } from './synth-app';

/**
 * What each of the five modes must and must not contain: an adopted part creates nothing of its
 * own kind and is wired in by its IDs; a created part is what the stack always had. Whatever
 * the mode, the API is told its allowed source addresses (the very addresses of the WAF IP set),
 * and only the load balancer reaches its tasks.
 */

type Resources = SynthesizedApp['json']['Resources'];
type ContainerDefinition = {
  Name: string;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
};

/** A value as text, intrinsics shown as `<Logical.Attribute>` / `<Logical>`, joins flattened. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (Array.isArray(node['Fn::GetAtt'])) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  if (typeof node.Ref === 'string') return `<${node.Ref}>`;
  const join = node['Fn::Join'] as [string, unknown[]] | undefined;
  if (join !== undefined) return join[1].map(render).join(join[0]);
  return JSON.stringify(value);
}

function onlyId(resources: Resources, type: string, prefix = ''): string {
  const ids = Object.keys(resources).filter(
    (id) => resources[id]?.Type === type && id.startsWith(prefix),
  );
  if (ids.length !== 1 || ids[0] === undefined) {
    throw new Error(`expected one ${type} ${prefix}, found ${ids.join(', ') || 'none'}`);
  }
  return ids[0];
}

function containers(resources: Resources): Record<string, ContainerDefinition> {
  const byName: Record<string, ContainerDefinition> = {};
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
    for (const container of (resource.Properties?.ContainerDefinitions ??
      []) as ContainerDefinition[]) {
      byName[container.Name] = container;
    }
  }
  return byName;
}

const environmentOf = (container: ContainerDefinition | undefined): Record<string, unknown> =>
  Object.fromEntries((container?.Environment ?? []).map(({ Name, Value }) => [Name, Value]));

describe.each(ADOPTION_MODES)('when the stack is synthesized with $name', (mode) => {
  let synthesized: SynthesizedApp;
  let resources: Resources;
  const adopts = (part: Part) => mode.adopted.includes(part);
  const count = (type: string) =>
    Object.values(resources).filter((resource) => resource.Type === type).length;
  const ingressInto = (groupId: unknown) =>
    Object.values(resources).filter(
      (resource) =>
        resource.Type === 'AWS::EC2::SecurityGroupIngress' &&
        JSON.stringify(resource.Properties?.GroupId) === JSON.stringify(groupId),
    );

  beforeAll(() => {
    synthesized = synthApp(mode.context);
    resources = synthesized.json.Resources;
  });

  afterAll(() => {
    fs.rmSync(synthesized.app.outdir, { recursive: true, force: true });
  });

  describe('user pool', () => {
    if (adopts('userPool')) {
      test('then no pool or client is created: the custom resource attaches the producer to the given pool', () => {
        synthesized.template.resourceCountIs('AWS::Cognito::UserPool', 0);
        synthesized.template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
        const producerId = onlyId(resources, 'AWS::Lambda::Function', 'ProducerFunction');
        synthesized.template.hasResourceProperties('Custom::ExistingPoolTrigger', {
          UserPoolId: EXAMPLE_ESTATE.userPoolId,
          TriggerFunctionArn: { 'Fn::GetAtt': [producerId, 'Arn'] },
          ReplaceExistingTrigger: false,
        });
      });

      test('then Cognito may invoke the producer for that pool of this account only', () => {
        const producerId = onlyId(resources, 'AWS::Lambda::Function', 'ProducerFunction');
        const cognitoPermissions = Object.values(resources).filter(
          (resource) =>
            resource.Type === 'AWS::Lambda::Permission' &&
            resource.Properties?.Principal === 'cognito-idp.amazonaws.com',
        );
        expect(cognitoPermissions).toHaveLength(1);
        const permission = cognitoPermissions[0]?.Properties ?? {};
        expect(permission.FunctionName).toEqual({ 'Fn::GetAtt': [producerId, 'Arn'] });
        expect(render(permission.SourceArn)).toBe(
          `arn:aws:cognito-idp:${EXAMPLE_ESTATE.region}:<AWS::AccountId>:userpool/${EXAMPLE_ESTATE.userPoolId}`,
        );
        expect(permission.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
      });

      test('then the reconciler mirrors that pool and runs once after the API service and the attachment', () => {
        expect(environmentOf(containers(resources).reconciler).COGNITO_USER_POOL_ID).toBe(
          EXAMPLE_ESTATE.userPoolId,
        );
        const firstRunId = onlyId(resources, 'Custom::ReconcilerFirstRun');
        const firstRun = resources[firstRunId] as { DependsOn?: string[] } & Resources[string];
        const call = render(firstRun.Properties?.Create);
        const family = resources[
          onlyId(resources, 'AWS::ECS::TaskDefinition', 'ReconcilerTaskDefinition')
        ]?.Properties?.Family as string;
        expect(JSON.parse(call)).toMatchObject({
          service: 'ECS',
          action: 'RunTask',
          parameters: {
            taskDefinition: family,
            launchType: 'FARGATE',
            startedBy: firstRunStartedBy(EXAMPLE_ESTATE.userPoolId),
            networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'DISABLED' } },
          },
        });
        // The same call on update: it runs again only when what it names (the pool) changes.
        expect(render(firstRun.Properties?.Update)).toBe(call);
        expect(firstRun.DependsOn).toEqual(
          expect.arrayContaining([
            onlyId(resources, 'AWS::ECS::Service', 'ApiService'),
            onlyId(resources, 'Custom::ExistingPoolTrigger'),
            onlyId(resources, 'AWS::ECS::TaskDefinition', 'ReconcilerTaskDefinition'),
          ]),
        );
      });

      test('then the outputs name the given pool and no app client', () => {
        expect(synthesized.json.Outputs?.UserPoolId?.Value).toBe(EXAMPLE_ESTATE.userPoolId);
        expect(synthesized.json.Outputs?.UserPoolClientId).toBeUndefined();
      });
    } else {
      test('then the stack creates its pool with the producer as trigger, and attaches nothing else', () => {
        synthesized.template.resourceCountIs('AWS::Cognito::UserPool', 1);
        synthesized.template.resourceCountIs('Custom::ExistingPoolTrigger', 0);
        // A new pool holds no one from before the trigger: no first run.
        synthesized.template.resourceCountIs('Custom::ReconcilerFirstRun', 0);
        expect(synthesized.json.Outputs?.UserPoolClientId).toBeDefined();
      });
    }
  });

  describe('network', () => {
    if (adopts('network')) {
      test('then no VPC, subnet, NAT gateway, Elastic IP, flow log or SQS endpoint is created', () => {
        for (const type of [
          'AWS::EC2::VPC',
          'AWS::EC2::Subnet',
          'AWS::EC2::RouteTable',
          'AWS::EC2::InternetGateway',
          'AWS::EC2::NatGateway',
          'AWS::EC2::EIP',
          'AWS::EC2::FlowLog',
          'AWS::EC2::VPCEndpoint',
        ]) {
          expect({ type, count: count(type) }).toEqual({ type, count: 0 });
        }
      });

      test('then the load balancer takes the public subnets, the tasks and functions the private ones', () => {
        synthesized.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
          Subnets: [...EXAMPLE_ESTATE.publicSubnetIds],
        });
        synthesized.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
          VpcId: EXAMPLE_ESTATE.vpcId,
        });
        for (const serviceId of logicalIdsOf(synthesized.json, 'AWS::ECS::Service')) {
          expect(resources[serviceId]?.Properties?.NetworkConfiguration).toMatchObject({
            AwsvpcConfiguration: { Subnets: [...EXAMPLE_ESTATE.privateSubnetIds] },
          });
        }
        const producerId = onlyId(resources, 'AWS::Lambda::Function', 'ProducerFunction');
        expect(resources[producerId]?.Properties?.VpcConfig).toMatchObject({
          SubnetIds: [...EXAMPLE_ESTATE.privateSubnetIds],
        });
      });

      test('then the WAF IP set and the NatEgressIps output hold the given NAT addresses', () => {
        synthesized.template.hasResourceProperties('AWS::WAFv2::IPSet', {
          Addresses: EXAMPLE_ESTATE.natEgressIps.map((address) => `${address}/32`),
        });
        expect(synthesized.json.Outputs?.NatEgressIps?.Value).toBe(
          EXAMPLE_ESTATE.natEgressIps.join(','),
        );
      });
    } else {
      test('then the stack creates its VPC with one NAT gateway per Elastic IP it allocates', () => {
        synthesized.template.resourceCountIs('AWS::EC2::VPC', 1);
        expect(count('AWS::EC2::NatGateway')).toBeGreaterThan(0);
        expect(count('AWS::EC2::EIP')).toBe(count('AWS::EC2::NatGateway'));
        synthesized.template.resourceCountIs('AWS::EC2::FlowLog', 1);
        synthesized.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          ServiceName: Match.stringLikeRegexp('sqs'),
        });
      });
    }
  });

  describe('database', () => {
    if (adopts('database')) {
      test('then no RDS instance is created: migrations run as the given secret, the tasks reach its security group', () => {
        synthesized.template.resourceCountIs('AWS::RDS::DBInstance', 0);
        synthesized.template.resourceCountIs('AWS::RDS::DBSubnetGroup', 0);
        expect(containers(resources).migrate?.Secrets).toEqual(
          expect.arrayContaining([
            { Name: 'DATABASE_CREDENTIALS', ValueFrom: EXAMPLE_ESTATE.databaseSecretArn },
          ]),
        );
        const sources = ingressInto(EXAMPLE_ESTATE.databaseSecurityGroupId).map((ingress) => {
          expect(ingress.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 5432 });
          expect(ingress.Properties?.CidrIp).toBeUndefined();
          return render(ingress.Properties?.SourceSecurityGroupId);
        });
        expect(sources.sort()).toEqual(
          [
            `<${onlyId(resources, 'AWS::EC2::SecurityGroup', 'ApiServiceSecurityGroup')}.GroupId>`,
            `<${onlyId(resources, 'AWS::EC2::SecurityGroup', 'ReconcilerSecurityGroup')}.GroupId>`,
            `<${onlyId(resources, 'AWS::EC2::SecurityGroup', 'DatabaseAppCredentialsRotation')}.GroupId>`,
          ].sort(),
        );
      });

      test('then the application role secret is the stack’s, rotated, and copies its connection from the given secret', () => {
        const appSecretId = onlyId(
          resources,
          'AWS::SecretsManager::Secret',
          'DatabaseAppCredentials',
        );
        const generate = resources[appSecretId]?.Properties?.GenerateSecretString as {
          SecretStringTemplate: string;
          GenerateStringKey: string;
        };
        const copied = (key: string) =>
          `{{resolve:secretsmanager:${EXAMPLE_ESTATE.databaseSecretArn}:SecretString:${key}::}}`;
        expect(JSON.parse(generate.SecretStringTemplate)).toEqual({
          engine: 'postgres',
          host: copied('host'),
          port: copied('port'),
          dbname: copied('dbname'),
          username: DATABASE_APP_USER,
          masterarn: EXAMPLE_ESTATE.databaseSecretArn,
        });
        expect(generate.GenerateStringKey).toBe('password');
        synthesized.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
          SecretId: { Ref: appSecretId },
          RotateImmediatelyOnUpdate: false,
        });
        synthesized.template.hasResourceProperties('AWS::Serverless::Application', {
          Parameters: Match.objectLike({ masterSecretArn: EXAMPLE_ESTATE.databaseSecretArn }),
        });
        expect(environmentOf(containers(resources).api).DATABASE_SECRET_ARN).toEqual({
          Ref: appSecretId,
        });
      });
    } else {
      test('then the stack creates its database in the network’s database subnets', () => {
        synthesized.template.resourceCountIs('AWS::RDS::DBInstance', 1);
        const subnetGroup = resources[onlyId(resources, 'AWS::RDS::DBSubnetGroup')];
        const subnets = (subnetGroup?.Properties?.SubnetIds as unknown[]).map(render);
        if (adopts('network')) {
          // No isolated subnets were given: the private ones (see docs/deploy.md).
          expect(subnets).toEqual([...EXAMPLE_ESTATE.privateSubnetIds]);
        } else {
          expect(subnets.every((subnet) => subnet.startsWith('<NetworkVpcisolatedSubnet'))).toBe(
            true,
          );
        }
      });
    }
  });

  describe('the API', () => {
    test('then its container is always told ALLOWED_SOURCE_IPS: the addresses of the WAF IP set, and one trusted proxy hop', () => {
      const environment = environmentOf(containers(resources).api);
      expect(environment.ALLOWED_SOURCE_IPS).toBeDefined();
      const allowed = render(environment.ALLOWED_SOURCE_IPS).split(',');
      const ipSet = resources[onlyId(resources, 'AWS::WAFv2::IPSet')]?.Properties
        ?.Addresses as unknown[];
      expect(allowed.length).toBeGreaterThan(0);
      expect(allowed.map((address) => `${address}/32`)).toEqual(ipSet.map(render));
      if (adopts('network')) expect(allowed).toEqual([...EXAMPLE_ESTATE.natEgressIps]);
      else
        expect(allowed.every((address) => /^<NetworkNatEip\d+\w+\.PublicIp>$/.test(address))).toBe(
          true,
        );
      expect(environment.TRUSTED_PROXY_HOPS).toBe('1');
    });

    test('then its tasks are reachable only from the load balancer’s security group, on the container port', () => {
      const serviceGroupId = onlyId(
        resources,
        'AWS::EC2::SecurityGroup',
        'ApiServiceSecurityGroup',
      );
      const loadBalancerGroupId = onlyId(
        resources,
        'AWS::EC2::SecurityGroup',
        'ApiLoadBalancerSecurityGroup',
      );
      expect(resources[serviceGroupId]?.Properties?.SecurityGroupIngress).toBeUndefined();
      const ingress = ingressInto({ 'Fn::GetAtt': [serviceGroupId, 'GroupId'] }).map(
        (rule) => rule.Properties,
      );
      expect(ingress).toEqual([
        expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: API_CONTAINER_PORT,
          ToPort: API_CONTAINER_PORT,
          SourceSecurityGroupId: { 'Fn::GetAtt': [loadBalancerGroupId, 'GroupId'] },
        }),
      ]);
    });
  });
  describe('the guard check', () => {
    test('then it is deployed, expects the WAF IP set’s very addresses, and alarms to the alarm topic', () => {
      const functionId = onlyId(resources, 'AWS::Lambda::Function', 'GuardWatchFunction');
      const variables = (
        resources[functionId]?.Properties?.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      const ipSetId = onlyId(resources, 'AWS::WAFv2::IPSet');
      const ipSet = resources[ipSetId]?.Properties?.Addresses as unknown[];
      expect(render(variables.EXPECTED_NAT_ADDRESSES).split(',')).toEqual(ipSet.map(render));
      expect(render(variables.NAT_IP_SET_ARN)).toBe(`<${ipSetId}.Arn>`);
      expect(render(variables.WEB_ACL_ARN)).toBe(
        `<${onlyId(resources, 'AWS::WAFv2::WebACL')}.Arn>`,
      );
      const alarm =
        resources[onlyId(resources, 'AWS::CloudWatch::Alarm', 'GuardWatchGuardWeakened')]
          ?.Properties;
      const topic = { Ref: onlyId(resources, 'AWS::SNS::Topic') };
      expect(alarm?.AlarmActions).toEqual([topic]);
      expect(alarm?.OKActions).toEqual([topic]);
      expect(alarm?.TreatMissingData).toBe('breaching');
      expect(synthesized.json.Outputs?.['GuardWatchFunctionName']?.Value).toEqual({
        Ref: functionId,
      });
    });
  });
});
