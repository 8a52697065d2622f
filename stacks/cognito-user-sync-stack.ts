import { Aspects, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct, IConstruct } from 'constructs';
import { CognitoUserSync } from './cognito-user-sync';
import type { DeploymentSettings } from './settings';

/** The construct's ID in the app's stack; CDK leaves a `Default` out of logical IDs. */
const SYNC_ID = 'Default';

export interface CognitoUserSyncStackProps extends StackProps {
  readonly settings: DeploymentSettings;
  /** Repository root: Docker build context of the images and project root of the Lambda. */
  readonly sourceRoot: string;
}

/**
 * The app's stack: the CognitoUserSync construct alone, built from the deployment settings.
 * Another CDK app places the construct in a stack of its own instead (see examples/).
 *
 * The resources were the stack's direct children before the system became one construct. Its
 * ID, `Default`, keeps their logical IDs, so a deployed stack updates in place. Only their
 * construct paths gain `/Default`: `Name` tags follow (an in-place update), and so would the
 * descriptions of the security groups CDK describes by path, which CloudFormation cannot
 * change without replacing the group (and every task and function attached to it); those keep
 * the path they were created with.
 */
export class CognitoUserSyncStack extends Stack {
  readonly sync: CognitoUserSync;

  constructor(scope: Construct, id: string, props: CognitoUserSyncStackProps) {
    super(scope, id, props);
    const { stage: _stage, region: _region, ...options } = props.settings;
    this.sync = new CognitoUserSync(this, SYNC_ID, { ...options, sourceRoot: props.sourceRoot });

    const movedPrefix = `${this.node.path}/${SYNC_ID}/`;
    const formerPrefix = `${this.node.path}/`;
    Aspects.of(this).add({
      visit(node: IConstruct): void {
        if (node instanceof ec2.CfnSecurityGroup && node.groupDescription.startsWith(movedPrefix)) {
          node.groupDescription = formerPrefix + node.groupDescription.slice(movedPrefix.length);
        }
      },
    });
  }
}
