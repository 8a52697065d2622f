import type { Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { staticHeaderSecretSource } from '#contract/header-secret-source';
import { createServiceLogger } from '#contract/logger';
import { createApp } from '../../api/create-app';
import { WAF_RULE_NAMES } from '../../stacks/waf-guard';
import { logicalIdsOf, synthApp, TEST_HOSTED_ZONE, type SynthesizedApp } from './synth-app';
import { WafEvaluator, type WafRequest } from './waf-evaluator';

// Concrete stand-ins for what CloudFormation resolves at deploy time.
const NAT_IPS = ['203.0.113.10', '203.0.113.11'];
const OTHER_IP = '198.51.100.7';
const HEADER_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:header-AbCdEf';
const CURRENT_VALUE = 'Current0123456789abcdefghijklmnopqrstuvwxyzABCD';
const PREVIOUS_VALUE = 'Previous0123456789abcdefghijklmnopqrstuvwxyzABC';
const HEADER = 'x-custom-auth';

/**
 * Request-targets to try against the API's real router. Which of them reach the registration
 * handler is measured, not assumed: the guard must block every one that does.
 */
const CANDIDATE_TARGETS = [
  '/user',
  '/USER',
  '/User',
  '/uSeR',
  '/user/',
  '/User/',
  '/USER/',
  '/user?source=trigger',
  '/User/?x=1',
  '/user#fragment',
  '/user/#',
  '/USER#?a=b',
  'http://api.example.com/user',
  'HTTP://API.EXAMPLE.COM/USER/',
  'https://api.example.com/User?x=1',
  '/user//',
  '//user',
  '/%75ser',
  '/%55SER',
  '/user%2F',
  '/user%2f',
  '/user%23',
  '/user;',
  '/user;jsessionid=1',
  '/user.json',
  '/users',
  '/user/x',
  '/a/../user',
  '/./user',
  '/user/.',
  '/user%20',
];

/** Sends a raw POST (so odd request-targets reach the server untouched); resolves the status. */
function postRaw(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${target} HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\n` +
          'Content-Length: 2\r\nConnection: close\r\n\r\n{}',
      );
    });
    let response = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      response += chunk;
    });
    socket.on('end', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1];
      if (status === undefined) reject(new Error(`no HTTP status for ${target}`));
      else resolve(Number(status));
    });
    socket.on('error', reject);
  });
}

describe('WAF guard, evaluated on the synthesized WebACL', () => {
  let synthesized: SynthesizedApp;
  let evaluator: WafEvaluator;
  let routedTargets: string[];
  let unroutedTargets: string[];

  beforeAll(async () => {
    // Two NAT Gateways; the guard accepts the secret's current and previous values.
    synthesized = synthApp({ stage: 'waftest', natGateways: 2, ...TEST_HOSTED_ZONE });
    const eipIds = logicalIdsOf(synthesized.json, 'AWS::EC2::EIP');
    const [headerSecretId] = logicalIdsOf(
      synthesized.json,
      'AWS::SecretsManager::Secret',
      'HeaderSecret',
    );
    const [webAclId] = logicalIdsOf(synthesized.json, 'AWS::WAFv2::WebACL');
    if (headerSecretId === undefined || webAclId === undefined)
      throw new Error('resources missing');

    evaluator = new WafEvaluator(synthesized.json, webAclId, {
      getAtt: (logicalId, attribute) => {
        const index = eipIds.indexOf(logicalId);
        const ip = NAT_IPS[index];
        if (attribute !== 'PublicIp' || ip === undefined) {
          throw new Error(`unexpected Fn::GetAtt ${logicalId}.${attribute}`);
        }
        return ip;
      },
      ref: (logicalId) => {
        if (logicalId !== headerSecretId) throw new Error(`unexpected Ref ${logicalId}`);
        return HEADER_SECRET_ARN;
      },
      secretJsonKey: (arn, key) => {
        if (arn !== HEADER_SECRET_ARN) throw new Error(`unexpected secret ${arn}`);
        if (key === 'current') return CURRENT_VALUE;
        if (key === 'previous') return PREVIOUS_VALUE;
        throw new Error(`unexpected secret key ${key}`);
      },
    });

    // The API's own router decides which spellings reach the registration handler: there the
    // header guard answers 403; anywhere else the app answers 404.
    const app = createApp({
      registrations: {
        register: () => Promise.reject(new Error('never reached without a header')),
      },
      users: { checkReachable: () => Promise.resolve({ reachable: true }) },
      headerSecrets: staticHeaderSecretSource([CURRENT_VALUE]),
      authHeaderName: HEADER,
      logger: createServiceLogger('waf-guard-test', 'silent'),
    });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const statuses = await Promise.all(CANDIDATE_TARGETS.map((target) => postRaw(port, target)));
      routedTargets = CANDIDATE_TARGETS.filter((_, index) => statuses[index] !== 404);
      unroutedTargets = CANDIDATE_TARGETS.filter((_, index) => statuses[index] === 404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 120_000);

  const registration = (target: string, overrides: Partial<WafRequest> = {}): WafRequest => ({
    method: 'POST',
    target,
    headers: { [HEADER]: CURRENT_VALUE, 'content-type': 'application/json' },
    sourceIp: NAT_IPS[0] ?? '',
    ...overrides,
  });

  test('the router sends every case and trailing-slash spelling (and fragments, absolute form) to the handler', () => {
    expect(routedTargets).toEqual(
      expect.arrayContaining([
        '/user',
        '/USER',
        '/User/',
        '/user/',
        '/user#fragment',
        'http://api.example.com/user',
      ]),
    );
    // Percent-encoded and other look-alike paths are not routed, so the guard need not decode.
    expect(unroutedTargets).toEqual(
      expect.arrayContaining(['/%75ser', '/user%2F', '/users', '/user//', '//user', '/a/../user']),
    );
  });

  test('the IP set holds exactly the NAT Elastic IPs', () => {
    const [ipSetId] = logicalIdsOf(synthesized.json, 'AWS::WAFv2::IPSet');
    expect(evaluator.ipSetAddresses(ipSetId ?? '')).toEqual(NAT_IPS.map((ip) => `${ip}/32`));
  });

  test('when a registration has no header, then every routed spelling is blocked by the guard', () => {
    for (const target of routedTargets) {
      const verdict = evaluator.evaluate(registration(target, { headers: {} }));
      expect({ target, ...verdict }).toMatchObject({
        target,
        action: 'BLOCK',
        rule: WAF_RULE_NAMES.blockUnsignedRegistration,
      });
    }
  });

  test('when a registration has a wrong header value, then every routed spelling is blocked', () => {
    const wrongValues = [
      'wrong',
      CURRENT_VALUE.toLowerCase(),
      `${CURRENT_VALUE} `,
      `${CURRENT_VALUE},x`,
      '',
    ];
    for (const target of routedTargets) {
      for (const value of wrongValues) {
        const verdict = evaluator.evaluate(registration(target, { headers: { [HEADER]: value } }));
        expect({ target, value, action: verdict.action, rule: verdict.rule }).toEqual({
          target,
          value,
          action: 'BLOCK',
          rule: WAF_RULE_NAMES.blockUnsignedRegistration,
        });
      }
    }
  });

  test('when a registration with the right header comes from another IP, then every routed spelling is blocked', () => {
    for (const target of routedTargets) {
      for (const value of [CURRENT_VALUE, PREVIOUS_VALUE]) {
        const verdict = evaluator.evaluate(
          registration(target, { sourceIp: OTHER_IP, headers: { [HEADER]: value } }),
        );
        expect({ target, action: verdict.action, rule: verdict.rule }).toEqual({
          target,
          action: 'BLOCK',
          rule: WAF_RULE_NAMES.blockUnsignedRegistration,
        });
      }
    }
  });

  test('when the producer posts with the current value from either NAT IP, then the guard allows it', () => {
    for (const sourceIp of NAT_IPS) {
      for (const target of ['/user', '/user/']) {
        expect(evaluator.evaluate(registration(target, { sourceIp }))).toEqual({
          action: 'ALLOW',
          rule: WAF_RULE_NAMES.allowSignedRegistration,
          unevaluated: [],
        });
      }
    }
    // Header names are case-insensitive in HTTP and in WAF's SingleHeader.
    const capitalised = registration('/user', { headers: { 'X-Custom-Auth': CURRENT_VALUE } });
    expect(evaluator.evaluate(capitalised).rule).toBe(WAF_RULE_NAMES.allowSignedRegistration);
  });

  test('when senders still hold the previous value, then it is accepted as well', () => {
    const verdict = evaluator.evaluate(
      registration('/user', { headers: { [HEADER]: PREVIOUS_VALUE } }),
    );
    expect(verdict).toMatchObject({
      action: 'ALLOW',
      rule: WAF_RULE_NAMES.allowSignedRegistration,
    });
  });

  test('ordinary app requests pass the guard rules and meet only the rate limit and managed groups', () => {
    const ordinary: WafRequest[] = [
      { method: 'GET', target: '/user', sourceIp: OTHER_IP },
      { method: 'GET', target: '/USER/', sourceIp: OTHER_IP },
      { method: 'GET', target: '/healthz', sourceIp: OTHER_IP },
      { method: 'GET', target: '/readyz', sourceIp: OTHER_IP },
      { method: 'POST', target: '/orders', sourceIp: OTHER_IP },
      { method: 'POST', target: '/users', sourceIp: OTHER_IP },
      { method: 'PUT', target: '/user', sourceIp: OTHER_IP },
    ];
    for (const request of ordinary) {
      expect({ target: request.target, ...evaluator.evaluate(request) }).toEqual({
        target: request.target,
        action: 'ALLOW',
        rule: 'DEFAULT',
        unevaluated: [
          WAF_RULE_NAMES.rateLimit,
          WAF_RULE_NAMES.commonRuleSet,
          WAF_RULE_NAMES.knownBadInputs,
        ],
      });
    }
  });

  test('the guard rules come first, so registrations never meet the managed groups', () => {
    const webAcl = Object.values(synthesized.json.Resources).find(
      (resource) => resource.Type === 'AWS::WAFv2::WebACL',
    );
    const rules = (webAcl?.Properties?.Rules ?? []) as { Name: string; Priority: number }[];
    const byPriority = [...rules].sort((a, b) => a.Priority - b.Priority).map((rule) => rule.Name);
    expect(byPriority).toEqual([
      WAF_RULE_NAMES.allowSignedRegistration,
      WAF_RULE_NAMES.blockUnsignedRegistration,
      WAF_RULE_NAMES.rateLimit,
      WAF_RULE_NAMES.commonRuleSet,
      WAF_RULE_NAMES.knownBadInputs,
    ]);
  });
});
