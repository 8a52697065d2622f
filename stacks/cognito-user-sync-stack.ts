import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { Alarms } from './alarms';
import { ApiService } from './api-service';
import { ConsumerService } from './consumer-service';
import { PipelineDashboard } from './dashboard';
import { Database } from './database';
import { HeaderRotation } from './header-rotation';
import { HeaderSecret } from './header-secret';
import { Network } from './network';
import { ProducerFunction } from './producer-function';
import { ReconcilerTask } from './reconciler-task';
import { RegistrationQueue } from './registration-queue';
import type { DeploymentSettings } from './settings';
import { UserPool } from './user-pool';
import { WAF_RULE_NAMES, WafGuard } from './waf-guard';

export interface CognitoUserSyncStackProps extends StackProps {
  readonly settings: DeploymentSettings;
  /** Repository root: Docker build context of the images and project root of the Lambda. */
  readonly sourceRoot: string;
}

/**
 * The whole system in one stack: every part references the others (the WAF needs the NAT
 * addresses and the ALB, the producer needs the API URL and the queue), and one stack keeps
 * those references free of cross-stack exports that would pin resources in place.
 */
export class CognitoUserSyncStack extends Stack {
  constructor(scope: Construct, id: string, props: CognitoUserSyncStackProps) {
    super(scope, id, props);
    const { settings, sourceRoot } = props;
    const removalPolicy = settings.removalPolicy;

    const network = new Network(this, 'Network', {
      natGateways: settings.natGateways,
      removalPolicy,
    });
    const headerSecret = new HeaderSecret(this, 'HeaderSecret', { removalPolicy });
    const registrationQueue = new RegistrationQueue(this, 'RegistrationQueue', { removalPolicy });
    const database = new Database(this, 'Database', {
      vpc: network.vpc,
      multiAz: settings.databaseMultiAz,
      deletionProtection: settings.deletionProtection,
      removalPolicy,
    });

    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const api = new ApiService(this, 'Api', {
      sourceRoot,
      vpc: network.vpc,
      cluster,
      desiredCount: settings.apiDesiredCount,
      headerSecret: headerSecret.secret,
      authHeaderName: settings.authHeaderName,
      databaseMasterCredentials: database.credentials,
      databaseAppCredentials: database.appCredentials,
      tls: settings.tls,
      deletionProtection: settings.deletionProtection,
      logLevel: settings.logLevel,
      removalPolicy,
    });
    // The API tasks also run the migrations: they are the only clients of the database.
    database.allowFrom(api.service, 'API tasks (and their migrate container)');

    const consumer = new ConsumerService(this, 'Consumer', {
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

    const producer = new ProducerFunction(this, 'Producer', {
      sourceRoot,
      vpc: network.vpc,
      apiUrl: api.apiUrl,
      registrationQueue: registrationQueue.queue,
      headerSecret: headerSecret.secret,
      authHeaderName: settings.authHeaderName,
      reservedConcurrency: settings.producerReservedConcurrency,
      removalPolicy,
    });

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

    const userPool = new UserPool(this, 'Auth', {
      postConfirmationTrigger: producer.function,
      deletionProtection: settings.deletionProtection,
      removalPolicy,
    });

    const guard = new WafGuard(this, 'WafGuard', {
      loadBalancer: api.loadBalancer,
      natElasticIps: network.natElasticIps,
      authHeaderName: settings.authHeaderName,
      acceptedHeaderValues: [
        headerSecret.dynamicReference('current'),
        headerSecret.dynamicReference('previous'),
      ],
      removalPolicy,
    });

    const headerRotation = new HeaderRotation(this, 'HeaderRotation', {
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

    const alarms = new Alarms(this, 'Alarms', {
      registrationQueue: registrationQueue.queue,
      deadLetterQueue: registrationQueue.deadLetterQueue,
      loadBalancer: api.loadBalancer,
      producer: producer.function,
      guardBlockedRequests: guard.metricGuardBlockedRequests(),
      alarmEmail: settings.alarmEmail,
    });

    const reconciler = new ReconcilerTask(this, 'Reconciler', {
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
    database.allowFrom(reconciler, 'Reconciler task');

    const dashboard = new PipelineDashboard(this, 'Dashboard', {
      registrationQueue: registrationQueue.queue,
      deadLetterQueue: registrationQueue.deadLetterQueue,
      loadBalancer: api.loadBalancer,
      producer: producer.function,
      webAclMetricName: guard.webAclMetricName,
    });

    const outputs: Record<string, { value: string; description: string }> = {
      NatEgressIps: {
        value: Fn.join(
          ',',
          network.natElasticIps.map((eip) => eip.attrPublicIp),
        ),
        description: 'Public source addresses of the producer and consumer (the WAF allow-list)',
      },
      ApiUrl: { value: api.apiUrl, description: 'Base URL producer and consumer call' },
      LoadBalancerDnsName: {
        value: api.loadBalancer.loadBalancerDnsName,
        description: 'Point the API domain name (if any) at this name',
      },
      UserPoolId: { value: userPool.userPool.userPoolId, description: 'Cognito user pool' },
      UserPoolClientId: { value: userPool.client.userPoolClientId, description: 'App client' },
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
      HeaderSecretArn: {
        value: headerSecret.secret.secretArn,
        description: 'Shared header value {"current", "previous"}',
      },
      DatabaseSecretArn: {
        value: database.credentials.secretArn,
        description: 'Database master credentials, for migrations only (rotated every 30 days)',
      },
      DatabaseAppSecretArn: {
        value: database.appCredentials.secretArn,
        description: 'Application role credentials (alternating users, rotated every 30 days)',
      },
      WebAclArn: { value: guard.webAcl.attrArn, description: 'WAF WebACL on the load balancer' },
      AlarmTopicArn: { value: alarms.topic.topicArn, description: 'Subscribe to receive alarms' },
      DashboardName: {
        value: dashboard.dashboard.dashboardName,
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
