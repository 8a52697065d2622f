import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createCognitoClient } from './cognito-client';
import { createPoolTriggerAttachment, type PoolTriggerResponse } from './pool-trigger-attachment';

const logger = new Logger({ serviceName: 'pool-trigger' });
// Client once per container, outside the handler. The function has no settings of its own: the
// region is the Lambda's, everything else arrives with the event.
const attachment = createPoolTriggerAttachment({
  cognito: createCognitoClient(),
  log: (message, details) => logger.info(message, details ?? {}),
});

/** The custom resource provider's onEvent entry point. */
export async function handler(
  event: CloudFormationCustomResourceEvent,
): Promise<PoolTriggerResponse> {
  logger.appendKeys({
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
  });
  return attachment.onEvent(event);
}
