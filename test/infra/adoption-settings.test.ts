import fs from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { SOURCE_ROOT } from '../../stacks/app';
import { readDeploymentSettings } from '../../stacks/settings';
import { notPublicIpv4 } from '../../stacks/public-ipv4';
import { EXAMPLE_ESTATE } from '../../examples/existing-estate/estate';
import { ADOPT_CONTEXT, ADOPTION_MODES } from './adoption-modes';
import { TEST_HOSTED_ZONE } from './synth-app';

type Context = Record<string, unknown>;

const settingsFrom = (context: Context) =>
  readDeploymentSettings(new App({ context: { ...TEST_HOSTED_ZONE, ...context } }).node);

/** A context without `key`. */
const without = (context: Context, key: string): Context =>
  Object.fromEntries(Object.entries(context).filter(([name]) => name !== key));

describe('adoption settings', () => {
  describe('when nothing is adopted', () => {
    test('then every part is created, with the stage’s NAT and Multi-AZ defaults', () => {
      expect(settingsFrom({})).toMatchObject({
        userPool: { kind: 'create' },
        network: { kind: 'create', natGateways: 1 },
        database: { kind: 'create', multiAz: false },
      });
      expect(settingsFrom({ stage: 'prod' })).toMatchObject({
        network: { kind: 'create', natGateways: 2 },
        database: { kind: 'create', multiAz: true },
      });
    });

    test.each([
      ['replaceExistingTrigger', 'true', 'existingUserPoolId'],
      ['existingUserPoolSmsRoleArns', 'arn:aws:iam::111122223333:role/sms', 'existingUserPoolId'],
      ['natEgressIps', '52.208.0.10', 'existingVpcId'],
      ['privateSubnetIds', 'subnet-0bbbbbbbbbbbbbbb1', 'existingVpcId'],
      ['isolatedSubnetIds', 'subnet-0dddddddddddddd01', 'existingVpcId'],
      ['vpcHasSqsEndpoint', 'false', 'existingVpcId'],
      ['databaseSecurityGroupId', 'sg-0ccccccccccccccc1', 'existingDatabaseSecretArn'],
      ['databasePort', '5433', 'existingDatabaseSecretArn'],
    ])('then "%s" alone is refused as applying only with "%s"', (key, value, anchor) => {
      expect(() => settingsFrom({ [key]: value })).toThrow(
        `context "${key}" applies only with "${anchor}"`,
      );
    });
  });

  describe('when the user pool is adopted', () => {
    test('then the pool ID, the replace flag and the SMS roles are read', () => {
      expect(
        settingsFrom({
          ...ADOPT_CONTEXT.userPool,
          replaceExistingTrigger: 'true',
          existingUserPoolSmsRoleArns: 'arn:aws:iam::111122223333:role/team-cognito-sns',
        }).userPool,
      ).toEqual({
        kind: 'adopt',
        userPoolId: EXAMPLE_ESTATE.userPoolId,
        replaceExistingTrigger: true,
        smsRoleArns: ['arn:aws:iam::111122223333:role/team-cognito-sns'],
      });
    });

    test('then a malformed pool ID, a pool of another region and a role that is no ARN are refused', () => {
      expect(() => settingsFrom({ existingUserPoolId: 'TeamPool' })).toThrow(
        /context "existingUserPoolId" must be a user pool ID/,
      );
      expect(() => settingsFrom({ existingUserPoolId: 'us-east-1_AbC123' })).toThrow(
        /names a pool in us-east-1; the stack deploys to eu-west-1/,
      );
      expect(() =>
        settingsFrom({ ...ADOPT_CONTEXT.userPool, existingUserPoolSmsRoleArns: 'team-sns' }),
      ).toThrow(/"existingUserPoolSmsRoleArns": entry 1 \(team-sns\) is not an IAM role ARN/);
    });
  });

  describe('when the VPC is adopted', () => {
    const vpc: Context = ADOPT_CONTEXT.network;

    test('then comma-separated lists from -c and JSON arrays from cdk.json read alike', () => {
      const fromArrays = settingsFrom({
        ...vpc,
        availabilityZones: [...EXAMPLE_ESTATE.availabilityZones],
        publicSubnetIds: [...EXAMPLE_ESTATE.publicSubnetIds],
        privateSubnetIds: [...EXAMPLE_ESTATE.privateSubnetIds],
        natEgressIps: [...EXAMPLE_ESTATE.natEgressIps],
      });
      expect(fromArrays.network).toEqual(settingsFrom(vpc).network);
      expect(fromArrays.network).toEqual({
        kind: 'adopt',
        vpcId: EXAMPLE_ESTATE.vpcId,
        availabilityZones: EXAMPLE_ESTATE.availabilityZones,
        publicSubnetIds: EXAMPLE_ESTATE.publicSubnetIds,
        privateSubnetIds: EXAMPLE_ESTATE.privateSubnetIds,
        natEgressIps: EXAMPLE_ESTATE.natEgressIps,
        // Created only if the team says the VPC has none.
        hasSqsEndpoint: true,
      });
    });

    test.each(['availabilityZones', 'publicSubnetIds', 'privateSubnetIds', 'natEgressIps'])(
      'then synth fails naming "%s" when it is absent',
      (key) => {
        expect(() => settingsFrom(without(vpc, key))).toThrow(
          `context "${key}" is required with "existingVpcId"`,
        );
      },
    );

    test.each([
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['169.254.10.10', 'link-local'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['100.127.255.254', 'carrier-grade NAT'],
      ['224.0.0.251', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['0.0.0.0', 'this network'],
      ['203.0.113.10', 'documentation'],
      ['198.18.0.1', 'benchmarking'],
      ['52.208.0.0/24', 'not an IPv4 address'],
      ['2001:db8::1', 'not an IPv4 address'],
      ['052.208.0.10', 'not an IPv4 address'],
      ['nat-gateway', 'not an IPv4 address'],
    ])('then natEgressIps entry %s is refused: %s', (address, why) => {
      expect(() =>
        settingsFrom({ ...vpc, natEgressIps: `${EXAMPLE_ESTATE.natEgressIps[0]},${address}` }),
      ).toThrow(
        new RegExp(
          `context "natEgressIps" must list public IPv4 addresses: entry 2 \\(${address.replaceAll('.', '\\.')}\\).*${why}`,
        ),
      );
    });

    test('then a public address just outside each refused range is accepted', () => {
      for (const address of ['100.63.255.255', '100.128.0.0', '172.32.0.1', '223.255.255.254']) {
        expect({ address, problem: notPublicIpv4(address) }).toEqual({
          address,
          problem: undefined,
        });
      }
      expect(() => settingsFrom({ ...vpc, natEgressIps: '52.208.0.10,52.208.0.10' })).toThrow(
        'context "natEgressIps" lists 52.208.0.10 twice',
      );
    });

    test('then subnet lists must hold one well-formed subnet per AZ, in no other list', () => {
      expect(() => settingsFrom({ ...vpc, privateSubnetIds: 'subnet-0bbbbbbbbbbbbbbb1' })).toThrow(
        /"privateSubnetIds" must list one subnet per AZ of "availabilityZones" \(2\)/,
      );
      expect(() => settingsFrom({ ...vpc, publicSubnetIds: 'subnet-1,subnet-2' })).toThrow(
        /"publicSubnetIds": entry 1 \(subnet-1\) is not a subnet ID/,
      );
      expect(() =>
        settingsFrom({ ...vpc, privateSubnetIds: EXAMPLE_ESTATE.publicSubnetIds.join(',') }),
      ).toThrow(/"privateSubnetIds": subnet-0aaaaaaaaaaaaaaa1 is also in another subnet list/);
      expect(() =>
        settingsFrom({ ...vpc, availabilityZones: 'eu-west-1a', publicSubnetIds: 'x' }),
      ).toThrow(/"availabilityZones" must list at least two AZs/);
      expect(() => settingsFrom({ ...vpc, availabilityZones: 'us-east-1a,us-east-1b' })).toThrow(
        /"availabilityZones": entry 1 \(us-east-1a\) is not an availability zone of eu-west-1/,
      );
      expect(() => settingsFrom({ ...vpc, existingVpcId: 'vpc-123' })).toThrow(
        /"existingVpcId" must be a VPC ID/,
      );
    });

    test('then natGateways contradicts it, and an existing endpoint’s group contradicts vpcHasSqsEndpoint=false', () => {
      expect(() => settingsFrom({ ...vpc, natGateways: '2' })).toThrow(
        /"natGateways" contradicts "existingVpcId"/,
      );
      expect(() =>
        settingsFrom({
          ...vpc,
          vpcHasSqsEndpoint: 'false',
          sqsEndpointSecurityGroupId: 'sg-0eeeeeeeeeeeeeee1',
        }),
      ).toThrow(/"sqsEndpointSecurityGroupId" names an existing endpoint/);
      expect(settingsFrom({ ...vpc, vpcHasSqsEndpoint: 'false' }).network).toMatchObject({
        hasSqsEndpoint: false,
      });
    });
  });

  describe('when the database is adopted', () => {
    const database: Context = ADOPT_CONTEXT.database;

    test('then the secret, the security group and the port (5432 unless given) are read', () => {
      expect(settingsFrom(database).database).toEqual({
        kind: 'adopt',
        migrationSecretArn: EXAMPLE_ESTATE.databaseSecretArn,
        securityGroupId: EXAMPLE_ESTATE.databaseSecurityGroupId,
        port: 5432,
      });
      expect(settingsFrom({ ...database, databasePort: '6432' }).database).toMatchObject({
        port: 6432,
      });
    });

    test('then synth fails naming "databaseSecurityGroupId" when it is absent', () => {
      expect(() => settingsFrom(without(database, 'databaseSecurityGroupId'))).toThrow(
        'context "databaseSecurityGroupId" is required with "existingDatabaseSecretArn"',
      );
    });

    test('then a partial ARN, a secret of another region and an ID that is no group are refused', () => {
      expect(() =>
        settingsFrom({
          ...database,
          existingDatabaseSecretArn:
            'arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/usersync-migrations',
        }),
      ).toThrow(/"existingDatabaseSecretArn" must be the complete ARN/);
      expect(() =>
        settingsFrom({
          ...database,
          existingDatabaseSecretArn: EXAMPLE_ESTATE.databaseSecretArn.replace(
            'eu-west-1',
            'eu-central-1',
          ),
        }),
      ).toThrow(/names a secret in eu-central-1/);
      expect(() => settingsFrom({ ...database, databaseSecurityGroupId: 'default' })).toThrow(
        /"databaseSecurityGroupId" must be a security group ID/,
      );
    });

    test('then databaseMultiAz, and isolated subnets for a database it will not create, contradict it', () => {
      expect(() => settingsFrom({ ...database, databaseMultiAz: 'true' })).toThrow(
        /"databaseMultiAz" contradicts "existingDatabaseSecretArn"/,
      );
      expect(() =>
        settingsFrom({
          ...ADOPT_CONTEXT.network,
          ...database,
          isolatedSubnetIds: 'subnet-0dddddddddddddd01,subnet-0dddddddddddddd02',
        }),
      ).toThrow(/"isolatedSubnetIds" places a database the stack creates/);
    });
  });

  test('npm run synth:adopted synthesizes the all-three mode with the example estate’s values', () => {
    const { scripts } = JSON.parse(
      fs.readFileSync(path.join(SOURCE_ROOT, 'package.json'), 'utf8'),
    ) as { scripts: Record<string, string> };
    const script = scripts['synth:adopted'] ?? '';
    const context = Object.fromEntries(
      [...script.matchAll(/-c ([\w]+)=(\S+)/g)].map(([, key, value]) => [key, value]),
    );
    expect(context).toEqual(ADOPTION_MODES.find((mode) => mode.adopted.length === 3)?.context);
  });
});
