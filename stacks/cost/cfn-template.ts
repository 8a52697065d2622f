/** The parts of a synthesized CloudFormation template the bill reads. */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** One resource of a template, with its logical ID. */
export interface TemplateResource {
  logicalId: string;
  type: string;
  properties: Record<string, unknown>;
}

/** The resources of `type`, in logical-ID order (so the bill's lines come out stable). */
export function resourcesOf(template: CfnTemplate, type: string): TemplateResource[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId, resource]) => ({
      logicalId,
      type: resource.Type,
      properties: resource.Properties ?? {},
    }))
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** The resource `logicalId` points at, if the template has it. */
export function resourceById(
  template: CfnTemplate,
  logicalId: string | undefined,
): TemplateResource | undefined {
  if (logicalId === undefined) return undefined;
  const resource = template.Resources[logicalId];
  return resource && { logicalId, type: resource.Type, properties: resource.Properties ?? {} };
}

/**
 * The logical ID a `{ Ref }` or `{ Fn::GetAtt }` names (undefined for literals and imports). A
 * task definition, a cluster or a service is referred to this way throughout a CDK template.
 */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Every logical ID referenced anywhere inside `value` (e.g. in an `Fn::Join`). */
export function referencedIds(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    const id = referencedId(node);
    if (id !== undefined) found.add(id);
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(visit);
  };
  visit(value);
  return found;
}

/** A number given as a number or a numeric string (`"20"`, as CDK renders AllocatedStorage). */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return undefined;
}

/** A logical ID without the 8-character hash CDK appends: `ApiServiceD5B4A50A` → `ApiService`. */
export function displayName(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '') || logicalId;
}
