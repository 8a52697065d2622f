/**
 * A small evaluator for the subset of WAFv2 rule JSON the WebACL uses, run against the
 * SYNTHESIZED template: And/Or/Not, ByteMatch (UriPath, Method, SingleHeader, QueryString) with
 * NONE/LOWERCASE/URL_DECODE transformations, RegexMatch, and IPSetReference resolved to the
 * synthesized IP set's addresses. Intrinsics (Ref, Fn::GetAtt, Fn::Join) and Secrets Manager
 * dynamic references are replaced by the concrete test values the caller supplies.
 *
 * Managed rule groups and rate-based rules cannot be evaluated offline: they are treated as not
 * matching and reported in `unevaluated`, so a test can see which rules it took on trust.
 * Anything else unknown throws, so the evaluator never silently misreads a rule.
 */

export interface WafRequest {
  method: string;
  /** The request-target as sent on the request line (path, optional query, even a fragment). */
  target: string;
  headers?: Record<string, string>;
  sourceIp: string;
}

export interface WafVerdict {
  action: 'ALLOW' | 'BLOCK';
  /** Name of the terminating rule, or `DEFAULT` for the WebACL default action. */
  rule: string;
  /** Rules that were skipped because they cannot be evaluated offline. */
  unevaluated: string[];
}

export interface IntrinsicValues {
  /** Value of `Fn::GetAtt [logicalId, attribute]`. */
  getAtt(logicalId: string, attribute: string): string;
  /** Value of `Ref logicalId`. */
  ref(logicalId: string): string;
  /** Value of `{{resolve:secretsmanager:<arn>:SecretString:<jsonKey>::}}`. */
  secretJsonKey(secretArn: string, jsonKey: string): string;
}

interface TemplateResources {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function only(value: Json, what: string): [string, unknown] {
  const entries = Object.entries(value);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) {
    throw new Error(`${what} must have exactly one key, got ${Object.keys(value).join(', ')}`);
  }
  return entry;
}

const DYNAMIC_REFERENCE =
  /\{\{resolve:secretsmanager:(.+?):SecretString:([A-Za-z0-9_.-]+):([^:}]*):([^:}]*)\}\}/g;

/** Resolves a CloudFormation value (string or intrinsic) to a string with the test values. */
export function resolveValue(value: unknown, intrinsics: IntrinsicValues): string {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (isObject(value)) {
    const [fn, args] = only(value, 'intrinsic');
    if (fn === 'Ref' && typeof args === 'string') text = intrinsics.ref(args);
    else if (fn === 'Fn::GetAtt' && Array.isArray(args)) {
      text = intrinsics.getAtt(String(args[0]), String(args[1]));
    } else if (fn === 'Fn::Join' && Array.isArray(args) && Array.isArray(args[1])) {
      text = (args[1] as unknown[])
        .map((part) => resolveValue(part, intrinsics))
        .join(String(args[0]));
    } else throw new Error(`unsupported intrinsic ${fn}`);
  } else {
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  }
  return text.replace(
    DYNAMIC_REFERENCE,
    (_match, arn: string, key: string, stage: string, id: string) => {
      if (stage !== '' || id !== '')
        throw new Error('versioned dynamic references are not modelled');
      return intrinsics.secretJsonKey(arn, key);
    },
  );
}

function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (
    parts.length !== 4 ||
    parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)
  ) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((sum, part) => sum * 256 + part, 0);
}

/** True when `ip` lies in `cidr` (IPv4). */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? '32');
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4ToNumber(ip) / size) === Math.floor(ipv4ToNumber(base) / size);
}

function applyTransformations(value: string, transformations: unknown): string {
  if (!Array.isArray(transformations)) throw new Error('TextTransformations must be a list');
  const ordered = [...(transformations as Json[])].sort(
    (a, b) => Number(a.Priority) - Number(b.Priority),
  );
  return ordered.reduce((current, transformation) => {
    switch (transformation.Type) {
      case 'NONE':
        return current;
      case 'LOWERCASE':
        return current.toLowerCase();
      case 'URL_DECODE':
        // WAF decodes what it can and leaves malformed escapes alone.
        return current.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) =>
          String.fromCharCode(parseInt(hex, 16)),
        );
      default:
        throw new Error(`unsupported text transformation ${String(transformation.Type)}`);
    }
  }, value);
}

/**
 * The component of the request a FieldToMatch selects, or undefined when it is absent (a missing
 * header matches nothing). UriPath is everything before the first `?`: WAF does not strip a
 * fragment or the scheme and host of an absolute-form target, so neither do we (the worst case).
 */
function fieldValue(request: WafRequest, fieldToMatch: unknown): string | undefined {
  if (!isObject(fieldToMatch)) throw new Error('FieldToMatch must be an object');
  const [field, options] = only(fieldToMatch, 'FieldToMatch');
  const queryStart = request.target.indexOf('?');
  switch (field) {
    case 'UriPath':
      return queryStart === -1 ? request.target : request.target.slice(0, queryStart);
    case 'QueryString':
      return queryStart === -1 ? '' : request.target.slice(queryStart + 1);
    case 'Method':
      return request.method;
    case 'SingleHeader': {
      if (!isObject(options) || typeof options.Name !== 'string') {
        throw new Error('SingleHeader needs a Name (capital N)');
      }
      const wanted = options.Name.toLowerCase();
      const header = Object.entries(request.headers ?? {}).find(
        ([name]) => name.toLowerCase() === wanted,
      );
      return header?.[1];
    }
    default:
      throw new Error(`unsupported FieldToMatch ${field}`);
  }
}

function positionalMatch(haystack: string, needle: string, constraint: unknown): boolean {
  switch (constraint) {
    case 'EXACTLY':
      return haystack === needle;
    case 'STARTS_WITH':
      return haystack.startsWith(needle);
    case 'ENDS_WITH':
      return haystack.endsWith(needle);
    case 'CONTAINS':
      return haystack.includes(needle);
    default:
      throw new Error(`unsupported PositionalConstraint ${String(constraint)}`);
  }
}

/** Evaluates synthesized WebACLs against concrete requests. */
export class WafEvaluator {
  private readonly rules: Json[];
  private readonly defaultAction: 'ALLOW' | 'BLOCK';

  constructor(
    private readonly template: TemplateResources,
    webAclLogicalId: string,
    private readonly intrinsics: IntrinsicValues,
  ) {
    const webAcl = template.Resources[webAclLogicalId];
    if (webAcl?.Type !== 'AWS::WAFv2::WebACL' || webAcl.Properties === undefined) {
      throw new Error(`${webAclLogicalId} is not a WebACL`);
    }
    const rules = webAcl.Properties.Rules;
    if (!Array.isArray(rules)) throw new Error('WebACL has no rules');
    this.rules = [...(rules as Json[])].sort((a, b) => Number(a.Priority) - Number(b.Priority));
    const defaultAction = webAcl.Properties.DefaultAction;
    if (!isObject(defaultAction)) throw new Error('WebACL has no DefaultAction');
    this.defaultAction = 'Block' in defaultAction ? 'BLOCK' : 'ALLOW';
  }

  evaluate(request: WafRequest): WafVerdict {
    const unevaluated: string[] = [];
    for (const rule of this.rules) {
      const name = String(rule.Name);
      const outcome = this.matches(rule.Statement, request);
      if (outcome === 'unevaluable') {
        unevaluated.push(name);
        continue;
      }
      if (!outcome) continue;
      const action = rule.Action;
      if (!isObject(action)) continue; // a rule group with OverrideAction: not terminating here
      if ('Allow' in action) return { action: 'ALLOW', rule: name, unevaluated };
      if ('Block' in action) return { action: 'BLOCK', rule: name, unevaluated };
      if ('Count' in action) continue;
      throw new Error(`unsupported rule action in ${name}`);
    }
    return { action: this.defaultAction, rule: 'DEFAULT', unevaluated };
  }

  /** The addresses of a synthesized IP set, intrinsics resolved. */
  ipSetAddresses(ipSetLogicalId: string): string[] {
    const ipSet = this.template.Resources[ipSetLogicalId];
    if (ipSet?.Type !== 'AWS::WAFv2::IPSet' || !Array.isArray(ipSet.Properties?.Addresses)) {
      throw new Error(`${ipSetLogicalId} is not an IP set`);
    }
    return (ipSet.Properties.Addresses as unknown[]).map((address) =>
      resolveValue(address, this.intrinsics),
    );
  }

  private matches(statement: unknown, request: WafRequest): boolean | 'unevaluable' {
    if (!isObject(statement)) throw new Error('Statement must be an object');
    const [kind, body] = only(statement, 'Statement');
    if (!isObject(body)) throw new Error(`${kind} must be an object`);
    switch (kind) {
      case 'AndStatement':
      case 'OrStatement': {
        const results = (body.Statements as unknown[]).map((inner) => this.matches(inner, request));
        if (results.includes('unevaluable')) return 'unevaluable';
        return kind === 'AndStatement'
          ? results.every((result) => result === true)
          : results.some((result) => result === true);
      }
      case 'NotStatement': {
        const result = this.matches(body.Statement, request);
        return result === 'unevaluable' ? result : !result;
      }
      case 'ByteMatchStatement': {
        const value = fieldValue(request, body.FieldToMatch);
        if (value === undefined) return false;
        if (body.SearchStringBase64 !== undefined)
          throw new Error('SearchStringBase64 unsupported');
        const needle = resolveValue(body.SearchString, this.intrinsics);
        const transformed = applyTransformations(value, body.TextTransformations);
        return positionalMatch(transformed, needle, body.PositionalConstraint);
      }
      case 'RegexMatchStatement': {
        const value = fieldValue(request, body.FieldToMatch);
        if (value === undefined) return false;
        const transformed = applyTransformations(value, body.TextTransformations);
        return new RegExp(String(body.RegexString)).test(transformed);
      }
      case 'IPSetReferenceStatement': {
        const arn = body.Arn;
        if (!isObject(arn) || !Array.isArray(arn['Fn::GetAtt'])) {
          throw new Error('IPSetReferenceStatement must reference an IP set in the template');
        }
        const [ipSetLogicalId] = arn['Fn::GetAtt'] as unknown[];
        return this.ipSetAddresses(String(ipSetLogicalId)).some((cidr) =>
          ipInCidr(request.sourceIp, cidr),
        );
      }
      case 'ManagedRuleGroupStatement':
      case 'RateBasedStatement':
        return 'unevaluable';
      default:
        throw new Error(`unsupported statement ${kind}`);
    }
  }
}
