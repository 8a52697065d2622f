import {
  GetIPSetCommand,
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  WAFNonexistentItemException,
  WAFV2Client,
} from '@aws-sdk/client-wafv2';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { createGuardCheck } from '../../../guard-watch/guard-check';
import { GUARD_WEAKENED_METRIC } from '../../../guard-watch/guard-metric';
import {
  deployedIpSet,
  deployedWebAcl,
  GUARD_ARNS,
  guardWatchSettings,
} from '../../helpers/guard-state';
import { captureOutput, jsonLines } from '../../helpers/captured-output';

/** AWS's JSON error for a missing permission; the SDK gives it this name. */
function accessDenied(): Error {
  const error = new Error(
    'User: arn:aws:sts::111122223333:assumed-role/GuardWatch/fn is not authorized to perform: ' +
      'wafv2:GetWebACLForResource',
  );
  error.name = 'AccessDeniedException';
  return error;
}

interface EmfLine {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
  [key: string]: unknown;
}

/** Everything written while `run` runs, as JSON lines: EMF on stdout, log lines on both. */
async function capture<T>(run: () => Promise<T>): Promise<{ result: T; lines: EmfLine[] }> {
  const output = captureOutput();
  try {
    const result = await run();
    return { result, lines: jsonLines(output.text()) as EmfLine[] };
  } finally {
    output.restore();
  }
}

const metricLines = (lines: EmfLine[]) =>
  lines
    .filter((line) => line._aws?.CloudWatchMetrics !== undefined)
    .map((line) => ({
      namespace: line._aws.CloudWatchMetrics[0]?.Namespace,
      dimensions: line._aws.CloudWatchMetrics[0]?.Dimensions[0],
      service: line['service'],
      finding: line[GUARD_WEAKENED_METRIC.findingDimension],
      value: line[GUARD_WEAKENED_METRIC.metricName],
    }));
const logLines = (lines: EmfLine[]) => lines.filter((line) => line._aws === undefined);

describe('one run of the guard check', () => {
  const waf = mockClient(WAFV2Client);
  const check = () =>
    createGuardCheck({
      waf: new WAFV2Client({ region: 'eu-west-1' }),
      settings: guardWatchSettings(),
      metrics: new Metrics({
        namespace: GUARD_WEAKENED_METRIC.namespace,
        serviceName: GUARD_WEAKENED_METRIC.service,
      }),
      logger: new Logger({ serviceName: GUARD_WEAKENED_METRIC.service }),
    });

  beforeEach(() => {
    waf.reset();
    waf.on(GetWebACLForResourceCommand).resolves({ WebACL: deployedWebAcl() });
    waf.on(GetWebACLCommand).resolves({ WebACL: deployedWebAcl(), LockToken: 'token-1' });
    waf.on(GetIPSetCommand).resolves({ IPSet: deployedIpSet(), LockToken: 'token-2' });
  });

  test('it reads the association of our load balancer, our WebACL and our IP set, by name, id and regional scope', async () => {
    await capture(() => check().run());

    expect(waf.commandCalls(GetWebACLForResourceCommand).map((call) => call.args[0].input)).toEqual(
      [{ ResourceArn: GUARD_ARNS.loadBalancer }],
    );
    expect(waf.commandCalls(GetWebACLCommand).map((call) => call.args[0].input)).toEqual([
      {
        Name: 'CognitoUserSync-dev-api',
        Id: '0a1b2c3d-1111-2222-3333-444455556666',
        Scope: 'REGIONAL',
      },
    ]);
    expect(waf.commandCalls(GetIPSetCommand).map((call) => call.args[0].input)).toEqual([
      { Name: 'NatEgressIps-AbCd', Id: '1a2b3c4d-1111-2222-3333-444455556666', Scope: 'REGIONAL' },
    ]);
  });

  test('when the guard is intact, then GuardWeakened 0 in the pipeline namespace and one info line', async () => {
    const { result, lines } = await capture(() => check().run());

    expect(result).toStrictEqual({ weakened: false, findings: [] });
    expect(metricLines(lines)).toStrictEqual([
      {
        namespace: 'CognitoUserSync',
        dimensions: ['service'],
        service: 'guard-watch',
        finding: undefined,
        value: 0,
      },
    ]);
    expect(logLines(lines).map((line) => [line['level'], line['message']])).toStrictEqual([
      ['INFO', 'WAF registration guard intact'],
    ]);
  });

  test('when GetWebACLForResource is denied, then the run reports CannotVerify as weakened (1), not fine', async () => {
    waf.on(GetWebACLForResourceCommand).rejects(accessDenied());

    const { result, lines } = await capture(() => check().run());

    expect(result).toStrictEqual({ weakened: true, findings: ['CannotVerify'] });
    expect(metricLines(lines)).toStrictEqual([
      {
        namespace: 'CognitoUserSync',
        dimensions: ['service', 'Finding'],
        service: 'guard-watch',
        finding: 'CannotVerify',
        value: 1,
      },
      {
        namespace: 'CognitoUserSync',
        dimensions: ['service'],
        service: 'guard-watch',
        finding: undefined,
        value: 1,
      },
    ]);
    const [errorLine] = logLines(lines).filter((line) => line['level'] === 'ERROR');
    expect(errorLine?.['finding']).toBe('CannotVerify');
    expect(String(errorLine?.['detail'])).toMatch(
      /^GetWebACLForResource failed \(AccessDeniedException: User: .* is not authorized/,
    );
  });

  test('when every read fails, then one CannotVerify per read, still published once as 1', async () => {
    waf.on(GetWebACLForResourceCommand).rejects(accessDenied());
    waf.on(GetWebACLCommand).rejects(new Error('socket hang up'));
    waf.on(GetIPSetCommand).rejects(accessDenied());

    const { result, lines } = await capture(() => check().run());

    expect(result.findings).toStrictEqual(['CannotVerify', 'CannotVerify', 'CannotVerify']);
    expect(metricLines(lines).map((line) => [line.finding, line.value])).toStrictEqual([
      ['CannotVerify', 1],
      [undefined, 1],
    ]);
    expect(logLines(lines).filter((line) => line['level'] === 'ERROR')).toHaveLength(3);
  });

  test('when WAF says the load balancer has no WebACL (a null WebACL), then NotAssociated', async () => {
    waf.on(GetWebACLForResourceCommand).resolves({});

    const { result } = await capture(() => check().run());

    expect(result.findings).toStrictEqual(['NotAssociated']);
  });

  test('when WAF answers WAFNonexistentItemException for the load balancer, then NotAssociated', async () => {
    waf
      .on(GetWebACLForResourceCommand)
      .rejects(new WAFNonexistentItemException({ message: 'no WebACL', $metadata: {} }));

    const { result } = await capture(() => check().run());

    expect(result.findings).toStrictEqual(['NotAssociated']);
  });

  test('when the load balancer carries another WebACL and the IP set gained an address, then both, each with its own Finding datapoint', async () => {
    waf
      .on(GetWebACLForResourceCommand)
      .resolves({ WebACL: { ...deployedWebAcl(), ARN: GUARD_ARNS.otherWebAcl } });
    waf
      .on(GetIPSetCommand)
      .resolves({ IPSet: deployedIpSet(['203.0.113.10/32', '203.0.113.11/32', '0.0.0.0/1']) });

    const { result, lines } = await capture(() => check().run());

    expect(result.findings).toStrictEqual(['OtherWebAclAssociated', 'IpSetAddressUnexpected']);
    expect(metricLines(lines).map((line) => [line.finding, line.value])).toStrictEqual([
      ['OtherWebAclAssociated', 1],
      ['IpSetAddressUnexpected', 1],
      [undefined, 1],
    ]);
  });
});
