import type { IPSet, Rule, Statement, WebACL } from '@aws-sdk/client-wafv2';

/**
 * What can be wrong with the registration guard. Each kind is also the `Finding` dimension of
 * the `GuardWeakened` metric, so the names are a contract with the alarms and the runbook
 * (docs/operations.md, "When the guard is weakened").
 */
export const GUARD_FINDING_KINDS = [
  /** One of the three reads failed: an unverified guard counts as a weakened one. */
  'CannotVerify',
  'NotAssociated',
  'OtherWebAclAssociated',
  /** A guard rule is gone, or was renamed (its metrics and this check know it by name). */
  'GuardRuleMissing',
  'GuardRuleActionChanged',
  /** The block rule is evaluated before the allow rule: every registration is refused. */
  'GuardRulesOutOfOrder',
  /** Another rule is evaluated before the guard and can allow, refuse or count registrations. */
  'RuleAheadOfGuard',
  'AllowRuleNoLongerChecksSource',
  'AllowRuleNoLongerChecksHeader',
  'BlockRuleScopeChanged',
  'IpSetEmpty',
  'IpSetAddressMissing',
  'IpSetAddressUnexpected',
] as const;
export type GuardFindingKind = (typeof GUARD_FINDING_KINDS)[number];

export interface GuardFinding {
  readonly kind: GuardFindingKind;
  /** One sentence for the log line and the operator. Never a header value. */
  readonly detail: string;
}

/** What the stack deployed, and so what the live guard must still be. */
export interface GuardExpectations {
  readonly webAclArn: string;
  readonly ipSetArn: string;
  readonly allowRuleName: string;
  readonly blockRuleName: string;
  /** Lower-case; WAF compares header names case-insensitively. */
  readonly headerName: string;
  /** The block rule's regular expression for every path express routes to `POST /user`. */
  readonly registrationPathPattern: string;
  /** The NAT egress addresses as CIDRs (`203.0.113.10/32`): exactly what the IP set holds. */
  readonly natEgressAddresses: readonly string[];
}

/** One read of the live state: its answer, or which call failed and why. */
export type Observation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly call: string; readonly error: string };

/** The live state, as GetWebACLForResource, GetWebACL and GetIPSet answered. */
export interface GuardObservations {
  /** The WebACL the load balancer is associated with; `undefined` when it has none. */
  readonly association: Observation<{ readonly webAclArn: string | undefined }>;
  readonly webAcl: Observation<WebACL>;
  readonly ipSet: Observation<IPSet>;
}

const decoder = new TextDecoder();
const text = (bytes: Uint8Array | undefined): string =>
  bytes === undefined ? '' : decoder.decode(bytes);

const finding = (kind: GuardFindingKind, detail: string): GuardFinding => ({ kind, detail });

function cannotVerify(observation: { call: string; error: string }): GuardFinding {
  return finding(
    'CannotVerify',
    `${observation.call} failed (${observation.error}): the guard cannot be verified`,
  );
}

/** The parts a rule requires together: an And's statements, or the statement alone. */
const conjunctsOf = (statement: Statement | undefined): Statement[] =>
  statement === undefined ? [] : (statement.AndStatement?.Statements ?? [statement]);

/** The rule's action as the console names it; a rule group has an override action instead. */
function actionOf(rule: Rule): string {
  const action = rule.Action;
  if (action !== undefined) {
    const names = ['Allow', 'Block', 'Count', 'Captcha', 'Challenge'] as const;
    return names.find((name) => action[name] !== undefined) ?? 'an action this check does not know';
  }
  if (rule.OverrideAction?.Count !== undefined) return 'a rule group counting only';
  if (rule.OverrideAction !== undefined) return 'a rule group';
  return 'no action';
}

const describeRule = (rule: Rule): string =>
  `${rule.Name ?? '(unnamed)'} (priority ${rule.Priority ?? '?'}, ${actionOf(rule)})`;

function associationFindings(
  association: GuardObservations['association'],
  expected: GuardExpectations,
): GuardFinding[] {
  if (!association.ok) return [cannotVerify(association)];
  const { webAclArn } = association.value;
  if (webAclArn === undefined) {
    return [
      finding(
        'NotAssociated',
        'the load balancer has no WebACL: POST /user is guarded by the API alone',
      ),
    ];
  }
  if (webAclArn !== expected.webAclArn) {
    return [
      finding(
        'OtherWebAclAssociated',
        `the load balancer is associated with ${webAclArn}, not with the guard's WebACL`,
      ),
    ];
  }
  return [];
}

const isExactHeaderMatch = (statement: Statement, headerName: string): boolean => {
  const match = statement.ByteMatchStatement;
  return (
    match?.FieldToMatch?.SingleHeader?.Name?.toLowerCase() === headerName &&
    match.PositionalConstraint === 'EXACTLY' &&
    (match.SearchString?.length ?? 0) > 0
  );
};

/** "Header equals one of the accepted values": one exact match, or an Or of them (rotation). */
const isHeaderCheck = (statement: Statement, headerName: string): boolean =>
  isExactHeaderMatch(statement, headerName) ||
  (statement.OrStatement?.Statements !== undefined &&
    statement.OrStatement.Statements.length > 0 &&
    statement.OrStatement.Statements.every((inner) => isExactHeaderMatch(inner, headerName)));

function allowRuleFindings(rule: Rule, expected: GuardExpectations): GuardFinding[] {
  const findings: GuardFinding[] = [];
  const conjuncts = conjunctsOf(rule.Statement);
  const references = conjuncts.flatMap((part) =>
    part.IPSetReferenceStatement === undefined ? [] : [part.IPSetReferenceStatement],
  );
  const ours = references.filter((reference) => reference.ARN === expected.ipSetArn);
  if (ours.length === 0) {
    const others = references.map((reference) => reference.ARN ?? '(no ARN)');
    findings.push(
      finding(
        'AllowRuleNoLongerChecksSource',
        others.length > 0
          ? `${expected.allowRuleName} requires the IP set ${others.join(', ')} instead of the NAT IP set`
          : `${expected.allowRuleName} no longer requires the source address to be in the NAT IP set`,
      ),
    );
  } else if (ours.every((reference) => reference.IPSetForwardedIPConfig !== undefined)) {
    const header = ours[0]?.IPSetForwardedIPConfig?.HeaderName ?? 'a forwarded-address header';
    findings.push(
      finding(
        'AllowRuleNoLongerChecksSource',
        `${expected.allowRuleName} takes the address from ${header}, which any client can set, ` +
          'instead of the connection',
      ),
    );
  }
  if (!conjuncts.some((part) => isHeaderCheck(part, expected.headerName))) {
    findings.push(
      finding(
        'AllowRuleNoLongerChecksHeader',
        `${expected.allowRuleName} no longer requires header ${expected.headerName} to equal ` +
          'an accepted value exactly',
      ),
    );
  }
  return findings;
}

const isPostMatch = (statement: Statement): boolean => {
  const match = statement.ByteMatchStatement;
  return (
    match?.FieldToMatch?.Method !== undefined &&
    match.PositionalConstraint === 'EXACTLY' &&
    text(match.SearchString) === 'POST'
  );
};

const isRegistrationPathMatch = (statement: Statement, pattern: string): boolean => {
  const match = statement.RegexMatchStatement;
  return (
    match?.FieldToMatch?.UriPath !== undefined &&
    match.RegexString === pattern &&
    // Without it `/USER` slips past the expression, and express still routes it.
    (match.TextTransformations ?? []).some((transformation) => transformation.Type === 'LOWERCASE')
  );
};

/**
 * The block rule must refuse every `POST` the router sends to the registration handler: exactly
 * "method is POST AND path matches the pattern". Any further condition narrows it.
 */
function blockRuleFindings(rule: Rule, expected: GuardExpectations): GuardFinding[] {
  const conjuncts = conjunctsOf(rule.Statement);
  const problems: string[] = [];
  if (!conjuncts.some(isPostMatch)) problems.push('no longer matches every POST');
  if (!conjuncts.some((part) => isRegistrationPathMatch(part, expected.registrationPathPattern))) {
    problems.push('no longer matches every registration path (lower-cased, the deployed pattern)');
  }
  const extra = conjuncts.filter(
    (part) =>
      !isPostMatch(part) && !isRegistrationPathMatch(part, expected.registrationPathPattern),
  );
  if (extra.length > 0) problems.push(`has ${extra.length} further condition(s) narrowing it`);
  return problems.length === 0
    ? []
    : [finding('BlockRuleScopeChanged', `${expected.blockRuleName} ${problems.join('; ')}`)];
}

function ruleFindings(webAcl: WebACL, expected: GuardExpectations): GuardFinding[] {
  const rules = webAcl.Rules ?? [];
  const findings: GuardFinding[] = [];
  const allow = rules.find((rule) => rule.Name === expected.allowRuleName);
  const block = rules.find((rule) => rule.Name === expected.blockRuleName);
  const present = rules.map((rule) => rule.Name ?? '(unnamed)').join(', ') || 'none';
  for (const [name, rule] of [
    [expected.allowRuleName, allow],
    [expected.blockRuleName, block],
  ] as const) {
    if (rule === undefined) {
      findings.push(
        finding('GuardRuleMissing', `the WebACL has no rule ${name} (its rules: ${present})`),
      );
    }
  }

  if (allow !== undefined && actionOf(allow) !== 'Allow') {
    findings.push(
      finding(
        'GuardRuleActionChanged',
        `${expected.allowRuleName} is ${actionOf(allow)}, not Allow: signed registrations ` +
          'now meet the block rule and the managed rule groups',
      ),
    );
  }
  if (block !== undefined && actionOf(block) !== 'Block') {
    findings.push(
      finding(
        'GuardRuleActionChanged',
        `${expected.blockRuleName} is ${actionOf(block)}, not Block: unsigned registrations ` +
          'are no longer stopped by WAF',
      ),
    );
  }

  const priority = (rule: Rule): number => rule.Priority ?? Number.POSITIVE_INFINITY;
  if (allow !== undefined && block !== undefined && priority(allow) > priority(block)) {
    findings.push(
      finding(
        'GuardRulesOutOfOrder',
        `${expected.blockRuleName} is evaluated before ${expected.allowRuleName}: ` +
          'every registration is refused',
      ),
    );
  }
  // The guard must be the first thing WAF evaluates. Whatever comes before it can let
  // registrations through (Allow), refuse them (Block, a managed group), or is one edit away
  // from either (Count); which requests a statement matches cannot be judged in general.
  const guardEnd = block ?? allow;
  if (guardEnd !== undefined) {
    for (const rule of rules) {
      if (rule === allow || rule === block || priority(rule) >= priority(guardEnd)) continue;
      findings.push(
        finding('RuleAheadOfGuard', `${describeRule(rule)} is evaluated before the guard`),
      );
    }
  }

  if (allow !== undefined) findings.push(...allowRuleFindings(allow, expected));
  if (block !== undefined) findings.push(...blockRuleFindings(block, expected));
  return findings;
}

/** `203.0.113.10` and `203.0.113.10/32` are one address; WAF stores the CIDR form. */
function normalizeCidr(address: string): string {
  const trimmed = address.trim().toLowerCase();
  if (trimmed.includes('/')) return trimmed;
  return `${trimmed}/${trimmed.includes(':') ? 128 : 32}`;
}

function ipSetFindings(ipSet: IPSet, expected: GuardExpectations): GuardFinding[] {
  const actual = new Set((ipSet.Addresses ?? []).map(normalizeCidr));
  const wanted = new Set(expected.natEgressAddresses.map(normalizeCidr));
  if (actual.size === 0) {
    return [finding('IpSetEmpty', 'the NAT IP set is empty: no sender can register through WAF')];
  }
  const findings: GuardFinding[] = [];
  const unexpected = [...actual].filter((address) => !wanted.has(address));
  const missing = [...wanted].filter((address) => !actual.has(address));
  if (unexpected.length > 0) {
    findings.push(
      finding(
        'IpSetAddressUnexpected',
        `the NAT IP set also admits ${unexpected.join(', ')}, which is not a NAT egress address`,
      ),
    );
  }
  if (missing.length > 0) {
    findings.push(
      finding(
        'IpSetAddressMissing',
        `the NAT IP set lacks ${missing.join(', ')}: registrations leaving through it are blocked`,
      ),
    );
  }
  return findings;
}

/**
 * Compares the live guard with what the stack deployed and returns what is wrong with it; an
 * empty list means the guard is intact. Pure: the reads are made elsewhere (guard-observer.ts).
 */
export function assessGuard(
  observed: GuardObservations,
  expected: GuardExpectations,
): GuardFinding[] {
  return [
    ...associationFindings(observed.association, expected),
    ...(observed.webAcl.ok
      ? ruleFindings(observed.webAcl.value, expected)
      : [cannotVerify(observed.webAcl)]),
    ...(observed.ipSet.ok
      ? ipSetFindings(observed.ipSet.value, expected)
      : [cannotVerify(observed.ipSet)]),
  ];
}
