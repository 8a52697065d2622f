import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import { acknowledgeBasicExecution } from './lambda-bundling';
import { RECONCILER_SUBNETS, type ReconcilerTask } from './reconciler-task';

/** `startedBy` of the first run's task: what it is, and for which pool (ECS allows 128 characters). */
export const firstRunStartedBy = (userPoolId: string): string => `backfill-${userPoolId}`;

export interface ReconcilerFirstRunProps {
  readonly reconciler: ReconcilerTask;
  readonly cluster: ecs.ICluster;
  readonly vpc: ec2.IVpc;
  /**
   * The pool the run backfills. It names the run, so that pointing the stack at another pool
   * runs it again; nothing else about a deploy does.
   */
  readonly userPoolId: string;
  /**
   * What must be in place before the run: the API service (its tasks have run the migrations
   * and the application role exists) and the trigger attachment (a user confirming during the
   * run is then registered by the producer; both writes are the same idempotent upsert).
   */
  readonly after: readonly IDependable[];
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Starts the reconciler task once, right after the deployment that adopts a user pool, so that
 * the users the pool held before the producer was attached (who never fired the trigger) are in
 * the table from the start instead of after the first scheduled run. A custom resource calls
 * `ecs:RunTask` on create, and on update only when the pool changes: the task definition is
 * named by family (its latest revision), so new images do not start runs.
 *
 * The run is the reconciler's ordinary one: every pool user missing from the table is
 * registered (the CreatedUsers alarm fires once for them: expected after adoption), and its
 * brake cannot hold, since rows of this pool that look gone can only be rows the table already
 * had. The deploy does not wait for the run and does not fail when ECS cannot place the task:
 * the schedule's next run does the same work.
 */
export class ReconcilerFirstRun extends Construct {
  readonly resource: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: ReconcilerFirstRunProps) {
    super(scope, id);
    const { taskDefinition, securityGroup } = props.reconciler;
    const stack = Stack.of(this);

    const runTask: cr.AwsSdkCall = {
      service: 'ECS',
      action: 'RunTask',
      parameters: {
        cluster: props.cluster.clusterArn,
        taskDefinition: taskDefinition.family,
        launchType: 'FARGATE',
        count: 1,
        startedBy: firstRunStartedBy(props.userPoolId),
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: props.vpc.selectSubnets(RECONCILER_SUBNETS).subnetIds,
            securityGroups: [securityGroup.securityGroupId],
            assignPublicIp: 'DISABLED',
          },
        },
      },
      physicalResourceId: cr.PhysicalResourceId.of(firstRunStartedBy(props.userPoolId)),
    };

    const taskDefinitionRevisions = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${taskDefinition.family}:*`,
    });
    const passedRoles = [taskDefinition.taskRole, taskDefinition.executionRole].filter(
      (role): role is iam.IRole => role !== undefined,
    );
    this.resource = new cr.AwsCustomResource(this, 'RunTask', {
      resourceType: 'Custom::ReconcilerFirstRun',
      onCreate: runTask,
      onUpdate: runTask,
      installLatestAwsSdk: false,
      timeout: Duration.minutes(2),
      logGroup: new logs.LogGroup(this, 'Logs', {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      }),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['ecs:RunTask'],
          resources: [taskDefinitionRevisions],
          conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
        }),
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: passedRoles.map((role) => role.roleArn),
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
      ]),
    });
    // RunTask by family takes the latest revision: the one this deployment registers.
    const revision = taskDefinition.node.defaultChild;
    this.resource.node.addDependency(...(revision === undefined ? [] : [revision]), ...props.after);

    acknowledgeFindings(this.resource, nagText(stack.resolve(taskDefinitionRevisions)));
  }
}

/** A resolved ARN as cdk-nag writes it in a finding: `Ref`s as `<name>`, joins flattened. */
function nagText(resolved: unknown): string {
  const part = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    return typeof ref === 'string' ? `<${ref}>` : JSON.stringify(value);
  };
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  return join === undefined ? part(resolved) : join[1].map(part).join(join[0]);
}

function acknowledgeFindings(resource: cr.AwsCustomResource, revisionsArn: string): void {
  Validations.of(resource).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${revisionsArn}]`,
    reason:
      'RunTask names the reconciler task definition by family, so that a new revision (a new ' +
      'image) starts no run; the wildcard covers the revisions of that one family, and the ' +
      'ecs:cluster condition limits it to this cluster.',
  });
  // The function every AwsCustomResource of a stack shares: its code and role are aws-cdk-lib's.
  const provider: IConstruct | undefined = Stack.of(resource).node.tryFindChild(
    `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
  );
  if (provider === undefined) return;
  acknowledgeBasicExecution(provider);
}
