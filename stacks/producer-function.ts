import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PRODUCER_COLD_START_ALLOWANCE_MS, PRODUCER_TIMEOUT_MS } from '#contract/delivery';
import { METRICS_NAMESPACE, metricServices } from '#contract/metrics';
import { repositoryFunctionProps } from './lambda-bundling';
import { PRODUCER_BUNDLING } from './producer-bundling';

/**
 * Cognito waits 5 s (TRIGGER_TIMEOUT_MS) for the trigger, cold start included, so the function's
 * own timeout leaves room for one. The split: up to 1 s of cold start (a VPC function with a
 * small bundle), then in the 4 s the handler gets: the API attempt (at most
 * PRODUCER_API_TIMEOUT_MS), the SQS fallback (at least 1 s kept back for it) and 250 ms to log
 * and return (see producer/time-budget.ts).
 */
export const PRODUCER_TIMEOUT = Duration.millis(PRODUCER_TIMEOUT_MS);
/** The part of Cognito's wait left for a cold start (init) before the handler runs. */
export const PRODUCER_COLD_START_ALLOWANCE = Duration.millis(PRODUCER_COLD_START_ALLOWANCE_MS);
/** Share of that budget the API attempt may use, leaving time for the SQS fallback. */
export const PRODUCER_API_TIMEOUT_MS = 2000;

export interface ProducerFunctionProps {
  /** Repository root: the entry is `producer/handler.ts` under it. */
  readonly sourceRoot: string;
  readonly vpc: ec2.IVpc;
  readonly apiUrl: string;
  readonly registrationQueue: sqs.IQueue;
  readonly headerSecret: secretsmanager.ISecret;
  readonly authHeaderName: string;
  /** Concurrency reserved for the trigger. @default none: the account's unreserved pool */
  readonly reservedConcurrency?: number;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The PostConfirmation trigger: registers the confirmed user with the API, or queues the
 * registration when the API cannot take it in time. Bundled by the local esbuild (no Docker),
 * runs in the private subnets so its calls to the API leave through the NAT Elastic IPs the
 * WAF allows. It may read the header secret and send to the queue, nothing else.
 */
export class ProducerFunction extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ProducerFunctionProps) {
    super(scope, id);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'Cognito PostConfirmation trigger: registers new users with the API',
      ...repositoryFunctionProps(props.sourceRoot, PRODUCER_BUNDLING),
      memorySize: 512,
      timeout: PRODUCER_TIMEOUT,
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      logGroup,
      environment: {
        API_URL: props.apiUrl,
        QUEUE_URL: props.registrationQueue.queueUrl,
        AUTH_HEADER_NAME: props.authHeaderName,
        AUTH_SECRET_ARN: props.headerSecret.secretArn,
        API_TIMEOUT_MS: String(PRODUCER_API_TIMEOUT_MS),
        POWERTOOLS_SERVICE_NAME: metricServices.producer,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });

    props.headerSecret.grantRead(this.function);
    props.registrationQueue.grantSendMessages(this.function);

    const role = this.function.role;
    if (role !== undefined) {
      for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
          reason:
            `${policy} is the AWS-maintained minimum for a VPC Lambda (log writing, ENI ` +
            'management); it grants no data access.',
        });
      }
    }
  }
}
