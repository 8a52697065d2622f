import { Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';

/**
 * Acknowledges the one wildcard a Fargate execution role needs: `ecr:GetAuthorizationToken`
 * has no resource-level permissions. The image pull itself is scoped to the asset repository.
 */
export function acknowledgeImagePullWildcard(taskDefinition: ecs.TaskDefinition): void {
  const executionRole = taskDefinition.executionRole;
  if (executionRole === undefined) return;
  Validations.of(executionRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken supports no resource-level permissions, so it is granted on *; ' +
      'the image layer actions are limited to the CDK asset repository.',
  });
}
