import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeImagePullWildcard } from './image-pull';
import { SERVICE_RUNTIME_PLATFORM, serviceImage } from './service-image';

/**
 * Time ECS gives the consumer between SIGTERM and SIGKILL (Fargate allows 120 s at most). It must
 * cover the longest receive wait (20 s) plus the drain (`STOP_TIMEOUT_MS`).
 */
export const CONSUMER_STOP_TIMEOUT = Duration.seconds(60);
/** How long the consumer lets in-flight deliveries finish after SIGTERM. */
export const CONSUMER_DRAIN_TIMEOUT_MS = 30_000;
/** Loopback port of the consumer's liveness endpoint (`HEALTH_PORT`). */
export const CONSUMER_HEALTH_PORT = 8081;

export interface ConsumerServiceProps {
  /** Repository root: the Docker build context (the Dockerfile's `consumer` target). */
  readonly sourceRoot: string;
  readonly cluster: ecs.ICluster;
  readonly registrationQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly apiUrl: string;
  readonly headerSecret: secretsmanager.ISecret;
  readonly authHeaderName: string;
  /** Tasks kept with an empty queue; 0 saves the task's cost at the price of a slower first retry. */
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly logLevel: string;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The queue worker on Fargate: retries queued registrations against the API with backoff and
 * dead-letters the ones that can never succeed. It runs in the private subnets, so its calls to
 * the API leave through the NAT Elastic IPs the WAF guard allows. Scaled on queue depth only:
 * CPU-based scaling would fight the queue-depth policy (and scale in tasks mid-batch).
 */
export class ConsumerService extends Construct {
  readonly service: ecs.FargateService;

  constructor(scope: Construct, id: string, props: ConsumerServiceProps) {
    super(scope, id);

    const image = serviceImage(this, 'Image', {
      sourceRoot: props.sourceRoot,
      target: 'consumer',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: SERVICE_RUNTIME_PLATFORM,
    });
    taskDefinition.addContainer('consumer', {
      image,
      essential: true,
      environment: {
        QUEUE_URL: props.registrationQueue.queueUrl,
        DLQ_URL: props.deadLetterQueue.queueUrl,
        API_URL: props.apiUrl,
        AUTH_HEADER_NAME: props.authHeaderName,
        AUTH_SECRET_ARN: props.headerSecret.secretArn,
        STOP_TIMEOUT_MS: String(CONSUMER_DRAIN_TIMEOUT_MS),
        HEALTH_PORT: String(CONSUMER_HEALTH_PORT),
        LOG_LEVEL: props.logLevel,
      },
      // The event loop answers on loopback; ECS replaces a task that stops answering. An API
      // outage leaves it healthy (it pauses receiving instead).
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${CONSUMER_HEALTH_PORT}/healthz').then(` +
            '(r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))',
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'consumer' }),
      readonlyRootFilesystem: true,
      stopTimeout: CONSUMER_STOP_TIMEOUT,
    });

    props.registrationQueue.grantConsumeMessages(taskDefinition.taskRole);
    // Permanent failures (400, 413, 415) are moved to the DLQ by the consumer itself, with the reason.
    props.deadLetterQueue.grantSendMessages(taskDefinition.taskRole);
    props.headerSecret.grantRead(taskDefinition.taskRole);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
    });

    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
    });
    scaling.scaleOnMetric('QueueDepth', {
      metric: props.registrationQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
      }),
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      // Visible messages only: messages waiting out their backoff are invisible, and adding
      // tasks would not make them due any sooner.
      scalingSteps: [
        { upper: 0, change: -1 },
        { lower: 1, change: +1 },
        { lower: 100, change: +2 },
        { lower: 1000, change: +4 },
      ],
      cooldown: Duration.minutes(2),
    });

    acknowledgeImagePullWildcard(taskDefinition);
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only non-secret settings (queue URLs, API URL, header name, ' +
        'secret ARN, timeouts, log level); the header value is read from Secrets Manager at run ' +
        'time.',
    });
  }
}
