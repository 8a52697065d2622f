import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The database the API and its migrations use; named in the generated secret as `dbname`. */
export const DATABASE_NAME = 'usersync';

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Standby in the second AZ. */
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  /** @default RemovalPolicy.SNAPSHOT */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * RDS PostgreSQL in the isolated subnets: encrypted, backed up, not publicly accessible, and
 * reachable only from security groups granted with `allowFrom`. Credentials live in a generated
 * Secrets Manager secret with scheduled single-user rotation.
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly credentials: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      publiclyAccessible: false,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('usersync_admin'),
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageType: rds.StorageType.GP3,
      multiAz: props.multiAz,
      deletionProtection: props.deletionProtection,
      backupRetention: Duration.days(7),
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      enablePerformanceInsights: false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
    });
    if (this.instance.secret === undefined) {
      throw new Error('the database instance was expected to generate a credentials secret');
    }
    this.credentials = this.instance.secret;

    // The rotation function talks to Secrets Manager through the NAT: the isolated subnets
    // have no route out. RDS lets it in (addRotationSingleUser opens the port to it).
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'The default PostgreSQL port is kept: the instance has no public address, sits in ' +
        'isolated subnets and admits only the API task security group and the rotation function, ' +
        'so a non-standard port would hide nothing.',
    });
    if (!props.multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason:
          'Multi-AZ is switched off by the databaseMultiAz context setting for this non-production ' +
          'stage to halve its cost; the prod stage defaults it on.',
      });
    }
    if (!props.deletionProtection) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is switched off by the deletionProtection context setting so that ' +
          'a non-production stage can be destroyed; the prod stage defaults it on.',
      });
    }
  }

  /** Lets `peer` (the API tasks, which also run the migrations) open connections. */
  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.instance.connections.allowDefaultPortFrom(peer, description);
  }
}
