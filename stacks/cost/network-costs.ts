import { resourcesOf } from './cfn-template';
import {
  counted,
  idleLine,
  usageLine,
  type CostRule,
  type CostLine,
  type NotPriced,
} from './cost-line';

/** `com.amazonaws.eu-west-1.sqs`, or a join whose literal parts end in `.sqs` → `sqs`. */
function endpointServiceName(serviceName: unknown): string {
  const join = (serviceName as { 'Fn::Join'?: unknown } | null)?.['Fn::Join'];
  const text =
    typeof serviceName === 'string'
      ? serviceName
      : Array.isArray(join) && Array.isArray(join[1])
        ? join[1].filter((part): part is string => typeof part === 'string').join('')
        : '';
  return text.split('.').pop() || 'endpoint';
}

/**
 * NAT gateways by the hour, the Elastic IPs (every public IPv4 address is billed by the hour,
 * attached or not) and interface endpoints by the hour in each AZ (subnet) they are placed in.
 * Gateway endpoints (S3, DynamoDB) cost nothing.
 */
export const networkCosts: CostRule = {
  types: ['AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::VPCEndpoint'],
  price(template, prices) {
    const hours = prices.hoursPerMonth;
    const lines: CostLine[] = [];
    const notPriced: NotPriced[] = [];

    const natGateways = resourcesOf(template, 'AWS::EC2::NatGateway');
    if (natGateways.length > 0) {
      const ids = natGateways.map((nat) => nat.logicalId);
      lines.push(
        idleLine(
          counted(natGateways.length, 'NAT gateway'),
          natGateways.length * hours,
          prices.prices.natGatewayHour,
          ids,
        ),
        usageLine('NAT gateway data processed', prices.prices.natGatewayDataGb, ids),
      );
    }

    const elasticIps = resourcesOf(template, 'AWS::EC2::EIP');
    if (elasticIps.length > 0) {
      lines.push(
        idleLine(
          `Public IPv4: ${counted(elasticIps.length, 'Elastic IP')}`,
          elasticIps.length * hours,
          prices.prices.publicIpv4Hour,
          elasticIps.map((eip) => eip.logicalId),
        ),
      );
    }

    for (const endpoint of resourcesOf(template, 'AWS::EC2::VPCEndpoint')) {
      const kind = endpoint.properties['VpcEndpointType'] ?? 'Gateway';
      if (kind === 'Gateway') continue;
      const subnets = endpoint.properties['SubnetIds'];
      if (kind !== 'Interface' || !Array.isArray(subnets)) {
        notPriced.push({
          type: endpoint.type,
          count: 1,
          reason: `${endpoint.logicalId}: a ${String(kind)} endpoint or subnets the template does not list`,
        });
        continue;
      }
      const service = endpointServiceName(endpoint.properties['ServiceName']);
      lines.push(
        idleLine(
          `Interface endpoint ${service} in ${counted(subnets.length, 'AZ')}`,
          subnets.length * hours,
          prices.prices.interfaceEndpointAzHour,
          [endpoint.logicalId],
        ),
        usageLine(
          `Interface endpoint ${service} data processed`,
          prices.prices.interfaceEndpointDataGb,
          [endpoint.logicalId],
        ),
      );
    }
    return { lines, notPriced };
  },
};
