import path from 'node:path';
import { App, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { CognitoUserSync } from '../../stacks/cognito-user-sync';
import { EXAMPLE_ESTATE } from './estate';

/** The repository root: the construct builds its images and functions from it. */
const SOURCE_ROOT = path.resolve(__dirname, '..', '..');

/**
 * A stack of another CDK app that holds the user sync beside whatever else it has, with all
 * three large parts adopted from the team's estate: nothing of the pool, the VPC or the
 * database is created, only what the sync itself runs (API, consumer, producer, queue, WAF,
 * reconciler, alarms). Every other option keeps the construct's defaults (SYNC_DEFAULTS).
 */
export class TeamEstateStack extends Stack {
  readonly userSync: CognitoUserSync;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { ...props, env: { region: EXAMPLE_ESTATE.region } });
    const estate = EXAMPLE_ESTATE;
    this.userSync = new CognitoUserSync(this, 'UserSync', {
      sourceRoot: SOURCE_ROOT,
      tls: {
        kind: 'certificate',
        certificateArn: estate.certificateArn,
        apiDomainName: estate.apiDomainName,
      },
      userPool: {
        kind: 'adopt',
        userPoolId: estate.userPoolId,
        replaceExistingTrigger: false,
        smsRoleArns: [],
      },
      network: {
        kind: 'adopt',
        vpcId: estate.vpcId,
        availabilityZones: estate.availabilityZones,
        publicSubnetIds: estate.publicSubnetIds,
        privateSubnetIds: estate.privateSubnetIds,
        natEgressIps: estate.natEgressIps,
        hasSqsEndpoint: false,
      },
      database: {
        kind: 'adopt',
        migrationSecretArn: estate.databaseSecretArn,
        securityGroupId: estate.databaseSecurityGroupId,
        port: 5432,
      },
    });
  }
}

/** The example app: the stack, gated by cdk-nag as the project's own app is. */
export function createTeamEstateApp(app: App = new App()): { app: App; stack: TeamEstateStack } {
  const stack = new TeamEstateStack(app, 'TeamEstate');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (require.main === module) {
  createTeamEstateApp().app.synth();
}
