import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Database } from './database';
import { ExistingDatabase } from './existing-database';
import type { StackOutputs } from './stack-outputs';

/**
 * Where the database comes from:
 * - `create`: RDS PostgreSQL of the stack's own, in the network's database subnets;
 * - `adopt`: the team's PostgreSQL, reached with the RDS-format secret of a role that may create
 *   tables and roles (the migrations run as it), through its security group.
 */
export type DatabaseSource =
  | { readonly kind: 'create'; readonly multiAz: boolean }
  | ({ readonly kind: 'adopt' } & AdoptedDatabase);

export interface AdoptedDatabase {
  /**
   * Complete ARN of an RDS-format secret (`engine`, `host`, `port`, `dbname`, `username`,
   * `password`) of the role the migrations run as.
   */
  readonly migrationSecretArn: string;
  /** The database's security group: ingress from the stack's tasks is added to it. */
  readonly securityGroupId: string;
  /** The port the database listens on (the secret's `port`; a security group rule needs it). */
  readonly port: number;
}

/** What the rest of the system sees of the database, whichever its source. */
export interface SyncDatabase {
  /** RDS-format secret of the role the migrations run as (the master, for a created database). */
  readonly credentials: secretsmanager.ISecret;
  /** The application role's RDS-format secret (`usersync_app`, alternating-users rotation). */
  readonly appCredentials: secretsmanager.ISecret;
  /** Stack outputs this part contributes, by output ID. */
  readonly outputs: StackOutputs;
  /** Lets `peer` open connections to the database. */
  allowFrom(peer: ec2.IConnectable, description: string): void;
}

export interface DatabaseFromOptions {
  readonly vpc: ec2.IVpc;
  /** Where a created database goes (the network's database subnets). */
  readonly subnets: ec2.SubnetSelection;
  readonly deletionProtection: boolean;
  readonly removalPolicy?: RemovalPolicy;
}

/** Builds or adopts the database `source` says, as construct `id` of `scope`. */
export function databaseFrom(
  scope: Construct,
  id: string,
  source: DatabaseSource,
  options: DatabaseFromOptions,
): SyncDatabase {
  const removal =
    options.removalPolicy === undefined ? {} : { removalPolicy: options.removalPolicy };
  if (source.kind === 'create') {
    return new Database(scope, id, {
      vpc: options.vpc,
      vpcSubnets: options.subnets,
      multiAz: source.multiAz,
      deletionProtection: options.deletionProtection,
      ...removal,
    });
  }
  return new ExistingDatabase(scope, id, { ...source, vpc: options.vpc, ...removal });
}
