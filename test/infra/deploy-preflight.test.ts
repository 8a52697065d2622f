import fs from 'node:fs';
import { expectedImageFiles } from '../../scripts/images/expected-image-files';
import { containerCommandsOf, imageSourceProblems, stagedDockerfile } from './image-checks';
import {
  findSecretReferences,
  plaintextSecretProblems,
  secretReferenceProblems,
  type DeployTimeSecretKey,
} from './secret-references';
import {
  containerImageSources,
  logicalIdsOf,
  synthApp,
  TEST_HOSTED_ZONE,
  type ContextValue,
  type SynthesizedApp,
  type TemplateJson,
} from './synth-app';
import { analyseReferences, referenceProblems, type CfnTemplate } from './template-references';
import { ADOPTED_MODES } from './adoption-modes';
import { EXAMPLE_ESTATE } from '../../examples/existing-estate/estate';

/**
 * What a deployment would trip over halfway, found before it starts: every stage the app
 * synthesizes offline is checked the way CloudFormation checks a template (references,
 * conditions, cycles), the way CloudFormation and ECS resolve secrets (the secret and its key
 * exist by the time they are read), and the way Docker and ECS start the images (the target
 * exists, and the command's file is in the image). Each check is also seen failing on a copy of a
 * real template with one thing broken.
 */

const CERTIFICATE_ARN =
  'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000';

/** The keys the secret references read: both header values, and RDS the master password. */
const CREATED_DATABASE_KEYS = ['', 'current', 'password', 'previous'];

/**
 * What an adopted database's secret is required to hold (docs/deploy.md): an RDS-format
 * document. The app's secret copies `host`, `port` and `dbname` from it; ECS injects it whole.
 */
const ADOPTED_DATABASE_SECRET = {
  arn: EXAMPLE_ESTATE.databaseSecretArn,
  keys: ['engine', 'host', 'port', 'dbname', 'username', 'password'],
};

const STAGES: {
  name: string;
  context: Record<string, ContextValue>;
  keysRead?: string[];
}[] = [
  { name: 'dev with TLS from a hosted zone (npm run synth)', context: { ...TEST_HOSTED_ZONE } },
  { name: 'prod with TLS from a hosted zone', context: { stage: 'prod', ...TEST_HOSTED_ZONE } },
  {
    name: 'a sandbox stage on plain HTTP (allowInsecureHttp)',
    context: { stage: 'sandbox', allowInsecureHttp: true },
  },
  {
    name: 'prod with an existing certificate and alarm e-mail',
    context: {
      stage: 'prod',
      certificateArn: CERTIFICATE_ARN,
      apiDomainName: 'api.example.com',
      alarmEmail: 'ops@example.com',
    },
  },
  ...ADOPTED_MODES.map((mode) => ({
    name: `dev with the ${mode.name}`,
    context: mode.context,
    ...(mode.adopted.includes('database')
      ? { keysRead: ['', 'current', 'dbname', 'host', 'port', 'previous'] }
      : {}),
  })),
];

/** A resource's only logical ID of `type` starting with `prefix`. */
function onlyId(json: TemplateJson, type: string, prefix: string): string {
  const [id, ...others] = logicalIdsOf(json, type, prefix);
  if (id === undefined || others.length > 0) throw new Error(`expected one ${type} ${prefix}`);
  return id;
}

/**
 * Keys the stack writes into a secret while it deploys: the seed trigger gives the header secret
 * its `previous` key (stacks/header-rotation.ts), which the WAF guard rule reads.
 */
function deployTimeKeys(json: TemplateJson): DeployTimeSecretKey[] {
  return [
    {
      secret: onlyId(json, 'AWS::SecretsManager::Secret', 'HeaderSecret'),
      key: 'previous',
      writtenBy: onlyId(json, 'Custom::Trigger', 'HeaderRotationSeedTrigger'),
    },
  ];
}

const copyOf = (json: TemplateJson): CfnTemplate => structuredClone(json) as CfnTemplate;

describe.each(STAGES)('deploy preflight of $name', ({ context, keysRead: expectedKeys }) => {
  let synthesized: SynthesizedApp;

  beforeAll(() => {
    synthesized = synthApp(context);
  });

  afterAll(() => {
    fs.rmSync(synthesized.app.outdir, { recursive: true, force: true });
  });

  test('every Ref, Fn::GetAtt, Fn::Sub variable, DependsOn and condition names what the template defines, with no import and no cycle', () => {
    const { dependencies } = analyseReferences(synthesized.json);
    const edges = [...dependencies.values()].reduce((sum, targets) => sum + targets.size, 0);
    // The walk followed the template's references (a vacuous walk would pass too).
    expect(edges).toBeGreaterThan(Object.keys(synthesized.json.Resources).length);
    expect(referenceProblems(synthesized.json)).toEqual([]);
  });

  test('every secret reference names a secret of the template and a key it holds by the time it is read', () => {
    const { references } = findSecretReferences(synthesized.json);
    const keysRead = [...new Set(references.map((reference) => reference.key))].sort();
    // The WAF rule reads both header values, RDS the master password (or, for an adopted
    // database, the app's secret copies its connection keys); ECS injects whole secrets.
    expect(keysRead).toEqual(expectedKeys ?? CREATED_DATABASE_KEYS);
    expect(
      secretReferenceProblems(synthesized.json, {
        deployTimeKeys: deployTimeKeys(synthesized.json),
        adoptedSecrets: [ADOPTED_DATABASE_SECRET],
      }),
    ).toEqual([]);
  });

  test('no secret value is written in the template', () => {
    expect(plaintextSecretProblems(synthesized.json)).toEqual([]);
  });

  test("every container's image builds the repository's Dockerfile at a target it defines", () => {
    const sources = containerImageSources(synthesized);
    expect(Object.keys(sources).sort()).toEqual(['api', 'consumer', 'migrate', 'reconciler']);
    expect(imageSourceProblems(sources)).toEqual([]);
  });

  test('every container runs a file its image holds, and every such file is one npm run build writes', () => {
    const sources = containerImageSources(synthesized);
    // Each image asset stages its own copy of the build context: all hold the same Dockerfile.
    const dockerfiles = [...new Set(Object.values(sources).map(stagedDockerfile))];
    expect(dockerfiles).toHaveLength(1);
    const [dockerfile] = dockerfiles;
    if (dockerfile === undefined) throw new Error('no staged Dockerfile');
    const expectations = expectedImageFiles({
      dockerfile,
      containers: containerCommandsOf(synthesized.json, sources),
    });
    expect(expectations.flatMap((expectation) => expectation.problems)).toEqual([]);
    const scripts = Object.fromEntries(
      expectations.flatMap((expectation) =>
        expectation.commands.map((command) => [
          `${expectation.target}: ${command.runBy}`,
          command.files[0],
        ]),
      ),
    );
    expect(scripts).toEqual({
      'api: CMD': '/app/dist/api.js',
      'api: container api': '/app/dist/api.js',
      'api: container migrate': '/app/dist/migrate.js',
      'api: container reconciler': '/app/dist/reconciler.js',
      'consumer: CMD': '/app/dist/consumer.js',
      'consumer: container consumer': '/app/dist/consumer.js',
    });
  });
});

describe('deploy preflight, on a copy of the dev template with one thing broken', () => {
  let synthesized: SynthesizedApp;

  beforeAll(() => {
    synthesized = synthApp({ ...TEST_HOSTED_ZONE });
  });

  afterAll(() => {
    fs.rmSync(synthesized.app.outdir, { recursive: true, force: true });
  });

  test('when the NAT Gateway names an Elastic IP that is gone, then the dangling GetAtt is reported', () => {
    const broken = copyOf(synthesized.json);
    const [eip] = logicalIdsOf(synthesized.json, 'AWS::EC2::EIP');
    if (eip === undefined) throw new Error('no Elastic IP');
    delete broken.Resources[eip];
    expect(referenceProblems(broken)).toEqual(
      expect.arrayContaining([expect.stringMatching(`Fn::GetAtt names resource ${eip}`)]),
    );
  });

  test('when the WebACL no longer waits for the seed trigger, then its "previous" reference is reported', () => {
    const broken = copyOf(synthesized.json);
    const webAcl = onlyId(synthesized.json, 'AWS::WAFv2::WebACL', 'WafGuard');
    delete broken.Resources[webAcl]?.DependsOn;
    expect(
      secretReferenceProblems(broken, { deployTimeKeys: deployTimeKeys(synthesized.json) }),
    ).toEqual([
      expect.stringMatching(
        new RegExp(`^Resources\\.${webAcl}\\..*"previous".*does not wait for it$`),
      ),
    ]);
  });

  test('when RDS reads a password key the database secret does not generate, then it is reported', () => {
    const broken = copyOf(synthesized.json);
    const database =
      broken.Resources[onlyId(synthesized.json, 'AWS::RDS::DBInstance', 'DatabaseInstance')];
    const password = JSON.stringify(database?.Properties?.MasterUserPassword).replace(
      ':SecretString:password::',
      ':SecretString:passwd::',
    );
    if (database?.Properties === undefined) throw new Error('no database');
    database.Properties.MasterUserPassword = JSON.parse(password) as unknown;
    expect(
      secretReferenceProblems(broken, { deployTimeKeys: deployTimeKeys(synthesized.json) }),
    ).toEqual([expect.stringMatching(/MasterUserPassword.*has no key "passwd"/)]);
  });

  test('when a container is built at a target the Dockerfile lacks, then it is reported', () => {
    const sources = containerImageSources(synthesized);
    const consumer = sources.consumer;
    if (consumer === undefined) throw new Error('no consumer image');
    expect(
      imageSourceProblems({ ...sources, consumer: { ...consumer, dockerBuildTarget: 'worker' } }),
    ).toEqual([expect.stringMatching(/^container consumer builds --target worker/)]);
  });

  test('when the migrate container runs a file no COPY brings, then it is reported', () => {
    const broken = copyOf(synthesized.json);
    const sources = containerImageSources(synthesized);
    for (const resource of Object.values(broken.Resources)) {
      const containers = resource.Properties?.ContainerDefinitions as
        { Name: string; Command?: string[] }[] | undefined;
      for (const container of containers ?? []) {
        if (container.Name === 'migrate')
          container.Command = ['node', 'dist/migrations.js', 'latest'];
      }
    }
    const [dockerfile] = Object.values(sources).map(stagedDockerfile);
    expect(
      expectedImageFiles({
        dockerfile: dockerfile ?? '',
        containers: containerCommandsOf(broken, sources),
      }).flatMap((expectation) => expectation.problems),
    ).toEqual([expect.stringMatching(/^container migrate runs dist\/migrations\.js/)]);
  });
});

describe('deploy preflight, on the database-adopted template with its secret misdescribed', () => {
  let synthesized: SynthesizedApp;

  beforeAll(() => {
    const mode = ADOPTED_MODES.find((adoption) => adoption.name === 'database adopted');
    if (mode === undefined) throw new Error('no database-adopted mode');
    synthesized = synthApp(mode.context);
  });

  afterAll(() => {
    fs.rmSync(synthesized.app.outdir, { recursive: true, force: true });
  });

  test('when the given secret is not said to hold dbname, then the copy into the app secret is reported', () => {
    const keys = ADOPTED_DATABASE_SECRET.keys.filter((key) => key !== 'dbname');
    expect(
      secretReferenceProblems(synthesized.json, {
        deployTimeKeys: deployTimeKeys(synthesized.json),
        adoptedSecrets: [{ ...ADOPTED_DATABASE_SECRET, keys }],
      }),
    ).toEqual([expect.stringMatching(/GenerateSecretString.*is not said to hold "dbname"/)]);
  });

  test('when the secret is not declared adopted, then every reference to it names no secret of the template', () => {
    const problems = secretReferenceProblems(synthesized.json, {
      deployTimeKeys: deployTimeKeys(synthesized.json),
    });
    // host, port and dbname copied into the app secret, and the migrate container's injection.
    expect(problems).toHaveLength(4);
    for (const problem of problems) {
      expect(problem).toContain(`names secret "${EXAMPLE_ESTATE.databaseSecretArn}"`);
    }
  });
});
