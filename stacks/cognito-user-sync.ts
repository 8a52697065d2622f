import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { Alarms } from './alarms';
import { ApiService } from './api-service';
import { ConsumerService } from './consumer-service';
import { PipelineDashboard } from './dashboard';
import { databaseFrom, type DatabaseSource, type SyncDatabase } from './database-source';
import { GuardWatch } from './guard-watch';
import { DEFAULT_HEADER_ROTATION_DAYS, HeaderRotation } from './header-rotation';
import { HeaderSecret } from './header-secret';
import { networkFrom, type NetworkSource, type SyncNetwork } from './network-source';
import { ProducerFunction } from './producer-function';
import { ReconcilerFirstRun } from './reconciler-first-run';
import { ReconcilerTask } from './reconciler-task';
import { RegistrationQueue } from './registration-queue';
import type { TlsSettings } from './settings';
import type { StackOutputs } from './stack-outputs';
import { userPoolFrom, type SyncUserPool, type UserPoolSource } from './user-pool-source';
import { WAF_RULE_NAMES, WafGuard } from './waf-guard';

/** Everything the system can be told, each part created or adopted. */
export interface CognitoUserSyncOptions {
  /** The Cognito user pool whose sign-ups are mirrored. */
  readonly userPool: UserPoolSource;
  /** The VPC and the NAT addresses the senders' egress leaves from. */
  readonly network: NetworkSource;
  /** The PostgreSQL the mirror lives in. */
  readonly database: DatabaseSource;
  /** How the API is reached: HTTPS by default; plain HTTP only by explicit opt-in. */
  readonly tls: TlsSettings;
  readonly apiDesiredCount: number;
  /** Consumer tasks kept running with an empty queue (0 allowed). */
  readonly consumerMinCapacity: number;
  /** Consumer tasks at most, reached on a deep queue. */
  readonly consumerMaxCapacity: number;
  /** Deletion protection on what the stack creates of the database, load balancer and pool. */
  readonly deletionProtection: boolean;
  /** What deleting the stack does to the stateful resources it created. */
  readonly removalPolicy: RemovalPolicy;
  /** Days between automatic rotations of the header value. */
  readonly headerRotationDays: number;
  /** Header carrying the shared value. */
  readonly authHeaderName: string;
  /** E-mail address subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  /**
   * Concurrency reserved for the PostConfirmation trigger, so that other functions in the
   * account cannot starve sign-ups (and a burst of sign-ups cannot starve them). Unset, the
   * function shares the account's unreserved pool; a new account's small limit may leave no room
   * to reserve.
   */
  readonly producerReservedConcurrency?: number;
  /** `LOG_LEVEL` of the services. */
  readonly logLevel: string;
  /** When the reconciler runs: an EventBridge Scheduler `rate(…)` or `cron(…)`. */
  readonly reconcileSchedule: string;
}

/**
 * The defaults of a construct placed in someone else's stack: every part created, and what a
 * production stage gets (two NAT gateways, a Multi-AZ database, deletion protection, retained
 * data). The app's non-production stages choose cheaper ones (stacks/settings.ts).
 */
export const SYNC_DEFAULTS: Readonly<Omit<CognitoUserSyncOptions, 'tls'>> = Object.freeze<
  Omit<CognitoUserSyncOptions, 'tls'>
>({
  userPool: { kind: 'create' },
  network: { kind: 'create', natGateways: 2 },
  database: { kind: 'create', multiAz: true },
  apiDesiredCount: 2,
  consumerMinCapacity: 1,
  consumerMaxCapacity: 4,
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
  headerRotationDays: DEFAULT_HEADER_ROTATION_DAYS,
  authHeaderName: 'x-custom-auth',
  logLevel: 'info',
  reconcileSchedule: 'rate(1 day)',
});

/** The options, each defaulting to its SYNC_DEFAULTS value when left out; TLS has no default. */
export interface CognitoUserSyncProps extends Partial<Omit<CognitoUserSyncOptions, 'tls'>> {
  /** Repository root: Docker build context of the images and project root of the Lambdas. */
  readonly sourceRoot: string;
  readonly tls: TlsSettings;
}

/**
 * The whole system as one construct, to be placed in a stack: every part references the others
 * (the WAF needs the NAT addresses and the ALB, the producer needs the API URL and the queue),
 * so they live in one stack, free of cross-stack exports that would pin resources in place.
 *
 * The user pool, the network and the database are each created or adopted, as the props say;
 * each is built by its `…From` function (stacks/*-source.ts), which returns the same interface
 * either way, so nothing below asks which it got. One construct per concern as before.
 */
export class CognitoUserSync extends Construct {
  readonly network: SyncNetwork;
  readonly database: SyncDatabase;
  readonly userPool: SyncUserPool;
  readonly headerSecret: HeaderSecret;
  readonly registrationQueue: RegistrationQueue;
  readonly cluster: ecs.Cluster;
  readonly api: ApiService;
  readonly consumer: ConsumerService;
  readonly producer: ProducerFunction;
  readonly guard: WafGuard;
  readonly headerRotation: HeaderRotation;
  readonly alarms: Alarms;
  /** The check that alarms when the WAF guard is detached, switched to Count or edited. */
  readonly guardWatch: GuardWatch;
  readonly reconciler: ReconcilerTask;
  /** The run that backfills an adopted pool's earlier users; undefined for a new pool. */
  readonly reconcilerFirstRun: ReconcilerFirstRun | undefined;
  readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: CognitoUserSyncProps) {
    super(scope, id);
    const settings: CognitoUserSyncOptions = {
      ...SYNC_DEFAULTS,
      ...withoutUndefined(props),
      tls: props.tls,
    };
    const { sourceRoot } = props;
    const removalPolicy = settings.removalPolicy;

    this.network = networkFrom(this, 'Network', settings.network, { removalPolicy });
    const network = this.network;
    this.headerSecret = new HeaderSecret(this, 'HeaderSecret', { removalPolicy });
    const headerSecret = this.headerSecret;
    this.registrationQueue = new RegistrationQueue(this, 'RegistrationQueue', { removalPolicy });
    const registrationQueue = this.registrationQueue;
    this.database = databaseFrom(this, 'Database', settings.database, {
      vpc: network.vpc,
      subnets: network.databaseSubnets,
      deletionProtection: settings.deletionProtection,
      removalPolicy,
    });
    const database = this.database;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const cluster = this.cluster;

    this.api = new ApiService(this, 'Api', {
      sourceRoot,
      vpc: network.vpc,
      cluster,
      desiredCount: settings.apiDesiredCount,
      headerSecret: headerSecret.secret,
      authHeaderName: settings.authHeaderName,
      allowedSourceIps: network.natEgressIps,
      databaseMasterCredentials: database.credentials,
      databaseAppCredentials: database.appCredentials,
      tls: settings.tls,
      deletionProtection: settings.deletionProtection,
      logLevel: settings.logLevel,
      removalPolicy,
    });
    const api = this.api;
    // The API tasks also run the migrations: they are the only clients of the database.
    database.allowFrom(api.service, 'API tasks (and their migrate container)');

    this.consumer = new ConsumerService(this, 'Consumer', {
      sourceRoot,
      cluster,
      registrationQueue: registrationQueue.queue,
      deadLetterQueue: registrationQueue.deadLetterQueue,
      apiUrl: api.apiUrl,
      headerSecret: headerSecret.secret,
      authHeaderName: settings.authHeaderName,
      minCapacity: settings.consumerMinCapacity,
      maxCapacity: settings.consumerMaxCapacity,
      logLevel: settings.logLevel,
      removalPolicy,
    });
    const consumer = this.consumer;

    this.producer = new ProducerFunction(this, 'Producer', {
      sourceRoot,
      vpc: network.vpc,
      apiUrl: api.apiUrl,
      registrationQueue: registrationQueue.queue,
      headerSecret: headerSecret.secret,
      authHeaderName: settings.authHeaderName,
      reservedConcurrency: settings.producerReservedConcurrency,
      removalPolicy,
    });
    const producer = this.producer;

    if (settings.tls.kind === 'insecure-http') {
      // The senders refuse plain http to a remote host unless told this stack opted into it.
      producer.function.addEnvironment('ALLOW_PLAIN_HTTP_API', 'true');
      consumer.service.taskDefinition.defaultContainer?.addEnvironment(
        'ALLOW_PLAIN_HTTP_API',
        'true',
      );
    }

    network.allowSqsFrom(producer.function, 'Producer fallback sends');
    network.allowSqsFrom(consumer.service, 'Consumer receives, deletes and dead-letters');

    this.userPool = userPoolFrom(this, 'Auth', settings.userPool, {
      sourceRoot,
      postConfirmationTrigger: producer.function,
      deletionProtection: settings.deletionProtection,
      removalPolicy,
    });
    const userPool = this.userPool;

    this.guard = new WafGuard(this, 'WafGuard', {
      loadBalancer: api.loadBalancer,
      natEgressIps: network.natEgressIps,
      authHeaderName: settings.authHeaderName,
      acceptedHeaderValues: [
        headerSecret.dynamicReference('current'),
        headerSecret.dynamicReference('previous'),
      ],
      removalPolicy,
    });
    const guard = this.guard;

    this.headerRotation = new HeaderRotation(this, 'HeaderRotation', {
      sourceRoot,
      secret: headerSecret.secret,
      webAcl: guard.webAcl,
      natIpSet: guard.natIpSet,
      webAclName: guard.webAclMetricName,
      guardRuleName: WAF_RULE_NAMES.allowSignedRegistration,
      authHeaderName: settings.authHeaderName,
      rotationDays: settings.headerRotationDays,
      removalPolicy,
    });
    const headerRotation = this.headerRotation;
    registrationQueue.restrictSenders({
      registrations: producer.function.role ? [producer.function.role] : [],
      deadLetters: [consumer.service.taskDefinition.taskRole],
    });
    headerSecret.restrictReadsTo([
      ...(producer.function.role ? [producer.function.role] : []),
      consumer.service.taskDefinition.taskRole,
      api.service.taskDefinition.taskRole,
      ...headerRotation.readers,
    ]);

    this.alarms = new Alarms(this, 'Alarms', {
      registrationQueue: registrationQueue.queue,
      deadLetterQueue: registrationQueue.deadLetterQueue,
      loadBalancer: api.loadBalancer,
      producer: producer.function,
      guardBlockedRequests: guard.metricGuardBlockedRequests(),
      alarmEmail: settings.alarmEmail,
    });
    const alarms = this.alarms;

    this.guardWatch = new GuardWatch(this, 'GuardWatch', {
      sourceRoot,
      webAcl: guard.webAcl,
      natIpSet: guard.natIpSet,
      loadBalancer: api.loadBalancer,
      authHeaderName: settings.authHeaderName,
      alarmTopic: alarms.topic,
      removalPolicy,
    });

    this.reconciler = new ReconcilerTask(this, 'Reconciler', {
      sourceRoot,
      vpc: network.vpc,
      cluster,
      userPool: userPool.userPool,
      databaseAppCredentials: database.appCredentials,
      schedule: scheduler.ScheduleExpression.expression(settings.reconcileSchedule),
      alarmTopic: alarms.topic,
      logLevel: settings.logLevel,
      removalPolicy,
    });
    const reconciler = this.reconciler;
    database.allowFrom(reconciler, 'Reconciler task');

    // A pool with users from before the trigger: mirror them now, not at the first schedule.
    this.reconcilerFirstRun = userPool.holdsEarlierUsers
      ? new ReconcilerFirstRun(this, 'ReconcilerFirstRun', {
          reconciler,
          cluster,
          vpc: network.vpc,
          userPoolId: userPool.userPool.userPoolId,
          after: [api.service, userPool.triggerAttached],
          removalPolicy,
        })
      : undefined;

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      registrationQueue: registrationQueue.queue,
      deadLetterQueue: registrationQueue.deadLetterQueue,
      loadBalancer: api.loadBalancer,
      producer: producer.function,
      webAclMetricName: guard.webAclMetricName,
      guardWeakened: this.guardWatch.metricGuardWeakened().with({ label: 'guard weakened' }),
    });

    const outputs: StackOutputs = {
      ...network.outputs,
      ApiUrl: { value: api.apiUrl, description: 'Base URL producer and consumer call' },
      LoadBalancerDnsName: {
        value: api.loadBalancer.loadBalancerDnsName,
        description: 'Point the API domain name (if any) at this name',
      },
      ...userPool.outputs,
      ProducerFunctionArn: {
        value: producer.function.functionArn,
        description: 'PostConfirmation trigger to attach to another user pool',
      },
      RegistrationQueueUrl: {
        value: registrationQueue.queue.queueUrl,
        description: 'Fallback queue',
      },
      DeadLetterQueueUrl: {
        value: registrationQueue.deadLetterQueue.queueUrl,
        description: 'Registrations that could not be delivered',
      },
      DeadLetterRedriveRoleArn: {
        value: registrationQueue.redriveRole.roleArn,
        description: 'Assume it to run npm run dlq:redrive (the only sender besides the producer)',
      },
      HeaderRotationFunctionName: {
        value: headerRotation.function.functionName,
        description: 'Rotates the header value (its logs show each step)',
      },
      GuardWatchFunctionName: {
        value: this.guardWatch.function.functionName,
        description: 'Checks the WAF registration guard (invoke it to re-check at once)',
      },
      HeaderSecretArn: {
        value: headerSecret.secret.secretArn,
        description: 'Shared header value {"current", "previous"}',
      },
      ...database.outputs,
      WebAclArn: { value: guard.webAcl.attrArn, description: 'WAF WebACL on the load balancer' },
      AlarmTopicArn: { value: alarms.topic.topicArn, description: 'Subscribe to receive alarms' },
      DashboardName: {
        value: this.dashboard.dashboard.dashboardName,
        description: 'CloudWatch dashboard of the whole pipeline',
      },
      ClusterName: { value: cluster.clusterName, description: 'ECS cluster of api and consumer' },
      ApiServiceName: { value: api.service.serviceName, description: 'ECS service of the API' },
    };
    for (const [outputId, output] of Object.entries(outputs)) {
      new CfnOutput(this, outputId, output);
    }
  }
}

/** The props that were given: an explicit `undefined` must not hide a default. */
function withoutUndefined(props: CognitoUserSyncProps): Partial<CognitoUserSyncOptions> {
  return Object.fromEntries(
    Object.entries(props).filter(([key, value]) => value !== undefined && key !== 'sourceRoot'),
  ) as Partial<CognitoUserSyncOptions>;
}
