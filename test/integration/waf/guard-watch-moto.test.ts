/**
 * A second opinion on the guard check, from moto_server's WAFv2: the WebACL and IP set are
 * created through the real SDK as the stack deploys them, associated with a load balancer ARN,
 * and then weakened the ways an operator would (UpdateWebACL with its lock token, UpdateIPSet,
 * DisassociateWebACL) while the check reads them back over the wire.
 *
 * What moto (5.2) does not model, so this test cannot vouch for it: IAM (every call is allowed;
 * the AccessDenied path is covered with aws-sdk-client-mock), and the load balancer itself —
 * AssociateWebACL takes any ALB ARN without checking that the load balancer exists. Its
 * GetWebACLForResource answers the full WebACL, and a null WebACL once disassociated, as AWS
 * documents.
 */
import { randomUUID } from 'node:crypto';
import {
  AssociateWebACLCommand,
  CreateIPSetCommand,
  CreateWebACLCommand,
  DisassociateWebACLCommand,
  GetIPSetCommand,
  GetWebACLCommand,
  UpdateIPSetCommand,
  UpdateWebACLCommand,
  WAFV2Client,
} from '@aws-sdk/client-wafv2';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadConfig } from '../../../guard-watch/config';
import { createGuardCheck } from '../../../guard-watch/guard-check';
import { WAF_RULE_NAMES } from '../../../stacks/waf-guard';
import { deployedRules, guardWatchEnv, NAT_EGRESS_ADDRESSES } from '../../helpers/guard-state';
import { motoServerExecutable, startMotoServer, type MotoServer } from '../../helpers/moto-server';

const executable = motoServerExecutable();
// moto_server is a Python tool that `npm ci` does not install: without it, this file is
// reported as skipped, and says why, rather than failing.
const SKIP_REASON =
  'moto_server is not on PATH (pip install "moto[server]" to run this second opinion)';
if (executable === undefined) console.warn(`guard-watch-moto: skipped: ${SKIP_REASON}`);
const describeWithMoto = executable === undefined ? describe.skip : describe;

describeWithMoto('the guard check against moto_server’s WAFv2', () => {
  let moto: MotoServer;
  let waf: WAFV2Client;
  let silenced: jest.SpyInstance[];

  beforeAll(async () => {
    moto = await startMotoServer(executable ?? 'moto_server');
    waf = new WAFV2Client({
      region: 'eu-west-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(async () => {
    waf?.destroy();
    await moto?.stop();
  });
  // The check logs and writes EMF on stdout/stderr; the results are what these tests read.
  beforeEach(() => {
    silenced = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation(() => true),
    );
  });
  afterEach(() => {
    for (const spy of silenced) spy.mockRestore();
  });

  /** A guard of its own, as the stack deploys it: IP set, WebACL, association. */
  async function deployGuard() {
    const suffix = randomUUID().slice(0, 8);
    const ipSet = await waf.send(
      new CreateIPSetCommand({
        Name: `nat-${suffix}`,
        Scope: 'REGIONAL',
        IPAddressVersion: 'IPV4',
        Addresses: [...NAT_EGRESS_ADDRESSES],
      }),
    );
    const webAcl = await waf.send(
      new CreateWebACLCommand({
        Name: `api-${suffix}`,
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        Rules: deployedRules(ipSet.Summary?.ARN),
        VisibilityConfig: {
          CloudWatchMetricsEnabled: true,
          SampledRequestsEnabled: false,
          MetricName: `api-${suffix}`,
        },
      }),
    );
    const loadBalancerArn = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api-${suffix}/50dc6c495c0c9188`;
    const webAclArn = webAcl.Summary?.ARN ?? '';
    await waf.send(
      new AssociateWebACLCommand({ WebACLArn: webAclArn, ResourceArn: loadBalancerArn }),
    );
    const settings = loadConfig({
      ...guardWatchEnv(),
      WEB_ACL_ARN: webAclArn,
      NAT_IP_SET_ARN: ipSet.Summary?.ARN,
      LOAD_BALANCER_ARN: loadBalancerArn,
    });
    const check = createGuardCheck({
      waf,
      settings,
      metrics: new Metrics({ namespace: 'Test', serviceName: 'guard-watch' }),
      logger: new Logger({ serviceName: 'guard-watch' }),
    });
    return { settings, check, loadBalancerArn };
  }

  test('when the guard is as deployed, then the check finds nothing', async () => {
    const { check } = await deployGuard();

    expect(await check.run()).toStrictEqual({ weakened: false, findings: [] });
  });

  test('when the block rule is switched to Count with UpdateWebACL, then GuardRuleActionChanged', async () => {
    const { check, settings } = await deployGuard();
    const { name, id, scope } = settings.resources.webAcl;
    const current = await waf.send(new GetWebACLCommand({ Name: name, Id: id, Scope: scope }));
    const rules = (current.WebACL?.Rules ?? []).map((rule) =>
      rule.Name === WAF_RULE_NAMES.blockUnsignedRegistration
        ? { ...rule, Action: { Count: {} } }
        : rule,
    );
    await waf.send(
      new UpdateWebACLCommand({
        Name: name,
        Id: id,
        Scope: scope,
        LockToken: current.LockToken,
        DefaultAction: current.WebACL?.DefaultAction,
        Rules: rules,
        VisibilityConfig: current.WebACL?.VisibilityConfig,
      }),
    );

    expect(await check.run()).toStrictEqual({
      weakened: true,
      findings: ['GuardRuleActionChanged'],
    });
  });

  test('when an address is added to the IP set with UpdateIPSet, then IpSetAddressUnexpected', async () => {
    const { check, settings } = await deployGuard();
    const { name, id, scope } = settings.resources.natIpSet;
    const current = await waf.send(new GetIPSetCommand({ Name: name, Id: id, Scope: scope }));
    await waf.send(
      new UpdateIPSetCommand({
        Name: name,
        Id: id,
        Scope: scope,
        LockToken: current.LockToken,
        Addresses: [...(current.IPSet?.Addresses ?? []), '198.51.100.0/24'],
      }),
    );

    expect(await check.run()).toStrictEqual({
      weakened: true,
      findings: ['IpSetAddressUnexpected'],
    });
  });

  test('when the WebACL is disassociated from the load balancer, then NotAssociated', async () => {
    const { check, loadBalancerArn } = await deployGuard();
    await waf.send(new DisassociateWebACLCommand({ ResourceArn: loadBalancerArn }));

    expect(await check.run()).toStrictEqual({ weakened: true, findings: ['NotAssociated'] });
  });
});
