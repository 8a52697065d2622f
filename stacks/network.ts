import { Fn, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { SyncNetwork } from './network-source';
import type { StackOutputs } from './stack-outputs';

export interface NetworkProps {
  /** NAT Gateways (one per AZ at most), each with an Elastic IP allocated here. */
  readonly natGateways: number;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * VPC over two AZs: public subnets (ALB, NAT), private subnets with egress (Fargate tasks, the
 * producer Lambda) and isolated subnets (database). Egress leaves through NAT Gateways whose
 * Elastic IPs are allocated here, so their addresses are known to the stack and can be put in
 * the WAF allow-list: they are the only sources allowed to register users.
 */
export class Network extends Construct implements SyncNetwork {
  readonly vpc: ec2.Vpc;
  /** One Elastic IP per NAT Gateway: the public source addresses of producer and consumer. */
  readonly natElasticIps: readonly ec2.CfnEIP[];
  /** Their addresses (tokens, known once deployed). */
  readonly natEgressIps: readonly string[];
  readonly databaseSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly outputs: StackOutputs;
  /** SQS interface endpoint: the producer's fallback must reach SQS when the NAT path is down. */
  readonly sqsEndpoint: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    this.natElasticIps = Array.from({ length: props.natGateways }, (_, index) => {
      const eip = new ec2.CfnEIP(this, `NatEip${index + 1}`, { domain: 'vpc' });
      Tags.of(eip).add('Name', `nat-egress-${index + 1}`);
      return eip;
    });
    this.natEgressIps = this.natElasticIps.map((eip) => eip.attrPublicIp);
    this.outputs = {
      NatEgressIps: {
        value: Fn.join(',', [...this.natEgressIps]),
        description: 'Public source addresses of the producer and consumer (the WAF allow-list)',
      },
    };

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      natGatewayProvider: ec2.NatProvider.gateway({
        eipAllocationIds: this.natElasticIps.map((eip) => eip.attrAllocationId),
      }),
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.sqsEndpoint = this.vpc.addInterfaceEndpoint('SqsEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.SQS,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      privateDnsEnabled: true,
      // Closed by default: only the queue's clients are let in (allowSqsFrom).
      open: false,
    });
  }

  /** Lets `client` reach the SQS interface endpoint (HTTPS). */
  allowSqsFrom(client: ec2.IConnectable, description: string): void {
    this.sqsEndpoint.connections.allowDefaultPortFrom(client, description);
  }
}
