import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CognitoUserSyncStack } from './cognito-user-sync-stack';
import { readDeploymentSettings } from './settings';

/** Repository root: where package.json, the Dockerfile (its context) and the Lambda entry live. */
export const SOURCE_ROOT = path.resolve(__dirname, '..');

export interface CognitoUserSyncApp {
  readonly app: App;
  readonly stack: CognitoUserSyncStack;
}

export interface CreateAppOptions {
  /** @default a new App reading cdk.json's context */
  readonly app?: App;
  /**
   * Register the cdk-nag AwsSolutions pack as a validation plugin. Tests that only assert on the
   * template switch it off and read the findings with `validateScope` instead. @default true
   */
  readonly nagChecks?: boolean;
}

/**
 * Builds the app: settings from context, the stack in a region-only environment (an account
 * would make CDK look up AZs, which needs credentials), and the cdk-nag AwsSolutions pack as a
 * validation plugin, so synthesis fails on any finding that is not acknowledged with a reason.
 */
export function createCognitoUserSyncApp(options: CreateAppOptions = {}): CognitoUserSyncApp {
  const app = options.app ?? new App();
  const settings = readDeploymentSettings(app.node);
  const stack = new CognitoUserSyncStack(app, `CognitoUserSync-${settings.stage}`, {
    env: { region: settings.region },
    description: `Cognito sign-ups copied into the application database (${settings.stage})`,
    settings,
    sourceRoot: SOURCE_ROOT,
  });
  if (options.nagChecks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (require.main === module) {
  createCognitoUserSyncApp().app.synth();
}
