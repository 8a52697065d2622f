import {
  analyseReferences,
  intrinsic,
  isObject,
  transitiveDependencies,
  type CfnResource,
  type CfnTemplate,
} from './template-references';

/**
 * Checks on how a synthesized template reaches Secrets Manager, the part CloudFormation (or ECS)
 * only finds out about halfway through a deployment: every
 * `{{resolve:secretsmanager:<id>:SecretString:<key>…}}` dynamic reference and every ECS
 * `valueFrom` names a secret the template defines and a JSON key that secret will hold by then,
 * and no secret value is written in the template.
 *
 * Dynamic reference rules (AWS docs, "Get a secret or secret value from Secrets Manager" and "Get
 * values stored in other services using dynamic references"): the pattern is
 * `{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}`, the
 * segments after the ID contain no colon, at most 60 dynamic references per template, none in
 * resource metadata or custom resources, and none ending in a backslash.
 */

/**
 * The keys an `AWS::SecretsManager::SecretTargetAttachment` adds to its secret, by target type.
 * The CloudFormation reference says only that it adds "the database engine type and the
 * connection details"; the Secrets Manager guide ("JSON structure of AWS Secrets Manager
 * secrets") names the connection keys `engine`, `host`, `port` and `dbname`; and attached secrets
 * in AWS's own issue threads (aws/aws-cdk#7518, #11517) hold those plus `dbInstanceIdentifier`
 * or `dbClusterIdentifier`. `dbname` is there when the target names a database.
 */
const ATTACHMENT_KEYS: Record<string, { keys: string[]; databaseNameProperty?: string }> = {
  'AWS::RDS::DBInstance': {
    keys: ['engine', 'host', 'port', 'dbInstanceIdentifier'],
    databaseNameProperty: 'DBName',
  },
  'AWS::RDS::DBCluster': {
    keys: ['engine', 'host', 'port', 'dbClusterIdentifier'],
    databaseNameProperty: 'DatabaseName',
  },
};
const OTHER_ATTACHMENT_KEYS = ['engine', 'host', 'port'];

/** CloudFormation's limit on dynamic references in one template. */
export const MAX_DYNAMIC_REFERENCES = 60;

/**
 * A key that a resource of the stack writes into a secret while the stack deploys (a trigger
 * seeding it, say): references to it are sound only from resources created after the writer.
 */
export interface DeployTimeSecretKey {
  /** The secret's logical ID. */
  readonly secret: string;
  readonly key: string;
  /** The logical ID of the resource that writes it. */
  readonly writtenBy: string;
}

/**
 * A secret the stack is given instead of defining it (an adopted database's credentials), named
 * by its complete ARN, with the JSON keys its owner promises it holds.
 */
export interface AdoptedSecret {
  readonly arn: string;
  readonly keys: readonly string[];
}

export interface SecretCheckOptions {
  readonly deployTimeKeys?: readonly DeployTimeSecretKey[];
  readonly adoptedSecrets?: readonly AdoptedSecret[];
}

/** A string with the intrinsics it was joined from replaced by numbered placeholders. */
interface Rendered {
  text: string;
  pieces: unknown[];
}

// Private-use characters: plain text to JSON.parse (a control character would not be), and
// never in a template.
const placeholder = (index: number) => `\uE000${index}\uE001`;
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
const HAS_PLACEHOLDER = /\uE000\d+\uE001/;
const ONLY_PLACEHOLDER = /^\uE000(\d+)\uE001$/;

/**
 * A string, `Fn::Join` or `Fn::Sub` as the text CloudFormation would build, intrinsic pieces left
 * as placeholders. Undefined for anything else (whose strings are rendered where they occur).
 */
export function renderText(value: unknown): Rendered | undefined {
  if (typeof value === 'string') return { text: value, pieces: [] };
  const call = intrinsic(value);
  const pieces: unknown[] = [];
  const inline = (part: unknown): string => {
    const rendered = renderText(part);
    if (rendered === undefined) {
      pieces.push(part);
      return placeholder(pieces.length - 1);
    }
    const offset = pieces.length;
    pieces.push(...rendered.pieces);
    return rendered.text.replace(PLACEHOLDER, (_, index: string) =>
      placeholder(offset + Number(index)),
    );
  };
  if (call?.[0] === 'Fn::Join' && Array.isArray(call[1])) {
    const [delimiter, parts] = call[1] as unknown[];
    if (typeof delimiter !== 'string' || !Array.isArray(parts)) return undefined;
    return { text: parts.map(inline).join(delimiter), pieces };
  }
  if (call?.[0] === 'Fn::Sub') {
    const [text, variableMap] =
      typeof call[1] === 'string' ? [call[1], {}] : Array.isArray(call[1]) ? call[1] : [];
    if (typeof text !== 'string' || !isObject(variableMap)) return undefined;
    const rendered = text.replace(/\$\{([^}]*)\}/g, (_, raw: string) => {
      const name = raw.trim();
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (Object.hasOwn(variableMap, name)) return inline(variableMap[name]);
      const dot = name.indexOf('.');
      return inline(
        dot > 0 ? { 'Fn::GetAtt': [name.slice(0, dot), name.slice(dot + 1)] } : { Ref: name },
      );
    });
    return { text: rendered, pieces };
  }
  return undefined;
}

/** The logical ID a `{ Ref }` names. */
const refTarget = (value: unknown): string | undefined => {
  const call = intrinsic(value);
  return call?.[0] === 'Ref' && typeof call[1] === 'string' ? call[1] : undefined;
};

/** One secret reference found in the template, with where it is. */
export interface SecretReference {
  /** A CloudFormation dynamic reference, or an ECS container secret's `valueFrom`. */
  kind: 'dynamic' | 'ecs';
  at: string;
  /** The resource holding it; undefined in Outputs. */
  resource: string | undefined;
  /** What names the secret: an intrinsic (usually `{ Ref }`) or a literal name or ARN. */
  secretId: unknown;
  /** The JSON key; '' for the whole secret string. */
  key: string;
  problems: string[];
}

const DYNAMIC_REFERENCE = /\{\{resolve:secretsmanager:(.*?)\}\}/g;

/** Splits what follows `secretsmanager:` into the secret ID and the `:`-separated rest. */
function splitSecretId(inner: string, pieces: readonly unknown[]): { id: unknown; rest: string } {
  const piece = /^\uE000(\d+)\uE001/.exec(inner);
  if (piece?.[1] !== undefined) {
    return { id: pieces[Number(piece[1])], rest: inner.slice(piece[0].length) };
  }
  if (inner.startsWith('arn:')) {
    // arn:partition:secretsmanager:region:account:secret:name, then the rest.
    const parts = inner.split(':');
    return {
      id: parts.slice(0, 7).join(':'),
      rest: parts.length > 7 ? `:${parts.slice(7).join(':')}` : '',
    };
  }
  const colon = inner.indexOf(':');
  return colon < 0
    ? { id: inner, rest: '' }
    : { id: inner.slice(0, colon), rest: inner.slice(colon) };
}

function readDynamicReference(
  inner: string,
  pieces: readonly unknown[],
  at: string,
  resource: string | undefined,
): SecretReference {
  const { id, rest } = splitSecretId(inner, pieces);
  const problems: string[] = [];
  const segments = rest === '' ? [] : rest.slice(1).split(':');
  const [secretString, key = '', ...versions] = segments;
  if (segments.length > 0 && secretString !== 'SecretString') {
    problems.push(`${at}: a secretsmanager reference reads SecretString, not "${secretString}"`);
  }
  if (versions.length > 2) {
    problems.push(`${at}: too many segments after the secret ID (a key may hold no colon)`);
  }
  if ([key, ...versions].some((segment) => HAS_PLACEHOLDER.test(segment))) {
    problems.push(
      `${at}: the key or version of a dynamic reference is computed; it must be literal`,
    );
  }
  if (inner.endsWith('\\')) problems.push(`${at}: a dynamic reference must not end in a backslash`);
  return { kind: 'dynamic', at, resource, secretId: id, key, problems };
}

/** Every `{{resolve:secretsmanager:…}}` under `node`, rendering joins and subs to see them. */
function collectDynamicReferences(
  node: unknown,
  at: string,
  resource: string | undefined,
  found: SecretReference[],
): void {
  const rendered = renderText(node);
  if (rendered !== undefined) {
    for (const match of rendered.text.matchAll(DYNAMIC_REFERENCE)) {
      found.push(readDynamicReference(match[1] ?? '', rendered.pieces, at, resource));
    }
    // The pieces that are not text (an Fn::If, an Fn::Select…) may hold references of their own.
    rendered.pieces.forEach((piece, index) =>
      collectDynamicReferences(piece, `${at}<piece ${index}>`, resource, found),
    );
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((item, index) =>
      collectDynamicReferences(item, `${at}[${index}]`, resource, found),
    );
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      collectDynamicReferences(value, `${at}.${key}`, resource, found);
    }
  }
}

/**
 * ECS `valueFrom` of a container's `Secrets`: a secret's ARN, optionally followed by
 * `:json-key:version-stage:version-id`. Only references to Secrets Manager are returned.
 */
function ecsSecretReferences(
  id: string,
  resource: CfnResource,
  resources: CfnTemplate['Resources'],
): SecretReference[] {
  if (resource.Type !== 'AWS::ECS::TaskDefinition') return [];
  const containers = resource.Properties?.ContainerDefinitions;
  if (!Array.isArray(containers)) return [];
  return containers.flatMap((container: unknown, containerIndex) => {
    const secrets = isObject(container) ? container.Secrets : undefined;
    if (!Array.isArray(secrets)) return [];
    return secrets.flatMap((secret: unknown, secretIndex): SecretReference[] => {
      const at = `Resources.${id}.Properties.ContainerDefinitions[${containerIndex}].Secrets[${secretIndex}].ValueFrom`;
      const valueFrom = isObject(secret) ? secret.ValueFrom : undefined;
      // A bare `{ Ref }` (the whole secret) is one intrinsic piece.
      const rendered =
        renderText(valueFrom) ??
        (intrinsic(valueFrom) === undefined
          ? undefined
          : { text: placeholder(0), pieces: [valueFrom] });
      if (rendered === undefined) return [];
      const isSecretsManagerArn = /^arn:[^:]+:secretsmanager:/.test(rendered.text);
      if (!isSecretsManagerArn && !/^\uE000\d+\uE001/.test(rendered.text)) return []; // SSM
      const { id: secretId, rest } = splitSecretId(rendered.text, rendered.pieces);
      const target = refTarget(secretId);
      if (target !== undefined && resources[target]?.Type === 'AWS::SSM::Parameter') return [];
      const [key = ''] = rest === '' ? [] : rest.slice(1).split(':');
      return [{ kind: 'ecs', at, resource: id, secretId, key, problems: [] }];
    });
  });
}

/** The JSON keys a secret's own definition gives it; undefined when its value is not JSON. */
function definedKeys(resource: CfnResource): string[] | undefined {
  const properties = resource.Properties ?? {};
  const parseKeys = (value: unknown): string[] | undefined => {
    const rendered = renderText(value);
    if (rendered === undefined) return undefined;
    try {
      // Placeholders sit inside JSON strings, where they are plain characters.
      const parsed: unknown = JSON.parse(rendered.text);
      return isObject(parsed) ? Object.keys(parsed) : undefined;
    } catch {
      return undefined;
    }
  };
  const generate = properties.GenerateSecretString;
  if (isObject(generate)) {
    if (generate.SecretStringTemplate === undefined) return undefined; // a bare generated string
    const keys = parseKeys(generate.SecretStringTemplate) ?? [];
    return typeof generate.GenerateStringKey === 'string'
      ? [...keys, generate.GenerateStringKey]
      : keys;
  }
  return parseKeys(properties.SecretString);
}

/**
 * Every secret reference of the template (dynamic references in resource properties, ECS
 * `valueFrom`s), and the dynamic references that stand where CloudFormation refuses or would
 * show them: custom resources, metadata, outputs, more than the template limit.
 */
export function findSecretReferences(template: CfnTemplate): {
  references: SecretReference[];
  problems: string[];
} {
  const problems: string[] = [];
  const references: SecretReference[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const inProperties: SecretReference[] = [];
    collectDynamicReferences(resource.Properties, `Resources.${id}.Properties`, id, inProperties);
    const isCustomResource =
      resource.Type.startsWith('Custom::') ||
      resource.Type === 'AWS::CloudFormation::CustomResource';
    if (isCustomResource && inProperties.length > 0) {
      problems.push(
        `Resources.${id}: custom resources cannot take secretsmanager dynamic references`,
      );
    }
    const inMetadata: SecretReference[] = [];
    collectDynamicReferences(resource.Metadata, `Resources.${id}.Metadata`, id, inMetadata);
    for (const reference of inMetadata) {
      problems.push(`${reference.at}: a dynamic reference in metadata would show the secret`);
    }
    references.push(...inProperties, ...ecsSecretReferences(id, resource, template.Resources));
  }
  const inOutputs: SecretReference[] = [];
  collectDynamicReferences(template.Outputs, 'Outputs', undefined, inOutputs);
  for (const reference of inOutputs) {
    problems.push(`${reference.at}: an output would show the secret value`);
  }
  const dynamicCount = references.filter((reference) => reference.kind === 'dynamic').length;
  if (dynamicCount > MAX_DYNAMIC_REFERENCES) {
    problems.push(
      `${dynamicCount} dynamic references; CloudFormation takes ${MAX_DYNAMIC_REFERENCES} at most`,
    );
  }
  return { references, problems };
}

/**
 * Problems with the template's secret references: dynamic references and ECS `valueFrom`s that
 * name no secret of the template, or a key the secret will not hold when the reference is
 * resolved (keys an attachment or a deploy-time writer adds count only for resources created
 * after it), and dynamic references where CloudFormation does not allow them.
 */
export function secretReferenceProblems(
  template: CfnTemplate,
  options: SecretCheckOptions = {},
): string[] {
  const resources = template.Resources;
  const { dependencies } = analyseReferences(template);
  const { references, problems } = findSecretReferences(template);

  const secretIds = Object.keys(resources).filter(
    (id) => resources[id]?.Type === 'AWS::SecretsManager::Secret',
  );
  const attachments = Object.entries(resources).filter(
    ([, resource]) => resource.Type === 'AWS::SecretsManager::SecretTargetAttachment',
  );

  /** The secret's logical ID, following an attachment (whose Ref is its secret's ARN). */
  const resolveSecret = (secretId: unknown): { secret?: string; problem?: string } => {
    const target = refTarget(secretId);
    if (target !== undefined) {
      const resource = resources[target];
      if (resource?.Type === 'AWS::SecretsManager::Secret') return { secret: target };
      if (resource?.Type === 'AWS::SecretsManager::SecretTargetAttachment') {
        return resolveSecret(resource.Properties?.SecretId);
      }
      return {
        problem: `names ${target}, ${resource === undefined ? 'which the template lacks' : `a ${resource.Type}`}, not a secret of the template`,
      };
    }
    if (typeof secretId === 'string') {
      // A literal name, or an ARN whose last part is the name (perhaps with its random suffix).
      const name = secretId.startsWith('arn:') ? (secretId.split(':')[6] ?? '') : secretId;
      const secret = secretIds.find((id) => {
        const declared = resources[id]?.Properties?.Name;
        return (
          typeof declared === 'string' && (declared === name || name.startsWith(`${declared}-`))
        );
      });
      return secret === undefined
        ? { problem: `names secret "${secretId}", which the template does not define` }
        : { secret };
    }
    return { problem: `names its secret by ${JSON.stringify(secretId)}, which cannot be checked` };
  };

  /** Keys added during the deployment, each with the resource that adds it. */
  const addedKeys = (secret: string): { key: string; addedBy: string }[] => {
    const added: { key: string; addedBy: string }[] = [];
    for (const [attachmentId, attachment] of attachments) {
      if (resolveSecret(attachment.Properties?.SecretId).secret !== secret) continue;
      const targetType = String(attachment.Properties?.TargetType ?? '');
      const known = ATTACHMENT_KEYS[targetType];
      const targetId = refTarget(attachment.Properties?.TargetId);
      const databaseName =
        known?.databaseNameProperty === undefined || targetId === undefined
          ? undefined
          : resources[targetId]?.Properties?.[known.databaseNameProperty];
      const keys = [...(known?.keys ?? OTHER_ATTACHMENT_KEYS)];
      if (databaseName !== undefined) keys.push('dbname');
      added.push(...keys.map((key) => ({ key, addedBy: attachmentId })));
    }
    for (const deployTimeKey of options.deployTimeKeys ?? []) {
      if (deployTimeKey.secret === secret) {
        added.push({ key: deployTimeKey.key, addedBy: deployTimeKey.writtenBy });
      }
    }
    return added;
  };

  for (const deployTimeKey of options.deployTimeKeys ?? []) {
    if (resources[deployTimeKey.writtenBy] === undefined) {
      problems.push(
        `the writer of ${deployTimeKey.secret}'s "${deployTimeKey.key}", ${deployTimeKey.writtenBy}, is not in the template`,
      );
    }
  }

  for (const reference of references) {
    problems.push(...reference.problems);
    const adopted = options.adoptedSecrets?.find((given) => given.arn === reference.secretId);
    if (adopted !== undefined) {
      if (reference.key !== '' && !adopted.keys.includes(reference.key)) {
        problems.push(
          `${reference.at}: adopted secret ${adopted.arn} is not said to hold "${reference.key}" ` +
            `(it holds ${adopted.keys.join(', ')})`,
        );
      }
      continue;
    }
    const { secret, problem } = resolveSecret(reference.secretId);
    if (secret === undefined) {
      problems.push(`${reference.at}: ${problem ?? 'names no secret'}`);
      continue;
    }
    if (reference.key === '') continue;
    const secretResource = resources[secret];
    const keys = secretResource === undefined ? undefined : definedKeys(secretResource);
    if (keys?.includes(reference.key)) continue;
    const adders = addedKeys(secret).filter((added) => added.key === reference.key);
    if (adders.length === 0) {
      problems.push(
        `${reference.at}: secret ${secret} has no key "${reference.key}" (it holds ` +
          `${keys === undefined ? 'no JSON' : [...keys, ...addedKeys(secret).map((added) => added.key)].join(', ')})`,
      );
      continue;
    }
    const createdAfter =
      reference.resource === undefined
        ? new Set<string>()
        : transitiveDependencies(dependencies, reference.resource);
    if (!adders.some((added) => createdAfter.has(added.addedBy))) {
      problems.push(
        `${reference.at}: "${reference.key}" of ${secret} is added by ` +
          `${adders.map((added) => added.addedBy).join(' or ')} during the deployment, and ` +
          `${reference.resource ?? 'this output'} does not wait for it`,
      );
    }
  }
  return problems;
}

/** Environment variables whose name says they carry a secret value, not a reference to one. */
const SECRET_VARIABLE = /(PASSWORD|SECRETS?|TOKEN|API_KEY)$/i;

/**
 * Secret values written in the template (and so in cdk.out and CloudFormation's console): a
 * Secrets Manager secret with a literal `SecretString`, a database master password that is not a
 * dynamic reference, an environment variable named like a secret with a literal value.
 */
export function plaintextSecretProblems(template: CfnTemplate): string[] {
  const problems: string[] = [];
  const isOnlyReferences = (value: unknown): boolean => {
    const rendered = renderText(value);
    if (rendered === undefined) return true; // an intrinsic such as Ref: no literal text
    let parsed: unknown;
    try {
      parsed = JSON.parse(rendered.text);
    } catch {
      return rendered.text.replace(PLACEHOLDER, '') === '';
    }
    const leaves = (node: unknown): unknown[] =>
      isObject(node)
        ? Object.values(node).flatMap(leaves)
        : Array.isArray(node)
          ? node.flatMap(leaves)
          : [node];
    return leaves(parsed).every((leaf) => typeof leaf === 'string' && ONLY_PLACEHOLDER.test(leaf));
  };
  const isDynamicReference = (value: unknown): boolean => {
    const text = renderText(value)?.text;
    return text !== undefined && /^\{\{resolve:(secretsmanager|ssm-secure):[^}]*\}\}$/.test(text);
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::SecretsManager::Secret' && properties.SecretString !== undefined) {
      if (!isOnlyReferences(properties.SecretString)) {
        problems.push(
          `Resources.${id}.Properties.SecretString: the secret's value is in the template`,
        );
      }
    }
    if (
      (resource.Type === 'AWS::RDS::DBInstance' || resource.Type === 'AWS::RDS::DBCluster') &&
      properties.MasterUserPassword !== undefined &&
      !isDynamicReference(properties.MasterUserPassword)
    ) {
      problems.push(`Resources.${id}.Properties.MasterUserPassword: not a dynamic reference`);
    }
    const environments: [string, unknown][] = [];
    if (resource.Type === 'AWS::Lambda::Function' && isObject(properties.Environment)) {
      environments.push([
        `Resources.${id}.Properties.Environment.Variables`,
        properties.Environment.Variables,
      ]);
    }
    if (
      resource.Type === 'AWS::ECS::TaskDefinition' &&
      Array.isArray(properties.ContainerDefinitions)
    ) {
      properties.ContainerDefinitions.forEach((container: unknown, index) => {
        if (!isObject(container) || !Array.isArray(container.Environment)) return;
        const variables = Object.fromEntries(
          container.Environment.filter(isObject).map((variable) => [
            String(variable.Name),
            variable.Value,
          ]),
        );
        environments.push([
          `Resources.${id}.Properties.ContainerDefinitions[${index}].Environment`,
          variables,
        ]);
      });
    }
    for (const [at, variables] of environments) {
      if (!isObject(variables)) continue;
      for (const [name, value] of Object.entries(variables)) {
        if (SECRET_VARIABLE.test(name) && typeof value === 'string' && value !== '') {
          problems.push(`${at}.${name}: a secret value in clear (pass its ARN instead)`);
        }
      }
    }
  }
  return problems;
}
