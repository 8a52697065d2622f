import { WAF_RULE_NAMES } from '../../stacks/waf-guard';
import { startGuardedApp, type GuardedApp } from '../helpers/guarded-app';
import { logicalIdsOf, synthApp, TEST_HOSTED_ZONE } from './synth-app';
import { resolveValue, WafEvaluator, type IntrinsicValues } from './waf-evaluator';

/**
 * The WAF guard and the API's own check must decide every registration alike: either alone
 * keeps strangers out. One table of requests, each as it reaches the load balancer (the TCP
 * address the load balancer sees, whatever `X-Forwarded-For` the client sent, the header value),
 * runs through the WAF evaluator on the synthesized WebACL (whose IP match uses the address the
 * load balancer sees) and through the real API app with the `ALLOWED_SOURCE_IPS` the synthesized
 * API container is given and the `X-Forwarded-For` the load balancer forwards: the client's value,
 * then `, <address it saw>`.
 */
const NAT_IPS = ['203.0.113.10', '203.0.113.11'];
const HEADER_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:header-AbCdEf';
const CURRENT_VALUE = 'Current0123456789abcdefghijklmnopqrstuvwxyzABCD';
const PREVIOUS_VALUE = 'Previous0123456789abcdefghijklmnopqrstuvwxyzABC';

/** TCP addresses the load balancer can see (it listens on IPv4). */
const SEEN_ADDRESSES = [...NAT_IPS, '198.51.100.7', '10.0.1.25', '127.0.0.1'];
/** What a client may put in `X-Forwarded-For` itself; undefined: no header. */
const CLIENT_FORWARDED_FOR: Array<string | undefined> = [
  undefined,
  NAT_IPS[0],
  `${NAT_IPS[1]}, ${NAT_IPS[0]}`,
  `198.51.100.7, ${NAT_IPS[0]}`,
  '198.51.100.7',
  `::ffff:${NAT_IPS[0]}`,
  '2001:db8::1',
  'garbage',
  '',
];
const HEADER_VALUES: Array<[string, string | undefined]> = [
  ['current', CURRENT_VALUE],
  ['previous', PREVIOUS_VALUE],
  ['wrong', `${CURRENT_VALUE}x`],
  ['missing', undefined],
];

interface Row {
  seenAddress: string;
  clientForwardedFor: string | undefined;
  header: string;
  headerValue: string | undefined;
}

const rows: Row[] = SEEN_ADDRESSES.flatMap((seenAddress) =>
  CLIENT_FORWARDED_FOR.flatMap((clientForwardedFor) =>
    HEADER_VALUES.map(([header, headerValue]) => ({
      seenAddress,
      clientForwardedFor,
      header,
      headerValue,
    })),
  ),
);

/** `X-Forwarded-For` as the load balancer forwards it: it appends the address it saw. */
const forwardedByLoadBalancer = (row: Row): string =>
  row.clientForwardedFor === undefined
    ? row.seenAddress
    : `${row.clientForwardedFor}, ${row.seenAddress}`;

describe('WAF guard and API source-address check agree on every registration', () => {
  let evaluator: WafEvaluator;
  let ipSetAddresses: string[];
  let allowedSourceIps: string;
  let api: GuardedApp;

  beforeAll(async () => {
    const synthesized = synthApp({ stage: 'agreetest', natGateways: 2, ...TEST_HOSTED_ZONE });
    const eipIds = logicalIdsOf(synthesized.json, 'AWS::EC2::EIP');
    const [headerSecretId] = logicalIdsOf(
      synthesized.json,
      'AWS::SecretsManager::Secret',
      'HeaderSecret',
    );
    const [webAclId] = logicalIdsOf(synthesized.json, 'AWS::WAFv2::WebACL');
    const [ipSetId] = logicalIdsOf(synthesized.json, 'AWS::WAFv2::IPSet');
    if (headerSecretId === undefined || webAclId === undefined || ipSetId === undefined) {
      throw new Error('resources missing');
    }
    const intrinsics: IntrinsicValues = {
      getAtt: (logicalId, attribute) => {
        const ip = NAT_IPS[eipIds.indexOf(logicalId)];
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
    };
    evaluator = new WafEvaluator(synthesized.json, webAclId, intrinsics);
    ipSetAddresses = evaluator.ipSetAddresses(ipSetId);
    // What the stack gives the API container, resolved as CloudFormation would.
    const apiContainer = Object.values(synthesized.json.Resources)
      .filter((resource) => resource.Type === 'AWS::ECS::TaskDefinition')
      .flatMap(
        (resource) =>
          resource.Properties?.ContainerDefinitions as {
            Name: string;
            Environment: { Name: string; Value: unknown }[];
          }[],
      )
      .find((container) => container.Name === 'api');
    const allowed = apiContainer?.Environment.find(({ Name }) => Name === 'ALLOWED_SOURCE_IPS');
    if (allowed === undefined) throw new Error('the api container has no ALLOWED_SOURCE_IPS');
    allowedSourceIps = resolveValue(allowed.Value, intrinsics);
    api = await startGuardedApp({
      acceptedHeaderValues: [CURRENT_VALUE, PREVIOUS_VALUE],
      allowedSourceIps,
    });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
  });

  it('when the table is run through both, then WAF and the API allow and block exactly the same requests', async () => {
    const decisions: Array<Row & { waf: string; api: string }> = [];
    for (const row of rows) {
      const verdict = evaluator.evaluate({
        method: 'POST',
        target: '/user',
        headers: {
          'content-type': 'application/json',
          ...(row.headerValue === undefined ? {} : { 'x-custom-auth': row.headerValue }),
          ...(row.clientForwardedFor === undefined
            ? {}
            : { 'x-forwarded-for': row.clientForwardedFor }),
        },
        sourceIp: row.seenAddress,
      });
      const answer = await api.register({
        forwardedFor: forwardedByLoadBalancer(row),
        ...(row.headerValue === undefined ? {} : { headerValue: row.headerValue }),
      });
      if (verdict.action === 'ALLOW') {
        expect(verdict.rule).toBe(WAF_RULE_NAMES.allowSignedRegistration);
      }
      decisions.push({
        ...row,
        waf: verdict.action,
        api: answer.status === 201 ? 'ALLOW' : answer.status === 403 ? 'BLOCK' : `${answer.status}`,
      });
    }

    const disagreements = decisions.filter((decision) => decision.waf !== decision.api);
    expect(disagreements).toEqual([]);
    // Not vacuous: the table holds allowed and blocked registrations alike.
    const allowed = decisions.filter((decision) => decision.api === 'ALLOW');
    expect(allowed.length).toBe(NAT_IPS.length * CLIENT_FORWARDED_FOR.length * 2);
    expect(decisions.length - allowed.length).toBeGreaterThan(allowed.length);
  });

  it('the API is given the addresses of the IP set as written in the WebACL (one /32 per NAT address)', () => {
    expect(ipSetAddresses).toEqual(NAT_IPS.map((ip) => `${ip}/32`));
    expect(allowedSourceIps).toBe(NAT_IPS.join(','));
  });
});
