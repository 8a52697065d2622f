import type { Node } from 'constructs';
import {
  isGiven,
  readBoolean,
  readInteger,
  readList,
  readString,
  SettingsError,
} from './context-values';
import type { DatabaseSource } from './database-source';
import type { NetworkSource } from './network-source';
import { notPublicIpv4 } from './public-ipv4';
import type { UserPoolSource } from './user-pool-source';

/**
 * The context keys that adopt a part of the team's estate instead of creating it, and those
 * that only mean something with them. Synth stays offline: every ID is taken as given and
 * checked for its form here, never looked up.
 */
export const ADOPTION_KEYS = {
  userPool: {
    anchor: 'existingUserPoolId',
    companions: ['replaceExistingTrigger', 'existingUserPoolSmsRoleArns'],
  },
  network: {
    anchor: 'existingVpcId',
    companions: [
      'availabilityZones',
      'publicSubnetIds',
      'privateSubnetIds',
      'isolatedSubnetIds',
      'natEgressIps',
      'vpcHasSqsEndpoint',
      'sqsEndpointSecurityGroupId',
    ],
  },
  database: {
    anchor: 'existingDatabaseSecretArn',
    companions: ['databaseSecurityGroupId', 'databasePort'],
  },
} as const;

/** EC2 resource IDs: the prefix, then 8 or 17 hexadecimal digits. */
const ec2Id = (prefix: string) => new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);
const VPC_ID = ec2Id('vpc');
const SUBNET_ID = ec2Id('subnet');
const SECURITY_GROUP_ID = ec2Id('sg');
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
/** A complete secret ARN: the name ends in the six random characters Secrets Manager adds. */
const COMPLETE_SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;

function refuseWithout(node: Node, anchor: string, keys: readonly string[]): void {
  for (const key of keys) {
    if (isGiven(node, key)) {
      throw new SettingsError(`context "${key}" applies only with "${anchor}"`);
    }
  }
}

function required<T>(value: T | undefined, key: string, anchor: string, what: string): T {
  if (value === undefined) {
    throw new SettingsError(`context "${key}" is required with "${anchor}": ${what}`);
  }
  return value;
}

function refuseDuplicates(key: string, values: readonly string[]): void {
  const duplicate = values.find((value, index) => values.indexOf(value) !== index);
  if (duplicate !== undefined) {
    throw new SettingsError(`context "${key}" lists ${duplicate} twice`);
  }
}

function checkEach(key: string, values: readonly string[], pattern: RegExp, what: string): void {
  values.forEach((value, index) => {
    if (!pattern.test(value)) {
      throw new SettingsError(`context "${key}": entry ${index + 1} (${value}) is not ${what}`);
    }
  });
  refuseDuplicates(key, values);
}

/** `-c existingUserPoolId=…`: the team's pool, whose PostConfirmation trigger the producer becomes. */
export function readUserPoolSource(node: Node, { region }: { region: string }): UserPoolSource {
  const { anchor, companions } = ADOPTION_KEYS.userPool;
  const userPoolId = readString(node, anchor);
  if (userPoolId === undefined) {
    refuseWithout(node, anchor, companions);
    return { kind: 'create' };
  }
  const poolRegion = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/.exec(userPoolId)?.[1];
  if (poolRegion === undefined) {
    throw new SettingsError(`context "${anchor}" must be a user pool ID such as ${region}_AbC123`);
  }
  if (poolRegion !== region) {
    // Cognito invokes triggers in its own region only.
    throw new SettingsError(
      `context "${anchor}" names a pool in ${poolRegion}; the stack deploys to ${region}`,
    );
  }
  const smsRoleArns = readList(node, 'existingUserPoolSmsRoleArns') ?? [];
  checkEach('existingUserPoolSmsRoleArns', smsRoleArns, IAM_ROLE_ARN, 'an IAM role ARN');
  return {
    kind: 'adopt',
    userPoolId,
    replaceExistingTrigger: readBoolean(node, 'replaceExistingTrigger', false),
    smsRoleArns,
  };
}

/**
 * `-c existingVpcId=…` with the subnets, their AZs and the NAT addresses: no VPC, NAT gateway or
 * Elastic IP is created. Otherwise a VPC of the stack's own with `natGateways` gateways.
 */
export function readNetworkSource(
  node: Node,
  { region, natGateways }: { region: string; natGateways: number },
): NetworkSource {
  const { anchor, companions } = ADOPTION_KEYS.network;
  const vpcId = readString(node, anchor);
  if (vpcId === undefined) {
    refuseWithout(node, anchor, companions);
    return { kind: 'create', natGateways: readInteger(node, 'natGateways', natGateways, 1, 2) };
  }
  if (!VPC_ID.test(vpcId)) {
    throw new SettingsError(`context "${anchor}" must be a VPC ID (vpc-…)`);
  }
  if (isGiven(node, 'natGateways')) {
    throw new SettingsError(
      'context "natGateways" contradicts "existingVpcId": an adopted VPC keeps its own NAT; ' +
        'list its addresses in "natEgressIps"',
    );
  }

  const availabilityZones = required(
    readList(node, 'availabilityZones'),
    'availabilityZones',
    anchor,
    `the AZs of the subnets, in order, such as ${region}a,${region}b`,
  );
  checkEach(
    'availabilityZones',
    availabilityZones,
    new RegExp(`^${region}[a-z]$`),
    `an availability zone of ${region}`,
  );
  if (availabilityZones.length < 2) {
    // The load balancer and an RDS subnet group both need subnets in two AZs.
    throw new SettingsError('context "availabilityZones" must list at least two AZs');
  }
  const subnetList = (key: string, what: string): string[] | undefined => {
    const ids = readList(node, key);
    if (ids === undefined) return undefined;
    checkEach(key, ids, SUBNET_ID, 'a subnet ID (subnet-…)');
    if (ids.length !== availabilityZones.length) {
      throw new SettingsError(
        `context "${key}" must list one subnet per AZ of "availabilityZones" (${availabilityZones.length}), ${what}`,
      );
    }
    return ids;
  };
  const publicSubnetIds = required(
    subnetList('publicSubnetIds', 'in the same order'),
    'publicSubnetIds',
    anchor,
    'the subnets routed to an internet gateway, for the internet-facing load balancer',
  );
  const privateSubnetIds = required(
    subnetList('privateSubnetIds', 'in the same order'),
    'privateSubnetIds',
    anchor,
    'the subnets whose egress leaves through the NAT, for the tasks and functions',
  );
  const isolatedSubnetIds = subnetList('isolatedSubnetIds', 'in the same order');
  const inPublic = new Set(publicSubnetIds);
  for (const [key, ids] of [
    ['privateSubnetIds', privateSubnetIds],
    ['isolatedSubnetIds', isolatedSubnetIds ?? []],
  ] as const) {
    const shared = ids.find(
      (id) => inPublic.has(id) || (key === 'isolatedSubnetIds' && privateSubnetIds.includes(id)),
    );
    if (shared !== undefined) {
      throw new SettingsError(`context "${key}": ${shared} is also in another subnet list`);
    }
  }

  const natEgressIps = required(
    readList(node, 'natEgressIps'),
    'natEgressIps',
    anchor,
    "the public IPv4 addresses of the VPC's NAT (its Elastic IPs)",
  );
  natEgressIps.forEach((address, index) => {
    const problem = notPublicIpv4(address);
    if (problem !== undefined) {
      throw new SettingsError(
        `context "natEgressIps" must list public IPv4 addresses: entry ${index + 1} (${address}) ${problem}`,
      );
    }
  });
  refuseDuplicates('natEgressIps', natEgressIps);

  const hasSqsEndpoint = readBoolean(node, 'vpcHasSqsEndpoint', true);
  const sqsEndpointSecurityGroupId = readString(node, 'sqsEndpointSecurityGroupId');
  if (sqsEndpointSecurityGroupId !== undefined) {
    if (!hasSqsEndpoint) {
      throw new SettingsError(
        'context "sqsEndpointSecurityGroupId" names an existing endpoint, which contradicts ' +
          '"vpcHasSqsEndpoint=false"',
      );
    }
    if (!SECURITY_GROUP_ID.test(sqsEndpointSecurityGroupId)) {
      throw new SettingsError('context "sqsEndpointSecurityGroupId" must be a security group ID');
    }
  }

  return {
    kind: 'adopt',
    vpcId,
    availabilityZones,
    publicSubnetIds,
    privateSubnetIds,
    ...(isolatedSubnetIds === undefined ? {} : { isolatedSubnetIds }),
    natEgressIps,
    hasSqsEndpoint,
    ...(sqsEndpointSecurityGroupId === undefined ? {} : { sqsEndpointSecurityGroupId }),
  };
}

/**
 * `-c existingDatabaseSecretArn=… -c databaseSecurityGroupId=…`: the team's PostgreSQL, migrated
 * as the secret's role; no RDS instance. Otherwise one of the stack's own (`databaseMultiAz`).
 */
export function readDatabaseSource(
  node: Node,
  { region, network, multiAz }: { region: string; network: NetworkSource; multiAz: boolean },
): DatabaseSource {
  const { anchor, companions } = ADOPTION_KEYS.database;
  const migrationSecretArn = readString(node, anchor);
  if (migrationSecretArn === undefined) {
    refuseWithout(node, anchor, companions);
    return { kind: 'create', multiAz: readBoolean(node, 'databaseMultiAz', multiAz) };
  }
  const secretRegion = COMPLETE_SECRET_ARN.exec(migrationSecretArn)?.[1];
  if (secretRegion === undefined) {
    throw new SettingsError(
      `context "${anchor}" must be the complete ARN of a Secrets Manager secret ` +
        '(arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
    );
  }
  if (secretRegion !== region) {
    throw new SettingsError(
      `context "${anchor}" names a secret in ${secretRegion}; the stack deploys to ${region}`,
    );
  }
  if (isGiven(node, 'databaseMultiAz')) {
    throw new SettingsError(
      'context "databaseMultiAz" contradicts "existingDatabaseSecretArn": the stack creates no database',
    );
  }
  if (network.kind === 'adopt' && network.isolatedSubnetIds !== undefined) {
    throw new SettingsError(
      'context "isolatedSubnetIds" places a database the stack creates; with ' +
        '"existingDatabaseSecretArn" it creates none',
    );
  }
  const securityGroupId = required(
    readString(node, 'databaseSecurityGroupId'),
    'databaseSecurityGroupId',
    anchor,
    "the database's security group, which the tasks are given ingress on",
  );
  if (!SECURITY_GROUP_ID.test(securityGroupId)) {
    throw new SettingsError('context "databaseSecurityGroupId" must be a security group ID (sg-…)');
  }
  return {
    kind: 'adopt',
    migrationSecretArn,
    securityGroupId,
    port: readInteger(node, 'databasePort', 5432, 1, 65535),
  };
}
