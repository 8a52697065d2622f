import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ExistingNetwork } from './existing-network';
import { Network } from './network';
import type { StackOutputs } from './stack-outputs';

/**
 * Where the system's network comes from:
 * - `create`: a VPC of its own, with NAT Gateways whose Elastic IPs are allocated in the stack;
 * - `adopt`: the team's VPC, given by IDs (synth looks nothing up). Its NAT addresses are given
 *   too, since they feed the WAF allow-list and the API's own address check.
 */
export type NetworkSource =
  | { readonly kind: 'create'; readonly natGateways: number }
  | ({ readonly kind: 'adopt' } & AdoptedNetwork);

export interface AdoptedNetwork {
  readonly vpcId: string;
  /** The AZs the subnets below lie in: each subnet list holds one subnet per AZ, in this order. */
  readonly availabilityZones: readonly string[];
  /** Subnets routed to an internet gateway: the internet-facing load balancer's. */
  readonly publicSubnetIds: readonly string[];
  /** Subnets whose egress leaves through the NAT addresses below: tasks and Lambda functions. */
  readonly privateSubnetIds: readonly string[];
  /**
   * Subnets with no route out, for a database this stack creates in the adopted VPC. Without
   * them, a created database goes into the private subnets.
   */
  readonly isolatedSubnetIds?: readonly string[];
  /** Public IPv4 addresses the private subnets' egress leaves from (the NAT gateways' EIPs). */
  readonly natEgressIps: readonly string[];
  /**
   * The VPC already has an SQS interface endpoint with private DNS; none is created. False: one
   * is created for the producer's fallback, which must reach SQS when the NAT path is down.
   */
  readonly hasSqsEndpoint: boolean;
  /**
   * The security group of that existing endpoint: HTTPS from the producer and the consumer is
   * added to it. Unset: the endpoint must already admit HTTPS from the private subnets.
   */
  readonly sqsEndpointSecurityGroupId?: string;
}

/** What the rest of the system sees of the network, whichever its source. */
export interface SyncNetwork {
  readonly vpc: ec2.IVpc;
  /**
   * Public source addresses of everything in the private subnets (producer, consumer): the WAF
   * allow-list and the API's `ALLOWED_SOURCE_IPS`. Tokens when the stack allocates them.
   */
  readonly natEgressIps: readonly string[];
  /** Where a database created by the stack is placed. */
  readonly databaseSubnets: ec2.SubnetSelection;
  /** Stack outputs this part contributes, by output ID. */
  readonly outputs: StackOutputs;
  /** Lets `client` reach the SQS interface endpoint (HTTPS). */
  allowSqsFrom(client: ec2.IConnectable, description: string): void;
}

/** Builds the network `source` says, as construct `id` of `scope`. */
export function networkFrom(
  scope: Construct,
  id: string,
  source: NetworkSource,
  options: { readonly removalPolicy?: RemovalPolicy },
): SyncNetwork {
  if (source.kind === 'create') {
    return new Network(scope, id, { natGateways: source.natGateways, ...options });
  }
  return new ExistingNetwork(scope, id, source);
}
