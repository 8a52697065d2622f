/**
 * A team's existing estate, with made-up but well-formed IDs: the user pool, the VPC (its
 * subnets, their AZs and its NAT gateways' public addresses) and the PostgreSQL database (the
 * secret of a role that may create tables and roles, and its security group). Replace every
 * value with your own; nothing here is looked up, so synth runs offline with these as they are.
 */
export const EXAMPLE_ESTATE = {
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbCdEf123',
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  publicSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
  privateSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
  /** Your NAT gateways' Elastic IPs (these two are placeholders, not anyone's gateway). */
  natEgressIps: ['52.208.0.10', '52.208.0.11'],
  databaseSecretArn:
    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/usersync-migrations-AbCdEf',
  databaseSecurityGroupId: 'sg-0ccccccccccccccc1',
  certificateArn:
    'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000',
  apiDomainName: 'usersync.example.com',
} as const;
