import type * as WafModuleNamespace from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import type * as HandlerModuleNamespace from '../../../guard-watch/handler';
import {
  deployedIpSet,
  deployedWebAcl,
  GUARD_ARNS,
  guardWatchEnv,
} from '../../helpers/guard-state';
import { isolateEnv } from '../../helpers/process-env';

type WafModule = typeof WafModuleNamespace;
type HandlerModule = typeof HandlerModuleNamespace;

const ENV_NAMES = [...Object.keys(guardWatchEnv()), 'AWS_REGION', 'POWERTOOLS_METRICS_DISABLED'];

/** A cold container: the handler module (and the SDK module it takes its client from) fresh. */
async function coldStart(): Promise<{ module: HandlerModule; waf: WafModule }> {
  let loaded: { module: HandlerModule; waf: WafModule } | undefined;
  await jest.isolateModulesAsync(async () => {
    const waf = await import('@aws-sdk/client-wafv2');
    const module = await import('../../../guard-watch/handler');
    loaded = { module, waf };
  });
  if (loaded === undefined) throw new Error('handler module did not load');
  return loaded;
}

describe('the guard check handler', () => {
  let restoreEnv: () => void;
  let silenced: jest.SpyInstance[];

  beforeEach(() => {
    restoreEnv = isolateEnv(ENV_NAMES);
    Object.assign(process.env, {
      ...guardWatchEnv(),
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    silenced = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation(() => true),
    );
  });
  afterEach(() => {
    for (const spy of silenced) spy.mockRestore();
    restoreEnv();
  });

  test('when invoked twice in one container, then one WAFV2 client in the function’s region serves both runs', async () => {
    const { module, waf } = await coldStart();
    // mockClient stubs the class's send: the client the module built at load time uses it.
    const mock = mockClient(waf.WAFV2Client);
    mock.on(waf.GetWebACLForResourceCommand).resolves({ WebACL: deployedWebAcl() });
    mock.on(waf.GetWebACLCommand).resolves({ WebACL: deployedWebAcl(), LockToken: 't' });
    mock.on(waf.GetIPSetCommand).resolves({ IPSet: deployedIpSet(), LockToken: 't' });

    const first = await module.handler({ 'detail-type': 'Scheduled Event' });
    const second = await module.handler({ 'detail-type': 'AWS API Call via CloudTrail' });

    expect([first, second]).toStrictEqual([
      { weakened: false, findings: [] },
      { weakened: false, findings: [] },
    ]);
    const clients = new Set(mock.calls().map((call) => call.thisValue as unknown));
    expect(mock.calls()).toHaveLength(6);
    expect(clients.size).toBe(1);
    const [client] = [...clients] as WafModuleNamespace.WAFV2Client[];
    expect(await client?.config.region()).toBe('eu-west-1');
    expect(mock.commandCalls(waf.GetWebACLForResourceCommand)[0]?.args[0].input).toStrictEqual({
      ResourceArn: GUARD_ARNS.loadBalancer,
    });
    mock.restore();
  });

  test('when the environment is incomplete, then the cold start fails naming the variable', async () => {
    delete process.env['NAT_IP_SET_ARN'];

    await expect(coldStart()).rejects.toThrow(/NAT_IP_SET_ARN:/);
  });
});
