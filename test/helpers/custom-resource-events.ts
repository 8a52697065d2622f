import { randomUUID } from 'node:crypto';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import type { PoolTriggerResourceProperties } from '../../pool-trigger/resource-properties';

const STACK_ID =
  'arn:aws:cloudformation:eu-west-1:111122223333:stack/CognitoUserSync-dev/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const SERVICE_TOKEN = 'arn:aws:lambda:eu-west-1:111122223333:function:PoolTriggerProvider';

/** The trigger attachment's properties as CloudFormation delivers them (scalars as strings). */
export function poolTriggerProperties(
  properties: {
    UserPoolId: string;
    TriggerFunctionArn: string;
  } & Partial<PoolTriggerResourceProperties>,
): { ServiceToken: string } & PoolTriggerResourceProperties {
  return {
    ServiceToken: SERVICE_TOKEN,
    ReplaceExistingTrigger: 'false',
    SmsRoleArns: [],
    ...properties,
  };
}

const common = () => ({
  ServiceToken: SERVICE_TOKEN,
  ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x',
  StackId: STACK_ID,
  RequestId: randomUUID(),
  LogicalResourceId: 'ExistingPoolTrigger',
  ResourceType: 'Custom::ExistingPoolTrigger',
});

type Properties = ReturnType<typeof poolTriggerProperties>;

export const createEvent = (properties: Properties): CloudFormationCustomResourceCreateEvent => ({
  ...common(),
  RequestType: 'Create',
  ResourceProperties: properties,
});

export const updateEvent = (
  physicalResourceId: string,
  properties: Properties,
  oldProperties: Properties,
): CloudFormationCustomResourceUpdateEvent => ({
  ...common(),
  RequestType: 'Update',
  PhysicalResourceId: physicalResourceId,
  ResourceProperties: properties,
  OldResourceProperties: oldProperties,
});

export const deleteEvent = (
  physicalResourceId: string,
  properties: Properties,
): CloudFormationCustomResourceDeleteEvent => ({
  ...common(),
  RequestType: 'Delete',
  PhysicalResourceId: physicalResourceId,
  ResourceProperties: properties,
});
