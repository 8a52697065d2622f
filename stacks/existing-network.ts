import { Annotations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { AdoptedNetwork, SyncNetwork } from './network-source';
import type { StackOutputs } from './stack-outputs';

/**
 * The team's VPC, imported from its IDs (no lookup: synth stays offline). Nothing of the VPC is
 * created or changed: no subnets, NAT gateways or flow logs (the team's VPC has its own). Only
 * an SQS interface endpoint is added, if the team says the VPC has none, and, when the team
 * names its existing endpoint's security group, HTTPS from the producer and the consumer to it.
 */
export class ExistingNetwork extends Construct implements SyncNetwork {
  readonly vpc: ec2.IVpc;
  readonly natEgressIps: readonly string[];
  readonly databaseSubnets: ec2.SubnetSelection;
  readonly outputs: StackOutputs;
  /** Created only when the VPC has no SQS endpoint of its own. */
  readonly sqsEndpoint: ec2.InterfaceVpcEndpoint | undefined;
  private readonly sqsEndpointConnections: ec2.Connections | undefined;

  constructor(scope: Construct, id: string, props: AdoptedNetwork) {
    super(scope, id);

    // Each subnet list holds one subnet per AZ in the order of availabilityZones, which is how
    // fromVpcAttributes pairs subnets with AZs (settings.ts checks the lengths).
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: props.vpcId,
      availabilityZones: [...props.availabilityZones],
      publicSubnetIds: [...props.publicSubnetIds],
      privateSubnetIds: [...props.privateSubnetIds],
      ...(props.isolatedSubnetIds === undefined
        ? {}
        : { isolatedSubnetIds: [...props.isolatedSubnetIds] }),
    });
    Annotations.of(this.vpc).acknowledgeWarning(
      '@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'Nothing in the stack adds routes: no gateway endpoints, no NAT; route tables stay the team’s.',
    );

    this.natEgressIps = [...props.natEgressIps];
    this.databaseSubnets =
      props.isolatedSubnetIds === undefined
        ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
        : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.outputs = {
      NatEgressIps: {
        value: this.natEgressIps.join(','),
        description:
          'Public source addresses of the producer and consumer (the WAF allow-list), as given',
      },
    };

    if (props.hasSqsEndpoint) {
      this.sqsEndpoint = undefined;
      this.sqsEndpointConnections =
        props.sqsEndpointSecurityGroupId === undefined
          ? undefined
          : new ec2.Connections({
              securityGroups: [
                ec2.SecurityGroup.fromSecurityGroupId(
                  this,
                  'SqsEndpointSecurityGroup',
                  props.sqsEndpointSecurityGroupId,
                  // Only ingress rules are added to the team's group; its egress stays theirs.
                  { allowAllOutbound: true },
                ),
              ],
              defaultPort: ec2.Port.tcp(443),
            });
    } else {
      this.sqsEndpoint = this.vpc.addInterfaceEndpoint('SqsEndpoint', {
        service: ec2.InterfaceVpcEndpointAwsService.SQS,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        privateDnsEnabled: true,
        open: false,
      });
      this.sqsEndpointConnections = this.sqsEndpoint.connections;
    }
  }

  allowSqsFrom(client: ec2.IConnectable, description: string): void {
    this.sqsEndpointConnections?.allowDefaultPortFrom(client, description);
  }
}
