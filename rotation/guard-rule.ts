import type { Rule, Statement } from '@aws-sdk/client-wafv2';

/** Where the header check sits: the guard rule by name, and the header it compares. */
export interface GuardRuleLocation {
  ruleName: string;
  /** Lower-case header name; WAF matches header names case-insensitively. */
  headerName: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const isHeaderMatch = (statement: Statement, headerName: string): boolean => {
  const byteMatch = statement.ByteMatchStatement;
  return byteMatch?.FieldToMatch?.SingleHeader?.Name?.toLowerCase() === headerName;
};

/** A header check alone, or an Or of header checks: the part of the rule a rotation rewrites. */
const isHeaderCheck = (statement: Statement, headerName: string): boolean =>
  isHeaderMatch(statement, headerName) ||
  (statement.OrStatement?.Statements !== undefined &&
    statement.OrStatement.Statements.length > 0 &&
    statement.OrStatement.Statements.every((inner) => isHeaderMatch(inner, headerName)));

function headerCheckIndex(rule: Rule, location: GuardRuleLocation): number {
  const parts = rule.Statement?.AndStatement?.Statements ?? [];
  const indexes = parts
    .map((part, index) => (isHeaderCheck(part, location.headerName) ? index : -1))
    .filter((index) => index >= 0);
  const [index] = indexes;
  if (indexes.length !== 1 || index === undefined) {
    throw new Error(
      `rule ${location.ruleName} must be an And with exactly one check of header ` +
        `${location.headerName}; found ${indexes.length}`,
    );
  }
  return index;
}

function findRule(rules: readonly Rule[], location: GuardRuleLocation): Rule {
  const rule = rules.find((candidate) => candidate.Name === location.ruleName);
  if (rule === undefined) throw new Error(`the WebACL has no rule ${location.ruleName}`);
  return rule;
}

/** The header values the guard rule accepts now (its byte-match search strings). */
export function acceptedHeaderValuesOf(
  rules: readonly Rule[],
  location: GuardRuleLocation,
): string[] {
  const rule = findRule(rules, location);
  const check = rule.Statement?.AndStatement?.Statements?.[headerCheckIndex(rule, location)];
  const matches = check?.OrStatement?.Statements ?? (check ? [check] : []);
  return matches.map((match) => decoder.decode(match.ByteMatchStatement?.SearchString));
}

const headerEquals = (headerName: string, value: string): Statement => ({
  ByteMatchStatement: {
    FieldToMatch: { SingleHeader: { Name: headerName } },
    PositionalConstraint: 'EXACTLY',
    SearchString: encoder.encode(value),
    TextTransformations: [{ Priority: 0, Type: 'NONE' }],
  },
});

/**
 * The rules with the guard rule's header check replaced by "header equals one of `values`", in
 * the shape the stack synthesizes (one byte match, or an Or of them). Every other rule, and every
 * other part of the guard rule, is returned as it was.
 */
export function withAcceptedHeaderValues(
  rules: readonly Rule[],
  location: GuardRuleLocation,
  values: readonly string[],
): Rule[] {
  const [first] = values;
  if (first === undefined) throw new Error('the guard needs at least one accepted header value');
  const rule = findRule(rules, location);
  const index = headerCheckIndex(rule, location);
  const check: Statement =
    values.length === 1
      ? headerEquals(location.headerName, first)
      : {
          OrStatement: {
            Statements: values.map((value) => headerEquals(location.headerName, value)),
          },
        };
  const parts = [...(rule.Statement?.AndStatement?.Statements ?? [])];
  parts[index] = check;
  const rewritten: Rule = { ...rule, Statement: { AndStatement: { Statements: parts } } };
  return rules.map((candidate) => (candidate === rule ? rewritten : candidate));
}
