/**
 * Resource types that cost nothing by themselves, with the reason. What they lead to is priced
 * where it is billed: a policy's secret under Secrets Manager, a flow log under log ingestion.
 * A type neither priced by a rule nor listed here is reported as not priced.
 */
export const FREE_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'IAM is free',
  'AWS::IAM::Policy': 'IAM is free',
  'AWS::IAM::ManagedPolicy': 'IAM is free',
  'AWS::EC2::VPC': 'no charge for the VPC itself',
  'AWS::EC2::Subnet': 'no charge',
  'AWS::EC2::RouteTable': 'no charge',
  'AWS::EC2::Route': 'no charge',
  'AWS::EC2::SubnetRouteTableAssociation': 'no charge',
  'AWS::EC2::InternetGateway': 'no charge; data out to the internet is usage',
  'AWS::EC2::VPCGatewayAttachment': 'no charge',
  'AWS::EC2::SecurityGroup': 'no charge',
  'AWS::EC2::SecurityGroupIngress': 'no charge',
  'AWS::EC2::SecurityGroupEgress': 'no charge',
  'AWS::ElasticLoadBalancingV2::Listener': 'part of the load balancer',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'part of the load balancer',
  'AWS::ElasticLoadBalancingV2::ListenerRule': 'part of the load balancer',
  'AWS::Lambda::Permission': 'no charge',
  'AWS::Lambda::Version': 'no charge',
  'AWS::Lambda::Alias': 'no charge',
  'AWS::Lambda::EventInvokeConfig': 'how a function retries asynchronous calls; no charge',
  'AWS::RDS::DBSubnetGroup': 'no charge',
  'AWS::RDS::DBParameterGroup': 'no charge',
  'AWS::SQS::QueuePolicy': 'no charge',
  'AWS::SNS::TopicPolicy': 'no charge',
  'AWS::SNS::Subscription': 'e-mail deliveries are usage (a few alarms a month)',
  'AWS::S3::BucketPolicy': 'no charge',
  'AWS::SecretsManager::ResourcePolicy': 'no charge',
  'AWS::SecretsManager::RotationSchedule': 'the rotation function is priced under Lambda',
  'AWS::SecretsManager::SecretTargetAttachment': 'no charge',
  'AWS::WAFv2::IPSet': 'no charge for IP sets',
  'AWS::WAFv2::WebACLAssociation': 'no charge',
  'AWS::Cognito::UserPoolClient': 'no charge',
  'AWS::CertificateManager::Certificate': 'public ACM certificates are free',
  'AWS::Route53::RecordSet':
    'records are free and alias queries to a load balancer are free; the hosted zone is not created here',
  'AWS::CDK::Metadata': 'template metadata',
};

/** Custom resources run a Lambda function at deploy time (priced under Lambda), nothing at idle. */
export function freeReason(type: string): string | undefined {
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
    return 'a custom resource: a Lambda call at deploy time';
  }
  return FREE_RESOURCE_TYPES[type];
}
