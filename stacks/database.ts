import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SyncDatabase } from './database-source';
import type { StackOutputs } from './stack-outputs';

/** The database the API and its migrations use; named in the generated secret as `dbname`. */
export const DATABASE_NAME = 'usersync';
/** The master user: used only by the migrate container. */
export const DATABASE_MASTER_USER = 'usersync_admin';
/**
 * The application's login role (API, reconciler), created by the migrate container. Its
 * alternating-users rotation adds `usersync_app_clone`, a member of it.
 */
export const DATABASE_APP_USER = 'usersync_app';
/** How often both secrets rotate. */
export const DATABASE_ROTATION_INTERVAL = Duration.days(30);
/** Where the rotation functions run: they call Secrets Manager, so they need a route out. */
export const DATABASE_ROTATION_SUBNETS: ec2.SubnetSelection = {
  subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
};

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** @default the isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Standby in the second AZ. */
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  /** @default RemovalPolicy.SNAPSHOT */
  readonly removalPolicy?: RemovalPolicy;
  /** How long the exported PostgreSQL logs are kept. @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * RDS PostgreSQL in the isolated subnets (or those given): encrypted, backed up, not publicly accessible, and
 * reachable only from security groups granted with `allowFrom`. Two secrets, both rotated:
 * - the master (`credentials`), for the migrations only, single-user rotation: it is read once
 *   per migrate run, so a rotation can only fail a deploy that happens in the same seconds;
 * - the application role (`appCredentials`), alternating-users rotation: the rotation gives the
 *   *other* login (`usersync_app` or `usersync_app_clone`) a new password and only then makes it
 *   current, so the current secret always logs in and open connections never lose their login.
 *   (Single-user rotation changes the live password first and the secret a moment later, a window
 *   in which new connections fail.) The API still re-reads the secret when a login is refused.
 */
export class Database extends Construct implements SyncDatabase {
  readonly instance: rds.DatabaseInstance;
  /** The master user's secret: migrations and role management only. */
  readonly credentials: secretsmanager.ISecret;
  /** The application role's secret (RDS format, with `masterarn` for its rotation). */
  readonly appCredentials: secretsmanager.ISecret;
  readonly outputs: StackOutputs;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      publiclyAccessible: false,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(DATABASE_MASTER_USER),
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageType: rds.StorageType.GP3,
      multiAz: props.multiAz,
      deletionProtection: props.deletionProtection,
      backupRetention: Duration.days(7),
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      cloudwatchLogsRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      enablePerformanceInsights: false,
      removalPolicy,
    });
    if (this.instance.secret === undefined) {
      throw new Error('the database instance was expected to generate a credentials secret');
    }
    this.credentials = this.instance.secret;
    this.acknowledgeLogRetentionFunction();
    // A retained or snapshotted database is useless without its master password.
    const secretRemovalPolicy =
      removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    // `instance.secret` is the attachment; the generated secret itself is the instance's child.
    const generatedSecret = this.instance.node.tryFindChild('Secret');
    if (!(generatedSecret instanceof secretsmanager.Secret)) {
      throw new Error('the database instance was expected to hold its generated secret');
    }
    generatedSecret.applyRemovalPolicy(secretRemovalPolicy);

    const appSecret = new rds.DatabaseSecret(this, 'AppCredentials', {
      username: DATABASE_APP_USER,
      dbname: DATABASE_NAME,
      masterSecret: this.credentials,
    });
    appSecret.applyRemovalPolicy(secretRemovalPolicy);
    this.appCredentials = appSecret.attach(this.instance);
    this.outputs = {
      DatabaseSecretArn: {
        value: this.credentials.secretArn,
        description: 'Database master credentials, for migrations only (rotated every 30 days)',
      },
      DatabaseAppSecretArn: {
        value: this.appCredentials.secretArn,
        description: 'Application role credentials (alternating users, rotated every 30 days)',
      },
    };

    // The rotation functions talk to Secrets Manager through the NAT: the isolated subnets
    // have no route out. RDS lets them in (addRotation… opens the port to them).
    const rotationSubnets = DATABASE_ROTATION_SUBNETS;
    this.instance.addRotationSingleUser({
      automaticallyAfter: DATABASE_ROTATION_INTERVAL,
      vpcSubnets: rotationSubnets,
    });
    this.instance.addRotationMultiUser('AppCredentialsRotation', {
      secret: this.appCredentials,
      automaticallyAfter: DATABASE_ROTATION_INTERVAL,
      vpcSubnets: rotationSubnets,
      // The role exists only once the first migrate container has run; the first rotation
      // waits for the schedule instead of failing against a missing role at deploy time.
      rotateImmediatelyOnUpdate: false,
    });

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'The default PostgreSQL port is kept: the instance has no public address, sits in ' +
        'subnets with no inbound route from the internet and admits only the API and reconciler ' +
        'task security groups and the rotation functions, so a non-standard port would hide nothing.',
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

  /**
   * RDS creates its log groups itself when it starts exporting, so their retention is set by
   * CDK's LogRetention function (one per stack) rather than by a LogGroup resource, which would
   * collide with the group RDS made.
   */
  private acknowledgeLogRetentionFunction(): void {
    const logRetention = Stack.of(this).node.tryFindChild(
      'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a',
    );
    if (logRetention === undefined) return;
    Validations.of(logRetention).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's LogRetention function only writes its own logs with the AWS-managed minimum; it " +
          'sets retention on the RDS log groups.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'logs:PutRetentionPolicy/DeleteRetentionPolicy on *: the RDS log groups are named after ' +
          'the instance identifier, known only once RDS has created them.',
      },
    );
  }

  /** Lets `peer` (the API tasks, which also run the migrations) open connections. */
  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.instance.connections.allowDefaultPortFrom(peer, description);
  }
}
