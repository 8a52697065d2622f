import type { Rule, Statement } from '@aws-sdk/client-wafv2';
import {
  assessGuard,
  type GuardFinding,
  type GuardObservations,
} from '../../../guard-watch/guard-assessment';
import { WAF_RULE_NAMES } from '../../../stacks/waf-guard';
import {
  allowConditions,
  allowRule,
  blockRule,
  deployedIpSet,
  deployedRules,
  deployedWebAcl,
  GUARD_ARNS,
  guardExpectations,
  headerEquals,
  intactGuard,
  isPost,
  natSourceCheck,
  registrationPathRegex,
} from '../../helpers/guard-state';

const kindsOf = (findings: GuardFinding[]) => findings.map((entry) => entry.kind);
const assess = (observed: GuardObservations) => assessGuard(observed, guardExpectations());
const withRules = (rules: Rule[]): GuardObservations =>
  intactGuard({ webAcl: { ok: true, value: deployedWebAcl(rules) } });
/** The deployed rules with the one named `name` replaced (or dropped, for `undefined`). */
const replacing = (name: string, replacement: Rule | undefined): Rule[] =>
  deployedRules().flatMap((rule) =>
    rule.Name !== name ? [rule] : replacement === undefined ? [] : [replacement],
  );
const allowWith = (statements: Statement[]): GuardObservations =>
  withRules(replacing(WAF_RULE_NAMES.allowSignedRegistration, allowRule(statements)));
const blockWith = (statements: Statement[]): GuardObservations =>
  withRules(replacing(WAF_RULE_NAMES.blockUnsignedRegistration, blockRule(statements)));
const withAddresses = (addresses: string[]): GuardObservations =>
  intactGuard({ ipSet: { ok: true, value: deployedIpSet(addresses) } });

describe('assessing the live registration guard', () => {
  test('when everything is as deployed, then there are no findings', () => {
    expect(assess(intactGuard())).toStrictEqual([]);
  });

  test('when the IP set lists the addresses in another order and without /32, then there are no findings', () => {
    expect(assess(withAddresses(['203.0.113.11', '203.0.113.10/32']))).toStrictEqual([]);
  });

  test('when a rotation left a single accepted header value, then there are no findings', () => {
    const [method, path, , source] = allowConditions();
    if (method === undefined || path === undefined || source === undefined) throw new Error();

    expect(assess(allowWith([method, path, headerEquals('OnlyValue0123456789'), source]))).toEqual(
      [],
    );
  });

  describe('association', () => {
    test('when the load balancer has no WebACL, then NotAssociated', () => {
      const observed = intactGuard({ association: { ok: true, value: { webAclArn: undefined } } });

      expect(kindsOf(assess(observed))).toStrictEqual(['NotAssociated']);
    });

    test('when the load balancer carries another WebACL, then OtherWebAclAssociated naming it', () => {
      const observed = intactGuard({
        association: { ok: true, value: { webAclArn: GUARD_ARNS.otherWebAcl } },
      });

      const findings = assess(observed);

      expect(kindsOf(findings)).toStrictEqual(['OtherWebAclAssociated']);
      expect(findings[0]?.detail).toContain(GUARD_ARNS.otherWebAcl);
    });
  });

  describe('guard rules present and acting', () => {
    test('when the allow rule is missing, then GuardRuleMissing naming it', () => {
      const findings = assess(
        withRules(replacing(WAF_RULE_NAMES.allowSignedRegistration, undefined)),
      );

      expect(kindsOf(findings)).toStrictEqual(['GuardRuleMissing']);
      expect(findings[0]?.detail).toContain(WAF_RULE_NAMES.allowSignedRegistration);
    });

    test('when the block rule is missing, then GuardRuleMissing naming it', () => {
      const findings = assess(
        withRules(replacing(WAF_RULE_NAMES.blockUnsignedRegistration, undefined)),
      );

      expect(kindsOf(findings)).toStrictEqual(['GuardRuleMissing']);
      expect(findings[0]?.detail).toContain(WAF_RULE_NAMES.blockUnsignedRegistration);
    });

    test('when the block rule was renamed, then GuardRuleMissing, listing the names present', () => {
      const renamed = { ...blockRule(), Name: 'BlockRegistrationsTemp' };

      const findings = assess(
        withRules(replacing(WAF_RULE_NAMES.blockUnsignedRegistration, renamed)),
      );

      // The renamed rule also stands ahead of nothing: it kept priority 1, after the allow rule.
      expect(kindsOf(findings)).toStrictEqual(['GuardRuleMissing']);
      expect(findings[0]?.detail).toContain('BlockRegistrationsTemp');
    });

    test('when the WebACL has no rules at all, then both guard rules are missing', () => {
      expect(kindsOf(assess(withRules([])))).toStrictEqual([
        'GuardRuleMissing',
        'GuardRuleMissing',
      ]);
    });

    test('when the block rule is switched to Count (the incident switch), then GuardRuleActionChanged', () => {
      const counting: Rule = { ...blockRule(), Action: { Count: {} } };

      const findings = assess(
        withRules(replacing(WAF_RULE_NAMES.blockUnsignedRegistration, counting)),
      );

      expect(kindsOf(findings)).toStrictEqual(['GuardRuleActionChanged']);
      expect(findings[0]?.detail).toMatch(/BlockUnsignedRegistration is Count, not Block/);
    });

    test('when the block rule is changed to Allow, then GuardRuleActionChanged', () => {
      const allowing: Rule = { ...blockRule(), Action: { Allow: {} } };

      const findings = assess(
        withRules(replacing(WAF_RULE_NAMES.blockUnsignedRegistration, allowing)),
      );

      expect(kindsOf(findings)).toStrictEqual(['GuardRuleActionChanged']);
      expect(findings[0]?.detail).toMatch(/is Allow, not Block/);
    });

    test('when the allow rule is switched to Count, then GuardRuleActionChanged', () => {
      const counting: Rule = { ...allowRule(), Action: { Count: {} } };

      const findings = assess(
        withRules(replacing(WAF_RULE_NAMES.allowSignedRegistration, counting)),
      );

      expect(kindsOf(findings)).toStrictEqual(['GuardRuleActionChanged']);
      expect(findings[0]?.detail).toMatch(/AllowSignedRegistration is Count, not Allow/);
    });

    test('when the block rule becomes a CAPTCHA, then GuardRuleActionChanged', () => {
      const captcha: Rule = { ...blockRule(), Action: { Captcha: {} } };

      expect(
        kindsOf(assess(withRules(replacing(WAF_RULE_NAMES.blockUnsignedRegistration, captcha)))),
      ).toStrictEqual(['GuardRuleActionChanged']);
    });
  });

  describe('order: the guard comes first', () => {
    test('when a rule allowing POST /user is inserted ahead of the guard, then RuleAheadOfGuard naming it', () => {
      const bypass: Rule = {
        Name: 'AllowPartnerRegistrations',
        Priority: 0,
        Action: { Allow: {} },
        Statement: { AndStatement: { Statements: [isPost(), registrationPathRegex()] } },
        VisibilityConfig: {
          CloudWatchMetricsEnabled: true,
          SampledRequestsEnabled: true,
          MetricName: 'AllowPartnerRegistrations',
        },
      };
      const rules = [
        bypass,
        ...deployedRules().map((rule) => ({ ...rule, Priority: (rule.Priority ?? 0) + 1 })),
      ];

      const findings = assess(withRules(rules));

      expect(kindsOf(findings)).toStrictEqual(['RuleAheadOfGuard']);
      expect(findings[0]?.detail).toBe(
        'AllowPartnerRegistrations (priority 0, Allow) is evaluated before the guard',
      );
    });

    test('when a counting rule is inserted between the allow and the block rule, then RuleAheadOfGuard', () => {
      const counting: Rule = {
        Name: 'CountRegistrations',
        Priority: 1,
        Action: { Count: {} },
        Statement: registrationPathRegex(),
        VisibilityConfig: {
          CloudWatchMetricsEnabled: true,
          SampledRequestsEnabled: true,
          MetricName: 'CountRegistrations',
        },
      };
      const rules = deployedRules().map((rule) =>
        rule.Name === WAF_RULE_NAMES.allowSignedRegistration
          ? rule
          : { ...rule, Priority: (rule.Priority ?? 0) + 1 },
      );

      const findings = assess(withRules([...rules, counting]));

      expect(kindsOf(findings)).toStrictEqual(['RuleAheadOfGuard']);
      expect(findings[0]?.detail).toContain('CountRegistrations (priority 1, Count)');
    });

    test('when a managed rule group is moved ahead of the guard, then RuleAheadOfGuard', () => {
      const rules = deployedRules().map((rule) =>
        rule.Name === WAF_RULE_NAMES.commonRuleSet
          ? { ...rule, Priority: 0 }
          : { ...rule, Priority: (rule.Priority ?? 0) + 1 },
      );

      const findings = assess(withRules(rules));

      expect(kindsOf(findings)).toStrictEqual(['RuleAheadOfGuard']);
      expect(findings[0]?.detail).toContain(
        `${WAF_RULE_NAMES.commonRuleSet} (priority 0, a rule group)`,
      );
    });

    test('when the block rule is evaluated before the allow rule, then GuardRulesOutOfOrder', () => {
      const rules = deployedRules().map((rule) =>
        rule.Name === WAF_RULE_NAMES.allowSignedRegistration
          ? { ...rule, Priority: 1 }
          : rule.Name === WAF_RULE_NAMES.blockUnsignedRegistration
            ? { ...rule, Priority: 0 }
            : rule,
      );

      expect(kindsOf(assess(withRules(rules)))).toStrictEqual(['GuardRulesOutOfOrder']);
    });
  });

  describe("the allow rule's conditions", () => {
    const [method, path, header, source] = allowConditions();
    if (
      method === undefined ||
      path === undefined ||
      header === undefined ||
      source === undefined
    ) {
      throw new Error('allowConditions changed shape');
    }

    test('when the allow rule no longer references the NAT IP set, then AllowRuleNoLongerChecksSource', () => {
      expect(kindsOf(assess(allowWith([method, path, header])))).toStrictEqual([
        'AllowRuleNoLongerChecksSource',
      ]);
    });

    test('when the allow rule references another IP set, then AllowRuleNoLongerChecksSource naming it', () => {
      const findings = assess(
        allowWith([method, path, header, natSourceCheck(GUARD_ARNS.otherIpSet)]),
      );

      expect(kindsOf(findings)).toStrictEqual(['AllowRuleNoLongerChecksSource']);
      expect(findings[0]?.detail).toContain(GUARD_ARNS.otherIpSet);
    });

    test('when the allow rule reads the address from X-Forwarded-For, then AllowRuleNoLongerChecksSource', () => {
      const forwarded: Statement = {
        IPSetReferenceStatement: {
          ARN: GUARD_ARNS.natIpSet,
          IPSetForwardedIPConfig: {
            HeaderName: 'X-Forwarded-For',
            FallbackBehavior: 'MATCH',
            Position: 'FIRST',
          },
        },
      };

      const findings = assess(allowWith([method, path, header, forwarded]));

      expect(kindsOf(findings)).toStrictEqual(['AllowRuleNoLongerChecksSource']);
      expect(findings[0]?.detail).toContain('X-Forwarded-For');
    });

    test('when the allow rule no longer checks the header, then AllowRuleNoLongerChecksHeader', () => {
      expect(kindsOf(assess(allowWith([method, path, source])))).toStrictEqual([
        'AllowRuleNoLongerChecksHeader',
      ]);
    });

    test('when the allow rule checks another header, then AllowRuleNoLongerChecksHeader', () => {
      const otherHeader = headerEquals('Current0123456789abcdefghijklmnopqrstuvwxyzABCD', {
        name: 'x-api-key',
      });

      expect(kindsOf(assess(allowWith([method, path, otherHeader, source])))).toStrictEqual([
        'AllowRuleNoLongerChecksHeader',
      ]);
    });

    test('when the header is only required to contain the value, then AllowRuleNoLongerChecksHeader', () => {
      const contains = headerEquals('C', { constraint: 'CONTAINS' });

      expect(kindsOf(assess(allowWith([method, path, contains, source])))).toStrictEqual([
        'AllowRuleNoLongerChecksHeader',
      ]);
    });

    test('when the header is matched against an empty value, then AllowRuleNoLongerChecksHeader', () => {
      expect(kindsOf(assess(allowWith([method, path, headerEquals(''), source])))).toStrictEqual([
        'AllowRuleNoLongerChecksHeader',
      ]);
    });

    test('when the header and the source become alternatives (Or), then both checks are reported lost', () => {
      const either: Rule = {
        ...allowRule(),
        Statement: { OrStatement: { Statements: [header, source] } },
      };

      expect(
        kindsOf(assess(withRules(replacing(WAF_RULE_NAMES.allowSignedRegistration, either)))),
      ).toStrictEqual(['AllowRuleNoLongerChecksSource', 'AllowRuleNoLongerChecksHeader']);
    });
  });

  describe("the block rule's scope", () => {
    test('when the block rule no longer matches the registration path, then BlockRuleScopeChanged', () => {
      expect(kindsOf(assess(blockWith([isPost()])))).toStrictEqual(['BlockRuleScopeChanged']);
    });

    test('when its expression was edited, then BlockRuleScopeChanged', () => {
      const narrowed = registrationPathRegex({ pattern: '^/user$' });

      expect(kindsOf(assess(blockWith([isPost(), narrowed])))).toStrictEqual([
        'BlockRuleScopeChanged',
      ]);
    });

    test('when its path is no longer lower-cased, then BlockRuleScopeChanged (`/USER` would pass)', () => {
      const caseSensitive = registrationPathRegex({ transformation: 'NONE' });

      expect(kindsOf(assess(blockWith([isPost(), caseSensitive])))).toStrictEqual([
        'BlockRuleScopeChanged',
      ]);
    });

    test('when a further condition narrows it, then BlockRuleScopeChanged', () => {
      const onlyWithoutHeader: Statement = {
        NotStatement: { Statement: headerEquals('x') },
      };

      const findings = assess(blockWith([isPost(), registrationPathRegex(), onlyWithoutHeader]));

      expect(kindsOf(findings)).toStrictEqual(['BlockRuleScopeChanged']);
      expect(findings[0]?.detail).toContain('1 further condition');
    });

    test('when it no longer requires POST, then BlockRuleScopeChanged', () => {
      expect(kindsOf(assess(blockWith([registrationPathRegex()])))).toStrictEqual([
        'BlockRuleScopeChanged',
      ]);
    });
  });

  describe('the NAT IP set', () => {
    test('when it holds an extra address, then IpSetAddressUnexpected naming it', () => {
      const findings = assess(withAddresses(['203.0.113.10/32', '203.0.113.11/32', '0.0.0.0/0']));

      expect(kindsOf(findings)).toStrictEqual(['IpSetAddressUnexpected']);
      expect(findings[0]?.detail).toContain('0.0.0.0/0');
    });

    test('when it lacks one of the NAT addresses, then IpSetAddressMissing naming it', () => {
      const findings = assess(withAddresses(['203.0.113.10/32']));

      expect(kindsOf(findings)).toStrictEqual(['IpSetAddressMissing']);
      expect(findings[0]?.detail).toContain('203.0.113.11/32');
    });

    test('when one address was swapped for another, then both findings', () => {
      expect(kindsOf(assess(withAddresses(['203.0.113.10/32', '198.51.100.7/32'])))).toStrictEqual([
        'IpSetAddressUnexpected',
        'IpSetAddressMissing',
      ]);
    });

    test('when it is empty, then IpSetEmpty alone', () => {
      expect(kindsOf(assess(withAddresses([])))).toStrictEqual(['IpSetEmpty']);
    });
  });

  describe('a read that failed', () => {
    test.each([
      ['association', 'GetWebACLForResource'],
      ['webAcl', 'GetWebACL'],
      ['ipSet', 'GetIPSet'],
    ] as const)(
      'when %s could not be read, then CannotVerify naming %s and the error, and the other parts are still checked',
      (part, call) => {
        const failed = { ok: false as const, call, error: 'AccessDeniedException: not authorized' };
        const observed = intactGuard({
          [part]: failed,
          // Break another part too: its finding must still be reported.
          ...(part === 'ipSet'
            ? { association: { ok: true as const, value: { webAclArn: undefined } } }
            : { ipSet: { ok: true as const, value: deployedIpSet([]) } }),
        });

        const findings = assess(observed);

        expect(kindsOf(findings)).toContain('CannotVerify');
        expect(kindsOf(findings)).toContain(part === 'ipSet' ? 'NotAssociated' : 'IpSetEmpty');
        const cannot = findings.find((entry) => entry.kind === 'CannotVerify');
        expect(cannot?.detail).toContain(call);
        expect(cannot?.detail).toContain('AccessDeniedException');
      },
    );
  });

  test('no finding ever carries a header value', () => {
    const secret = 'Current0123456789abcdefghijklmnopqrstuvwxyzABCD';
    const broken = intactGuard({
      association: { ok: true, value: { webAclArn: undefined } },
      webAcl: {
        ok: true,
        value: deployedWebAcl([
          { ...allowRule([headerEquals(secret, { name: 'x-other' })]), Action: { Count: {} } },
          { ...blockRule([headerEquals(secret)]), Priority: 0 },
        ]),
      },
    });

    const findings = assess(broken);

    expect(findings.length).toBeGreaterThan(3);
    expect(JSON.stringify(findings)).not.toContain(secret);
  });
});
