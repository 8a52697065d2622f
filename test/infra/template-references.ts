/**
 * What CloudFormation checks about a template's references before it creates anything, checked on
 * the synthesized JSON: every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable and `DependsOn` names
 * something the template defines, conditions and mappings exist, no `Fn::ImportValue` ties the
 * stack to another, and the resources' dependencies form no cycle. Generic walkers over plain
 * JSON, so unit tests can feed them small hand-written templates.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Outputs?: Record<string, { Value: unknown; Condition?: string; Export?: unknown }>;
  Rules?: Record<string, unknown>;
}

/** What `Ref` can name besides the template's resources and parameters. */
export const PSEUDO_PARAMETERS: ReadonlySet<string> = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An intrinsic function call: an object with exactly one key, `Ref`, `Condition` or `Fn::…`. */
export function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const entries = Object.entries(value);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) return undefined;
  return entry[0] === 'Ref' || entry[0] === 'Condition' || entry[0].startsWith('Fn::')
    ? entry
    : undefined;
}

/** The `${…}` variables of an `Fn::Sub` string, without `${!Literal}` escapes. */
export function subVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([^}]*)\}/g)]
    .map(([, name]) => (name ?? '').trim())
    .filter((name) => !name.startsWith('!'));
}

/** Where a walk is: the path for messages and the resource whose dependencies it collects. */
interface Place {
  at: string;
  resource: string | undefined;
  /** In Conditions and Rules, `Ref` may name parameters only. */
  parametersOnly: boolean;
}

export interface ReferenceAnalysis {
  problems: string[];
  /** Each resource → the resources it references or `DependsOn` (CloudFormation's create order). */
  dependencies: Map<string, Set<string>>;
}

/** Walks the whole template once: broken references as problems, and the dependency graph. */
export function analyseReferences(template: CfnTemplate): ReferenceAnalysis {
  const resources = template.Resources;
  const parameters = template.Parameters ?? {};
  const conditions = template.Conditions ?? {};
  const mappings = template.Mappings ?? {};
  const problems: string[] = [];
  const dependencies = new Map<string, Set<string>>(
    Object.keys(resources).map((id) => [id, new Set<string>()]),
  );

  const dependOn = (place: Place, id: string) => {
    if (place.resource !== undefined) dependencies.get(place.resource)?.add(id);
  };
  const checkRefTarget = (name: string, place: Place, how: string) => {
    if (Object.hasOwn(resources, name)) {
      if (place.parametersOnly) {
        problems.push(`${place.at}: ${how} names resource ${name}, where only parameters may be`);
      }
      dependOn(place, name);
    } else if (!Object.hasOwn(parameters, name) && !PSEUDO_PARAMETERS.has(name)) {
      problems.push(`${place.at}: ${how} names ${name}, which the template does not define`);
    }
  };
  const checkResource = (name: string, place: Place, how: string) => {
    if (Object.hasOwn(resources, name)) dependOn(place, name);
    else problems.push(`${place.at}: ${how} names resource ${name}, which the template lacks`);
  };
  const checkCondition = (name: unknown, place: Place, how: string) => {
    if (typeof name !== 'string' || !Object.hasOwn(conditions, name)) {
      problems.push(`${place.at}: ${how} names condition ${String(name)}, which is not defined`);
    }
  };

  const visit = (node: unknown, place: Place): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, { ...place, at: `${place.at}[${index}]` }));
      return;
    }
    if (!isObject(node)) return;
    const call = intrinsic(node);
    if (call === undefined) {
      for (const [key, value] of Object.entries(node)) {
        visit(value, { ...place, at: `${place.at}.${key}` });
      }
      return;
    }
    const [name, args] = call;
    const inner: Place = { ...place, at: `${place.at}.${name}` };
    switch (name) {
      case 'Ref':
        if (typeof args === 'string') checkRefTarget(args, place, 'Ref');
        else problems.push(`${place.at}: Ref takes a logical ID, not ${JSON.stringify(args)}`);
        return;
      case 'Fn::GetAtt': {
        if (typeof args === 'string') {
          const dot = args.indexOf('.');
          if (dot <= 0)
            problems.push(`${place.at}: Fn::GetAtt "${args}" is not "Resource.Attribute"`);
          else checkResource(args.slice(0, dot), place, 'Fn::GetAtt');
          return;
        }
        const [logicalId, attribute] = Array.isArray(args) ? (args as unknown[]) : [];
        if (typeof logicalId !== 'string' || attribute === undefined) {
          problems.push(`${place.at}: Fn::GetAtt takes [resource, attribute]`);
          return;
        }
        checkResource(logicalId, place, 'Fn::GetAtt');
        visit(attribute, inner);
        return;
      }
      case 'Fn::Sub': {
        const [text, variableMap] =
          typeof args === 'string' ? [args, {}] : Array.isArray(args) ? args : [];
        if (typeof text !== 'string' || !isObject(variableMap)) {
          problems.push(`${place.at}: Fn::Sub takes a string or [string, variable map]`);
          return;
        }
        for (const variable of subVariables(text)) {
          if (Object.hasOwn(variableMap, variable)) continue;
          const dot = variable.indexOf('.');
          if (dot > 0) checkResource(variable.slice(0, dot), place, `Fn::Sub \${${variable}}`);
          else checkRefTarget(variable, place, `Fn::Sub \${${variable}}`);
        }
        visit(variableMap, inner);
        return;
      }
      case 'Fn::If': {
        const [condition, ...branches] = Array.isArray(args) ? (args as unknown[]) : [];
        checkCondition(condition, place, 'Fn::If');
        visit(branches, inner);
        return;
      }
      case 'Condition':
        checkCondition(args, place, 'Condition');
        return;
      case 'Fn::FindInMap': {
        const [mapName, topKey, secondKey] = Array.isArray(args) ? (args as unknown[]) : [];
        if (typeof mapName === 'string') {
          const map = mappings[mapName];
          if (map === undefined) {
            problems.push(
              `${place.at}: Fn::FindInMap names mapping ${mapName}, which is not defined`,
            );
          } else if (typeof topKey === 'string' && typeof secondKey === 'string') {
            if (map[topKey]?.[secondKey] === undefined) {
              problems.push(`${place.at}: mapping ${mapName} has no ${topKey}.${secondKey}`);
            }
          }
        }
        visit(args, inner);
        return;
      }
      case 'Fn::ImportValue':
        problems.push(
          `${place.at}: Fn::ImportValue ${JSON.stringify(args)} ties this stack to another's export`,
        );
        visit(args, inner);
        return;
      default:
        visit(args, inner);
    }
  };

  for (const [id, resource] of Object.entries(resources)) {
    const place: Place = { at: `Resources.${id}`, resource: id, parametersOnly: false };
    const dependsOn =
      resource.DependsOn === undefined
        ? []
        : Array.isArray(resource.DependsOn)
          ? resource.DependsOn
          : [resource.DependsOn];
    for (const target of dependsOn) {
      checkResource(target, { ...place, at: `${place.at}.DependsOn` }, 'DependsOn');
    }
    if (resource.Condition !== undefined) {
      checkCondition(resource.Condition, { ...place, at: `${place.at}.Condition` }, 'Condition');
    }
    for (const section of ['Properties', 'Metadata', 'CreationPolicy', 'UpdatePolicy'] as const) {
      const value = (resource as unknown as Json)[section];
      if (value !== undefined) visit(value, { ...place, at: `${place.at}.${section}` });
    }
  }
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    const place: Place = { at: `Outputs.${id}`, resource: undefined, parametersOnly: false };
    if (output.Condition !== undefined) {
      checkCondition(output.Condition, { ...place, at: `${place.at}.Condition` }, 'Condition');
    }
    visit(output.Value, { ...place, at: `${place.at}.Value` });
    if (output.Export !== undefined) visit(output.Export, { ...place, at: `${place.at}.Export` });
  }
  for (const section of ['Conditions', 'Rules'] as const) {
    for (const [id, body] of Object.entries(template[section] ?? {})) {
      visit(body, { at: `${section}.${id}`, resource: undefined, parametersOnly: true });
    }
  }
  return { problems, dependencies };
}

/** The groups of resources that depend on each other in a circle (Tarjan's algorithm). */
export function dependencyCycles(
  dependencies: ReadonlyMap<string, ReadonlySet<string>>,
): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const connect = (node: string): void => {
    index.set(node, counter);
    lowLink.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of dependencies.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, lowLink.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || dependencies.get(node)?.has(node)) cycles.push(component.sort());
  };
  for (const node of dependencies.keys()) if (!index.has(node)) connect(node);
  return cycles;
}

/** Every resource `id` depends on, directly or through others. */
export function transitiveDependencies(
  dependencies: ReadonlyMap<string, ReadonlySet<string>>,
  id: string,
): Set<string> {
  const seen = new Set<string>();
  const pending = [...(dependencies.get(id) ?? [])];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(dependencies.get(next) ?? []));
  }
  return seen;
}

/**
 * Everything CloudFormation would refuse about the template's references, one message each:
 * dangling `Ref`/`Fn::GetAtt`/`Fn::Sub`/`DependsOn`, unknown conditions or mappings,
 * `Fn::ImportValue`, and circular dependencies.
 */
export function referenceProblems(template: CfnTemplate): string[] {
  const { problems, dependencies } = analyseReferences(template);
  for (const cycle of dependencyCycles(dependencies)) {
    problems.push(`circular dependency between resources: ${cycle.join(', ')}`);
  }
  return problems;
}
