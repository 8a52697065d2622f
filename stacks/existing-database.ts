import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  DATABASE_APP_USER,
  DATABASE_ROTATION_INTERVAL,
  DATABASE_ROTATION_SUBNETS,
} from './database';
import type { AdoptedDatabase, SyncDatabase } from './database-source';
import type { StackOutputs } from './stack-outputs';

/**
 * Characters the generated application password leaves out: those RDS and the rotation
 * functions cannot take, and those that would need escaping in a connection URL (the set CDK's
 * own DatabaseSecret excludes).
 */
export const APP_PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/** The connection keys the application's secret copies from the migration role's secret. */
export const COPIED_CONNECTION_KEYS = ['host', 'port', 'dbname'] as const;

export interface ExistingDatabaseProps extends AdoptedDatabase {
  /** Where the application secret's rotation function runs (it must reach the database). */
  readonly vpc: ec2.IVpc;
  /** For the application secret, which is the stack's. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The team's PostgreSQL, which the stack neither creates nor changes beyond two things: ingress
 * rules on its security group (the API and reconciler tasks, the rotation function), and inside
 * it what the migrations make, run as the role of the given secret (the tables, the
 * `usersync_writer` group and the `usersync_app` login).
 *
 * The application role's secret is the stack's, as with a created database: the same keys
 * (`host`, `port` and `dbname` are copied from the given secret when CloudFormation creates it,
 * through dynamic references that resolve at deploy time and never appear in the template's
 * values), the same `masterarn` for the alternating-users rotation, which logs in as the given
 * role to create `usersync_app_clone` and to change passwords. The given secret itself is the
 * team's to rotate.
 */
export class ExistingDatabase extends Construct implements SyncDatabase {
  /** The given secret: the migrations (and the app secret's rotation) log in with it. */
  readonly credentials: secretsmanager.ISecret;
  readonly appCredentials: secretsmanager.ISecret;
  readonly outputs: StackOutputs;
  /** The team's database security group, with the database's port as its default. */
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: ExistingDatabaseProps) {
    super(scope, id);

    this.credentials = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'MigrationCredentials',
      props.migrationSecretArn,
    );
    this.connections = new ec2.Connections({
      securityGroups: [
        ec2.SecurityGroup.fromSecurityGroupId(this, 'SecurityGroup', props.securityGroupId, {
          // Ingress rules are added to the team's group; its egress rules are left alone.
          allowAllOutbound: true,
        }),
      ],
      defaultPort: ec2.Port.tcp(props.port),
    });

    const copied = (key: (typeof COPIED_CONNECTION_KEYS)[number]): string =>
      `{{resolve:secretsmanager:${props.migrationSecretArn}:SecretString:${key}::}}`;
    const appSecret = new secretsmanager.Secret(this, 'AppCredentials', {
      description: `Application role of ${Stack.of(this).stackName} in the adopted database`,
      generateSecretString: {
        // The document a SecretTargetAttachment would complete for a database of the stack's.
        secretStringTemplate: JSON.stringify({
          engine: 'postgres',
          host: copied('host'),
          port: copied('port'),
          dbname: copied('dbname'),
          username: DATABASE_APP_USER,
          masterarn: props.migrationSecretArn,
        }),
        generateStringKey: 'password',
        passwordLength: 30,
        excludeCharacters: APP_PASSWORD_EXCLUDED_CHARACTERS,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.appCredentials = appSecret;

    new secretsmanager.SecretRotation(this, 'AppCredentialsRotation', {
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_MULTI_USER,
      secret: appSecret,
      masterSecret: this.credentials,
      // Opens the database's port on the team's group to the rotation function.
      target: this,
      vpc: props.vpc,
      vpcSubnets: DATABASE_ROTATION_SUBNETS,
      automaticallyAfter: DATABASE_ROTATION_INTERVAL,
      excludeCharacters: APP_PASSWORD_EXCLUDED_CHARACTERS,
      // The role exists only once the first migrate container has run (see Database).
      rotateImmediatelyOnUpdate: false,
    });

    this.outputs = {
      DatabaseSecretArn: {
        value: this.credentials.secretArn,
        description: 'The given migration role secret (the team rotates it; migrations only)',
      },
      DatabaseAppSecretArn: {
        value: this.appCredentials.secretArn,
        description: 'Application role credentials (alternating users, rotated every 30 days)',
      },
    };
  }

  allowFrom(peer: ec2.IConnectable, description: string): void {
    this.connections.allowDefaultPortFrom(peer, description);
  }
}
