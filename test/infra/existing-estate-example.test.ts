import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createTeamEstateApp, type TeamEstateStack } from '../../examples/existing-estate/app';
import { EXAMPLE_ESTATE } from '../../examples/existing-estate/estate';
import { SOURCE_ROOT } from '../../stacks/app';
import { secretReferenceProblems } from './secret-references';
import type { TemplateJson } from './synth-app';
import { referenceProblems, type CfnTemplate } from './template-references';

/**
 * The example of another CDK app placing the construct in a stack of its own, with the pool,
 * the VPC and the database adopted: it synthesizes offline behind the same cdk-nag gate, creates
 * none of the three, and its template passes the deploy preflight's reference checks.
 */
describe('examples/existing-estate: the construct in a stack of another app', () => {
  let app: App;
  let stack: TeamEstateStack;
  let template: Template;
  let json: TemplateJson;

  beforeAll(() => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(SOURCE_ROOT, 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    };
    app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-example-')),
      // The flags a new app gets from `cdk init`; no asset bundling (the template is the point).
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    });
    ({ stack } = createTeamEstateApp(app));
    // Synthesis runs the cdk-nag plugin the example registers: a finding would throw here.
    template = Template.fromStack(stack);
    json = template.toJSON() as TemplateJson;
  });

  afterAll(() => {
    fs.rmSync(app.outdir, { recursive: true, force: true });
  });

  test('when synthesized, then cdk-nag finds nothing unacknowledged', () => {
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  test('when synthesized, then no user pool, VPC, NAT gateway or database is created', () => {
    for (const type of [
      'AWS::Cognito::UserPool',
      'AWS::EC2::VPC',
      'AWS::EC2::NatGateway',
      'AWS::EC2::EIP',
      'AWS::RDS::DBInstance',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs('Custom::ExistingPoolTrigger', 1);
    template.resourceCountIs('Custom::ReconcilerFirstRun', 1);
    // The example says its VPC has no SQS endpoint: the sync brings its own.
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::WAFv2::IPSet', {
      Addresses: EXAMPLE_ESTATE.natEgressIps.map((address) => `${address}/32`),
    });
  });

  test('when synthesized, then the construct’s outputs are there under its own ID', () => {
    const outputIds = Object.keys(json.Outputs ?? {});
    for (const name of ['ApiUrl', 'UserPoolId', 'NatEgressIps', 'DatabaseAppSecretArn']) {
      expect(outputIds.some((id) => id.startsWith(`UserSync${name}`))).toBe(true);
    }
  });

  test('when synthesized, then every reference resolves, and the adopted secret is read only for keys it holds', () => {
    expect(referenceProblems(json as CfnTemplate)).toEqual([]);
    const [headerSecret] = Object.keys(json.Resources).filter(
      (id) => json.Resources[id]?.Type === 'AWS::SecretsManager::Secret' && id.includes('Header'),
    );
    const [seedTrigger] = Object.keys(json.Resources).filter(
      (id) => json.Resources[id]?.Type === 'Custom::Trigger',
    );
    if (headerSecret === undefined || seedTrigger === undefined)
      throw new Error('no header secret');
    expect(
      secretReferenceProblems(json as CfnTemplate, {
        deployTimeKeys: [{ secret: headerSecret, key: 'previous', writtenBy: seedTrigger }],
        adoptedSecrets: [
          {
            arn: EXAMPLE_ESTATE.databaseSecretArn,
            keys: ['engine', 'host', 'port', 'dbname', 'username', 'password'],
          },
        ],
      }),
    ).toEqual([]);
  });
});
