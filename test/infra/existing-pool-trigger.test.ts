import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  ExistingPoolTrigger,
  type ExistingPoolTriggerProps,
} from '../../stacks/existing-pool-trigger';
import { acknowledgementsOf, nagFindingsOf } from './nag-findings';

const SOURCE_ROOT = path.resolve(__dirname, '../..');
const POOL_ID = 'eu-west-1_TeamPool42';
const PRODUCER_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:CognitoUserSync-dev-Producer';
const SMS_ROLE_ARN = 'arn:aws:iam::111122223333:role/team-cognito-sns';

interface Options extends Partial<
  Pick<ExistingPoolTriggerProps, 'replaceExistingTrigger' | 'smsRoleArns'>
> {
  /** Bundle the handler with esbuild, as `cdk synth` does (slower). */
  bundle?: boolean;
}

/** The construct alone in a bare stack, as the stacks will use it. */
function synthesize(options: Options = {}) {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-pool-trigger-')),
    context: options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'PoolTriggerTest', { env: { region: 'eu-west-1' } });
  const userPool = cognito.UserPool.fromUserPoolId(stack, 'TeamPool', POOL_ID);
  const trigger = lambda.Function.fromFunctionAttributes(stack, 'Producer', {
    functionArn: PRODUCER_ARN,
    sameEnvironment: true,
  });
  const construct = new ExistingPoolTrigger(stack, 'ExistingPoolTrigger', {
    sourceRoot: SOURCE_ROOT,
    userPool,
    trigger,
    replaceExistingTrigger: options.replaceExistingTrigger ?? false,
    ...(options.smsRoleArns === undefined ? {} : { smsRoleArns: options.smsRoleArns }),
  });
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    construct,
    template,
    poolArn: stack.resolve(userPool.userPoolArn) as unknown,
    logicalId: (element: lambda.CfnPermission | lambda.CfnFunction) => stack.getLogicalId(element),
  };
}

type PolicyStatement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every statement of the policies attached to the onEvent handler's role. */
function onEventStatements(synthesized: ReturnType<typeof synthesize>): PolicyStatement[] {
  const role = synthesized.construct.function.role;
  if (role === undefined) throw new Error('the onEvent handler has no role');
  const policies = synthesized.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [synthesized.stack.resolve(role.roleName)] },
  });
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

describe('the existing-pool trigger construct', () => {
  const synthesized = synthesize();

  test('Cognito may invoke the trigger for that pool of this account only', () => {
    synthesized.template.resourceCountIs('AWS::Lambda::Permission', 1);
    synthesized.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: PRODUCER_ARN,
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: synthesized.poolArn,
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  test('the handler may read and write that one pool’s configuration and nothing else of Cognito’s', () => {
    const statements = onEventStatements(synthesized);
    const cognitoStatements = statements.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('cognito-idp:')),
    );

    expect(cognitoStatements).toStrictEqual([
      {
        Effect: 'Allow',
        Action: [
          'cognito-idp:DescribeUserPool',
          'cognito-idp:UpdateUserPool',
          'cognito-idp:GetUserPoolMfaConfig',
          'cognito-idp:SetUserPoolMfaConfig',
        ],
        Resource: synthesized.poolArn,
      },
    ]);
    expect(
      statements.filter((statement) => JSON.stringify(statement.Resource).includes('"*"')),
    ).toStrictEqual([]);
    expect(statements.flatMap((statement) => [statement.Action].flat())).not.toContain(
      'iam:PassRole',
    );
  });

  test('the custom resource carries the pool, the trigger and the replace setting, and comes after the permission', () => {
    const permissionId = synthesized.logicalId(synthesized.construct.invokePermission);

    synthesized.template.hasResource('Custom::ExistingPoolTrigger', {
      Properties: {
        ServiceToken: Match.anyValue(),
        UserPoolId: POOL_ID,
        TriggerFunctionArn: PRODUCER_ARN,
        ReplaceExistingTrigger: false,
        SmsRoleArns: [],
      },
      DependsOn: Match.arrayWith([permissionId]),
      DeletionPolicy: 'Delete',
    });
  });

  test('the handler runs on Node 24', () => {
    const functionId = synthesized.logicalId(
      synthesized.construct.function.node.defaultChild as lambda.CfnFunction,
    );
    expect(synthesized.template.toJSON().Resources[functionId].Properties.Runtime).toBe(
      'nodejs24.x',
    );
  });

  test('when replacing is allowed, then the custom resource says so', () => {
    synthesize({ replaceExistingTrigger: true }).template.hasResourceProperties(
      'Custom::ExistingPoolTrigger',
      { ReplaceExistingTrigger: true },
    );
  });

  test('when the pool sends SMS through a role, then the handler may pass exactly that role, to Cognito only', () => {
    const withSms = synthesize({ smsRoleArns: [SMS_ROLE_ARN] });

    expect(
      onEventStatements(withSms).filter((statement) => statement.Action === 'iam:PassRole'),
    ).toStrictEqual([
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: SMS_ROLE_ARN,
        Condition: { StringEquals: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' } },
      },
    ]);
    withSms.template.hasResourceProperties('Custom::ExistingPoolTrigger', {
      SmsRoleArns: [SMS_ROLE_ARN],
    });
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged, and each acknowledgement gives a reason', () => {
    const { app, construct } = synthesize({ smsRoleArns: [SMS_ROLE_ARN] });

    const findings = nagFindingsOf(app);

    expect(findings).toStrictEqual([]);
    const reasons = acknowledgementsOf(construct).map((acknowledgement) => acknowledgement.reason);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length).toBeGreaterThanOrEqual(80);
  });

  test('when bundled as `cdk synth` bundles it, then the local esbuild puts the Cognito SDK into the asset', () => {
    const { app, stack } = synthesize({ bundle: true });
    app.synth();
    // The stack's asset manifest names each staged asset directory; the handler's is the only
    // one here with code in it.
    const manifest = JSON.parse(
      fs.readFileSync(path.join(app.outdir, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as { files: Record<string, { source: { path: string; packaging?: string } }> };
    const [assetDirectory] = Object.values(manifest.files)
      .filter((file) => file.source.packaging === 'zip')
      .map((file) => path.join(app.outdir, file.source.path));

    const code = fs.readFileSync(path.join(assetDirectory ?? '', 'index.js'), 'utf8');
    // Booleans, not the code itself, in case of failure: the bundle is 650 KB.
    expect(code.includes('UpdateUserPoolRequest')).toBe(true);
    // The only SDK require left is the optional CRT signer (SigV4a), which Cognito never uses.
    expect(/require\("(@aws-sdk\/client-|@aws-sdk\/core|@smithy\/)/.test(code)).toBe(false);
  });
});
