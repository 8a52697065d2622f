import { containerCommandsOf, imageSourceProblems } from '../../infra/image-checks';
import {
  MAX_DYNAMIC_REFERENCES,
  plaintextSecretProblems,
  secretReferenceProblems,
} from '../../infra/secret-references';
import type { ContainerImageSource } from '../../infra/synth-app';
import { referenceProblems, type CfnTemplate } from '../../infra/template-references';

/** Small hand-written templates, each with one reference broken, so every check is seen failing. */

const bucket = { Type: 'AWS::S3::Bucket', Properties: {} };

/** A template whose every kind of reference resolves. */
function soundTemplate(): CfnTemplate {
  return {
    Parameters: { Stage: { Type: 'String' } },
    Conditions: {
      IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
      IsNotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    },
    Mappings: { Sizes: { prod: { memory: '1024' } } },
    Resources: {
      Logs: bucket,
      Queue: { Type: 'AWS::SQS::Queue', Condition: 'IsNotProd' },
      Topic: {
        Type: 'AWS::SNS::Topic',
        DependsOn: ['Logs'],
        Properties: {
          DisplayName: { 'Fn::Sub': '${AWS::StackName}-${Stage}-${!Literal}' },
          TopicName: {
            'Fn::Sub': ['${Prefix}-${Logs.Arn}-${Queue}', { Prefix: { Ref: 'AWS::Region' } }],
          },
          KmsMasterKeyId: {
            'Fn::If': ['IsProd', { 'Fn::GetAtt': 'Logs.Arn' }, { Ref: 'AWS::NoValue' }],
          },
          Size: { 'Fn::FindInMap': ['Sizes', 'prod', 'memory'] },
          Tags: [{ Key: 'queue', Value: { 'Fn::GetAtt': ['Queue', 'Arn'] } }],
        },
      },
    },
    Outputs: { TopicArn: { Value: { Ref: 'Topic' }, Condition: 'IsProd' } },
  };
}

describe('referenceProblems', () => {
  test('when every Ref, GetAtt (both forms), Sub variable, DependsOn, condition and mapping resolves, then nothing is reported', () => {
    expect(referenceProblems(soundTemplate())).toEqual([]);
  });

  test('when a Ref names nothing the template defines, then it is reported with where it is', () => {
    const template = soundTemplate();
    template.Resources.Topic!.Properties!.DisplayName = { Ref: 'Missing' };
    expect(referenceProblems(template)).toEqual([
      'Resources.Topic.Properties.DisplayName: Ref names Missing, which the template does not define',
    ]);
  });

  test('when a GetAtt names a missing resource, in the array or the string form, then both are reported', () => {
    const template = soundTemplate();
    template.Resources.Topic!.Properties!.Tags = [
      { Key: 'a', Value: { 'Fn::GetAtt': ['Gone', 'Arn'] } },
      { Key: 'b', Value: { 'Fn::GetAtt': 'Gone.Arn' } },
    ];
    expect(referenceProblems(template)).toEqual([
      'Resources.Topic.Properties.Tags[0].Value: Fn::GetAtt names resource Gone, which the template lacks',
      'Resources.Topic.Properties.Tags[1].Value: Fn::GetAtt names resource Gone, which the template lacks',
    ]);
  });

  test('when a Sub names a missing resource or attribute owner, then it is reported; ${!Literal} and the variable map are not', () => {
    const template = soundTemplate();
    template.Resources.Topic!.Properties!.TopicName = {
      'Fn::Sub': ['${Prefix}-${Missing}-${Gone.Arn}-${!NotAVariable}', { Prefix: 'p' }],
    };
    expect(referenceProblems(template)).toEqual([
      'Resources.Topic.Properties.TopicName: Fn::Sub ${Missing} names Missing, which the template does not define',
      'Resources.Topic.Properties.TopicName: Fn::Sub ${Gone.Arn} names resource Gone, which the template lacks',
    ]);
  });

  test('when DependsOn names a missing resource, then it is reported', () => {
    const template = soundTemplate();
    template.Resources.Topic!.DependsOn = ['Logs', 'Gone'];
    expect(referenceProblems(template)).toEqual([
      'Resources.Topic.DependsOn: DependsOn names resource Gone, which the template lacks',
    ]);
  });

  test('when an output names a missing resource, or imports a value, then both are reported', () => {
    const template = soundTemplate();
    template.Outputs = {
      Dangling: { Value: { 'Fn::GetAtt': ['Gone', 'Arn'] } },
      Imported: { Value: { 'Fn::ImportValue': 'OtherStack:VpcId' } },
    };
    expect(referenceProblems(template)).toEqual([
      'Outputs.Dangling.Value: Fn::GetAtt names resource Gone, which the template lacks',
      'Outputs.Imported.Value: Fn::ImportValue "OtherStack:VpcId" ties this stack to another\'s export',
    ]);
  });

  test('when Fn::If, a resource Condition or a condition body names an undefined condition, then each is reported', () => {
    const template = soundTemplate();
    template.Resources.Topic!.Properties!.KmsMasterKeyId = { 'Fn::If': ['IsStaging', 'a', 'b'] };
    template.Resources.Queue!.Condition = 'IsTest';
    template.Conditions!.IsNotProd = { 'Fn::Not': [{ Condition: 'IsProduction' }] };
    expect(referenceProblems(template)).toEqual([
      'Resources.Queue.Condition: Condition names condition IsTest, which is not defined',
      'Resources.Topic.Properties.KmsMasterKeyId: Fn::If names condition IsStaging, which is not defined',
      'Conditions.IsNotProd.Fn::Not[0]: Condition names condition IsProduction, which is not defined',
    ]);
  });

  test('when a condition refers to a resource, or a mapping lookup misses, then it is reported', () => {
    const template = soundTemplate();
    template.Conditions!.IsProd = { 'Fn::Equals': [{ Ref: 'Logs' }, 'prod'] };
    template.Resources.Topic!.Properties!.Size = { 'Fn::FindInMap': ['Sizes', 'dev', 'memory'] };
    expect(referenceProblems(template)).toEqual([
      'Resources.Topic.Properties.Size: mapping Sizes has no dev.memory',
      'Conditions.IsProd.Fn::Equals[0]: Ref names resource Logs, where only parameters may be',
    ]);
  });

  test('when two resources depend on each other, or one on itself, then the cycles are reported', () => {
    const template = soundTemplate();
    template.Resources.Logs = { ...bucket, DependsOn: 'Topic' };
    template.Resources.Self = { Type: 'AWS::SQS::Queue', Properties: { Name: { Ref: 'Self' } } };
    expect(referenceProblems(template)).toEqual([
      'circular dependency between resources: Logs, Topic',
      'circular dependency between resources: Self',
    ]);
  });
});

/** A database whose password and host come from a generated secret and its attachment. */
function secretTemplate(): CfnTemplate {
  const secretKey = (key: string) => ({
    'Fn::Join': [
      '',
      ['{{resolve:secretsmanager:', { Ref: 'DbSecret' }, `:SecretString:${key}::}}`],
    ],
  });
  return {
    Resources: {
      DbSecret: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: {
          Name: 'app/db',
          GenerateSecretString: {
            SecretStringTemplate: '{"username":"admin"}',
            GenerateStringKey: 'password',
          },
        },
      },
      Db: {
        Type: 'AWS::RDS::DBInstance',
        Properties: {
          DBName: 'app',
          MasterUsername: secretKey('username'),
          MasterUserPassword: secretKey('password'),
        },
      },
      Attachment: {
        Type: 'AWS::SecretsManager::SecretTargetAttachment',
        Properties: {
          SecretId: { Ref: 'DbSecret' },
          TargetId: { Ref: 'Db' },
          TargetType: 'AWS::RDS::DBInstance',
        },
      },
      Reader: {
        Type: 'AWS::SSM::Parameter',
        DependsOn: 'Attachment',
        Properties: {
          Value: { 'Fn::Sub': '{{resolve:secretsmanager:${DbSecret}:SecretString:host}}' },
          Description: '{{resolve:secretsmanager:app/db:SecretString:dbname}}',
        },
      },
      Task: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: {
          ContainerDefinitions: [
            {
              Name: 'app',
              Secrets: [
                { Name: 'DB', ValueFrom: { Ref: 'Attachment' } },
                {
                  Name: 'PW',
                  ValueFrom: { 'Fn::Join': ['', [{ Ref: 'DbSecret' }, ':password::']] },
                },
              ],
            },
          ],
        },
      },
    },
  };
}

describe('secretReferenceProblems', () => {
  test('when every reference names a secret of the template and a key it holds by then, then nothing is reported', () => {
    expect(secretReferenceProblems(secretTemplate())).toEqual([]);
  });

  test('when a dynamic reference reads a key the secret does not define, then it is reported with the keys it has', () => {
    const template = secretTemplate();
    template.Resources.Db!.Properties!.MasterUserPassword = {
      'Fn::Join': [
        '',
        ['{{resolve:secretsmanager:', { Ref: 'DbSecret' }, ':SecretString:passwd::}}'],
      ],
    };
    expect(secretReferenceProblems(template)).toEqual([
      'Resources.Db.Properties.MasterUserPassword: secret DbSecret has no key "passwd" (it holds username, password, engine, host, port, dbInstanceIdentifier, dbname)',
    ]);
  });

  test('when a resource reads a key the attachment adds without waiting for the attachment, then it is reported', () => {
    const template = secretTemplate();
    delete template.Resources.Reader!.DependsOn;
    expect(secretReferenceProblems(template)).toEqual([
      'Resources.Reader.Properties.Value: "host" of DbSecret is added by Attachment during the deployment, and Reader does not wait for it',
      'Resources.Reader.Properties.Description: "dbname" of DbSecret is added by Attachment during the deployment, and Reader does not wait for it',
    ]);
  });

  test('when a reference names a secret the template lacks, by Ref or by name, then it is reported', () => {
    const template = secretTemplate();
    template.Resources.Reader!.Properties = {
      Value: { 'Fn::Sub': '{{resolve:secretsmanager:${Db}:SecretString:host}}' },
      Description: '{{resolve:secretsmanager:app/other:SecretString:host}}',
    };
    expect(secretReferenceProblems(template)).toEqual([
      'Resources.Reader.Properties.Value: names Db, a AWS::RDS::DBInstance, not a secret of the template',
      'Resources.Reader.Properties.Description: names secret "app/other", which the template does not define',
    ]);
  });

  test('when an ECS secret reads an unknown key, then it is reported', () => {
    const template = secretTemplate();
    const [container] = template.Resources.Task!.Properties!.ContainerDefinitions as {
      Secrets: { ValueFrom: unknown }[];
    }[];
    container!.Secrets[1]!.ValueFrom = { 'Fn::Join': ['', [{ Ref: 'DbSecret' }, ':pass::']] };
    expect(secretReferenceProblems(template)).toEqual([
      expect.stringMatching(/Secrets\[1\]\.ValueFrom: secret DbSecret has no key "pass"/),
    ]);
  });

  test('when a key is written at deploy time, then only readers created after the writer may use it', () => {
    const template = secretTemplate();
    template.Resources.Seed = { Type: 'Custom::Trigger', Properties: {} };
    template.Resources.Reader!.Properties = {
      Value: '{{resolve:secretsmanager:app/db:SecretString:previous}}',
    };
    const deployTimeKeys = [{ secret: 'DbSecret', key: 'previous', writtenBy: 'Seed' }];
    expect(secretReferenceProblems(template)).toEqual([
      expect.stringMatching(/has no key "previous"/),
    ]);
    expect(secretReferenceProblems(template, { deployTimeKeys })).toEqual([
      expect.stringMatching(
        /"previous" of DbSecret is added by Seed .* Reader does not wait for it$/,
      ),
    ]);
    template.Resources.Reader!.DependsOn = ['Attachment', 'Seed'];
    expect(secretReferenceProblems(template, { deployTimeKeys })).toEqual([]);
  });

  test('when a key is read from a secret that is a bare generated string, then it is reported', () => {
    const template = secretTemplate();
    template.Resources.DbSecret!.Properties = { GenerateSecretString: { PasswordLength: 32 } };
    delete template.Resources.Attachment;
    delete template.Resources.Reader;
    delete template.Resources.Task;
    expect(secretReferenceProblems(template)).toEqual([
      'Resources.Db.Properties.MasterUsername: secret DbSecret has no key "username" (it holds no JSON)',
      'Resources.Db.Properties.MasterUserPassword: secret DbSecret has no key "password" (it holds no JSON)',
    ]);
  });

  test('when a dynamic reference sits in a custom resource, in metadata or in an output, then each is reported', () => {
    const template = secretTemplate();
    const reference = '{{resolve:secretsmanager:app/db:SecretString:password}}';
    template.Resources.Hook = { Type: 'Custom::Hook', Properties: { Password: reference } };
    template.Resources.Db!.Metadata = { Note: reference };
    template.Outputs = { Password: { Value: reference } };
    expect(secretReferenceProblems(template)).toEqual([
      'Resources.Db.Metadata.Note: a dynamic reference in metadata would show the secret',
      'Resources.Hook: custom resources cannot take secretsmanager dynamic references',
      'Outputs.Password.Value: an output would show the secret value',
    ]);
  });

  test(`when a template holds more than ${MAX_DYNAMIC_REFERENCES} dynamic references, then it is reported`, () => {
    const template = secretTemplate();
    template.Resources.Reader!.Properties = {
      Values: Array.from(
        { length: MAX_DYNAMIC_REFERENCES },
        () => '{{resolve:secretsmanager:app/db:SecretString:host}}',
      ),
    };
    expect(secretReferenceProblems(template)).toEqual([
      `${MAX_DYNAMIC_REFERENCES + 2} dynamic references; CloudFormation takes ${MAX_DYNAMIC_REFERENCES} at most`,
    ]);
  });
});

describe('plaintextSecretProblems', () => {
  test('when secrets are generated, passwords are dynamic references and variables carry ARNs, then nothing is reported', () => {
    const template = secretTemplate();
    template.Resources.Arns = {
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        SecretString: { 'Fn::Join': ['', ['{"masterarn":"', { Ref: 'DbSecret' }, '"}']] },
      },
    };
    template.Resources.Fn = {
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: { AUTH_SECRET_ARN: { Ref: 'DbSecret' } } } },
    };
    expect(plaintextSecretProblems(template)).toEqual([]);
  });

  test('when a secret, a master password or a secret-named variable is written in clear, then each is reported', () => {
    const template = secretTemplate();
    template.Resources.DbSecret!.Properties = { SecretString: '{"password":"hunter2"}' };
    template.Resources.Db!.Properties!.MasterUserPassword = 'hunter2';
    template.Resources.Fn = {
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: { AUTH_HEADER_SECRET: 'value-in-clear' } } },
    };
    expect(plaintextSecretProblems(template)).toEqual([
      "Resources.DbSecret.Properties.SecretString: the secret's value is in the template",
      'Resources.Db.Properties.MasterUserPassword: not a dynamic reference',
      'Resources.Fn.Properties.Environment.Variables.AUTH_HEADER_SECRET: a secret value in clear (pass its ARN instead)',
    ]);
  });
});

describe('imageSourceProblems', () => {
  const dockerfile = 'FROM node:24 AS base\nFROM base AS api\nFROM base AS consumer\n';
  const source = (overrides: Partial<ContainerImageSource>): ContainerImageSource => ({
    dockerFile: 'Dockerfile',
    dockerBuildTarget: 'api',
    assetHash: '0'.repeat(64),
    contextDirectory: 'asset.0',
    ...overrides,
  });

  test('when every container builds a stage of the Dockerfile, then nothing is reported', () => {
    expect(
      imageSourceProblems(
        { api: source({}), consumer: source({ dockerBuildTarget: 'consumer' }) },
        () => dockerfile,
      ),
    ).toEqual([]);
  });

  test('when a container builds an unknown target, no target, another Dockerfile or a missing one, then each is reported', () => {
    expect(
      imageSourceProblems(
        {
          worker: source({ dockerBuildTarget: 'worker' }),
          untargeted: source({ dockerBuildTarget: undefined }),
          other: source({ dockerFile: 'Dockerfile.dev' }),
        },
        (candidate) => (candidate.dockerFile === 'Dockerfile' ? dockerfile : undefined),
      ),
    ).toEqual([
      "container worker builds --target worker; the Dockerfile's stages are base, api, consumer",
      'container untargeted names no --target; Docker would build the last stage',
      "container other builds Dockerfile.dev, not the repository's Dockerfile",
      'container other: its Dockerfile is not in the staged build context',
    ]);
  });

  test('containerCommandsOf reads each container’s target, Command and WorkingDirectory', () => {
    const template: CfnTemplate = {
      Resources: {
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            ContainerDefinitions: [
              { Name: 'api' },
              { Name: 'migrate', Command: ['node', { Ref: 'Script' }], WorkingDirectory: '/srv' },
            ],
          },
        },
      },
    };
    expect(containerCommandsOf(template, { api: source({}), migrate: source({}) })).toEqual([
      { runBy: 'container api', target: 'api' },
      {
        runBy: 'container migrate',
        target: 'api',
        command: ['node', '{"Ref":"Script"}'],
        workingDirectory: '/srv',
      },
    ]);
  });
});
