import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  GetWebACLCommand,
  UpdateWebACLCommand,
  WAFOptimisticLockException,
  WAFV2Client,
  type WebACL,
} from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { acceptedValuesOf, parseHeaderSecretDocument } from '#contract/auth-header';
import { secretsManagerHeaderSecretSource } from '#contract/header-secret-source';
import { createServiceLogger } from '#contract/logger';
import { createRegistrationClient, type RegistrationClient } from '#contract/registration-client';
import { createApp } from '../../api/create-app';
import { createHeaderRotation, type RotationEvent } from '../../rotation/header-rotation';
import { WAF_RULE_NAMES } from '../../stacks/waf-guard';
import { newRegistration } from '../../fixtures/registrations';
import { logicalIdsOf, synthApp, TEST_HOSTED_ZONE, type TemplateJson } from './synth-app';
import { resolveValue, WafEvaluator, type IntrinsicValues, type WafRequest } from './waf-evaluator';

const HEADER = 'x-custom-auth';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:header-AbCdEf';
const WEB_ACL = {
  name: 'CognitoUserSync-rotationtest-api',
  id: 'webacl-id',
  scope: 'REGIONAL' as const,
};
const IP_SET_ARN = 'arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/nat/ipset-id';
const NAT_IPS = ['203.0.113.10', '203.0.113.11'];
const OTHER_IP = '198.51.100.7';
const DAY_MS = 24 * 3600 * 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const newValue = (): string => randomBytes(36).toString('base64url').replace(/[-_]/g, 'x');

/** Secrets Manager's versions and staging labels, in memory, behind aws-sdk-client-mock. */
class FakeSecretsManager {
  private readonly versions = new Map<
    string,
    { value?: string; stages: Set<string>; createdAt: Date }
  >();

  constructor(initialValue: string, createdAt: Date) {
    this.versions.set(randomUUID(), {
      value: initialValue,
      stages: new Set(['AWSCURRENT']),
      createdAt,
    });
  }

  /** What RotateSecret does before it calls the function: a version labelled AWSPENDING. */
  startRotation(token: string): void {
    this.versions.set(token, { stages: new Set(['AWSPENDING']), createdAt: new Date() });
  }

  valueAt(stage: string): string | undefined {
    return [...this.versions.values()].find((version) => version.stages.has(stage))?.value;
  }

  install(): void {
    const mock = mockClient(SecretsManagerClient);
    const notFound = () =>
      new ResourceNotFoundException({ message: 'no such version', $metadata: {} });
    mock
      .on(GetSecretValueCommand)
      .callsFake((input: { VersionId?: string; VersionStage?: string }) => {
        const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
        const entry = [...this.versions.entries()].find(
          ([id, version]) =>
            (input.VersionId === undefined || input.VersionId === id) &&
            (stage === undefined || version.stages.has(stage)),
        );
        if (entry?.[1].value === undefined) throw notFound();
        return {
          ARN: SECRET_ARN,
          VersionId: entry[0],
          SecretString: entry[1].value,
          CreatedDate: entry[1].createdAt,
        };
      });
    mock
      .on(PutSecretValueCommand)
      .callsFake(
        (input: {
          ClientRequestToken?: string;
          SecretString?: string;
          VersionStages?: string[];
        }) => {
          const id = input.ClientRequestToken ?? randomUUID();
          const stages = new Set(input.VersionStages ?? ['AWSCURRENT']);
          if (stages.has('AWSCURRENT')) this.moveStage('AWSCURRENT', id);
          const existing = this.versions.get(id);
          this.versions.set(id, {
            value: input.SecretString,
            stages: new Set([...(existing?.stages ?? []), ...stages]),
            createdAt: existing?.createdAt ?? new Date(),
          });
          return { ARN: SECRET_ARN, VersionId: id };
        },
      );
    mock.on(DescribeSecretCommand).callsFake(() => ({
      ARN: SECRET_ARN,
      RotationEnabled: true,
      VersionIdsToStages: Object.fromEntries(
        [...this.versions.entries()].map(([id, version]) => [id, [...version.stages]]),
      ),
    }));
    mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake((input: { VersionStage: string; MoveToVersionId: string }) => {
        this.moveStage(input.VersionStage, input.MoveToVersionId);
        return { ARN: SECRET_ARN };
      });
    mock.on(GetRandomPasswordCommand).callsFake(() => ({ RandomPassword: newValue() }));
  }

  private moveStage(stage: string, toId: string): void {
    for (const [id, version] of this.versions) {
      if (id !== toId && version.stages.delete(stage) && stage === 'AWSCURRENT') {
        for (const other of this.versions.values()) other.stages.delete('AWSPREVIOUS');
        version.stages.add('AWSPREVIOUS');
      }
    }
    this.versions.get(toId)?.stages.add(stage);
  }
}

/** WAF's GetWebACL/UpdateWebACL with lock tokens; `interfereOnce` plays a concurrent writer. */
class FakeWaf {
  lockToken = randomUUID();
  updates = 0;
  lockConflicts = 0;
  interfereOnce: ((webAcl: WebACL) => WebACL) | undefined;

  constructor(public webAcl: WebACL) {}

  install(): void {
    const mock = mockClient(WAFV2Client);
    mock.on(GetWebACLCommand).callsFake(() => ({
      WebACL: structuredClone(this.webAcl),
      LockToken: this.lockToken,
    }));
    mock.on(UpdateWebACLCommand).callsFake((input: Partial<WebACL> & { LockToken?: string }) => {
      if (this.interfereOnce) {
        this.webAcl = this.interfereOnce(this.webAcl);
        this.interfereOnce = undefined;
        this.lockToken = randomUUID();
      }
      if (input.LockToken !== this.lockToken) {
        this.lockConflicts += 1;
        throw new WAFOptimisticLockException({ message: 'stale lock token', $metadata: {} });
      }
      const { LockToken: _ignored, ...rest } = input;
      this.webAcl = { ...this.webAcl, ...structuredClone(rest) } as WebACL;
      this.lockToken = randomUUID();
      this.updates += 1;
      return { NextLockToken: this.lockToken };
    });
  }
}

/** Maps a JSON tree, letting `visit` replace a node (return undefined to recurse). */
function mapTree(node: unknown, visit: (key: string, value: unknown) => unknown): unknown {
  if (Array.isArray(node)) return node.map((item) => mapTree(item, visit));
  if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, visit(key, value) ?? mapTree(value, visit)]),
  );
}

/** The deployed WebACL as WAF's API returns it: what CloudFormation made of the template. */
function deployedWebAcl(
  template: TemplateJson,
  webAclId: string,
  intrinsics: IntrinsicValues,
): WebACL {
  const properties = template.Resources[webAclId]?.Properties ?? {};
  return mapTree({ ...properties, Id: WEB_ACL.id, ARN: 'arn:webacl' }, (key, value) => {
    if (key === 'SearchString') return encoder.encode(resolveValue(value, intrinsics));
    if (key === 'IPSetReferenceStatement') return { Arn: IP_SET_ARN };
    return undefined;
  }) as WebACL;
}

/** An evaluator over WAF's live WebACL, in the template form the evaluator reads. */
function evaluatorOf(webAcl: WebACL): WafEvaluator {
  const rules = mapTree(webAcl.Rules, (key, value) => {
    if (key === 'SearchString') return decoder.decode(value as Uint8Array);
    if (key === 'IPSetReferenceStatement') return { Arn: { 'Fn::GetAtt': ['NatIps', 'Arn'] } };
    return undefined;
  });
  const template: TemplateJson = {
    Resources: {
      WebAcl: {
        Type: 'AWS::WAFv2::WebACL',
        Properties: { Rules: rules, DefaultAction: webAcl.DefaultAction },
      },
      NatIps: {
        Type: 'AWS::WAFv2::IPSet',
        Properties: { Addresses: NAT_IPS.map((ip) => `${ip}/32`) },
      },
    },
  };
  const none = (): never => {
    throw new Error('the live WebACL holds no intrinsics');
  };
  return new WafEvaluator(template, 'WebAcl', { getAtt: none, ref: none, secretJsonKey: none });
}

/** The rotation function of the stack's settings, on SDK clients the doubles intercept. */
const rotationAgainstDoubles = (wafPropagationMs: number, sleep: () => Promise<void>) =>
  createHeaderRotation({
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    waf: new WAFV2Client({ region: 'eu-west-1' }),
    settings: {
      webAcl: WEB_ACL,
      guardRule: { ruleName: WAF_RULE_NAMES.allowSignedRegistration, headerName: HEADER },
      headerValueLength: 48,
      wafPropagationMs,
      minRotationIntervalMs: 900_000,
    },
    sleep,
  });

const registration = (
  value: string | undefined,
  overrides: Partial<WafRequest> = {},
): WafRequest => ({
  method: 'POST',
  target: '/user',
  headers: value === undefined ? {} : { [HEADER]: value },
  sourceIp: NAT_IPS[0] ?? '',
  ...overrides,
});

describe('header rotation while registrations flow', () => {
  const { json } = synthApp({ stage: 'rotationtest', natGateways: 2, ...TEST_HOSTED_ZONE });
  const [webAclId] = logicalIdsOf(json, 'AWS::WAFv2::WebACL');
  const [headerSecretId] = logicalIdsOf(json, 'AWS::SecretsManager::Secret', 'HeaderSecret');
  const eipIds = logicalIdsOf(json, 'AWS::EC2::EIP');
  if (webAclId === undefined || headerSecretId === undefined) throw new Error('resources missing');

  /** What CloudFormation resolves the template to while the secret holds `secretString`. */
  const intrinsicsFor = (secretString: string): IntrinsicValues => ({
    getAtt: (logicalId, attribute) => {
      const ip = NAT_IPS[eipIds.indexOf(logicalId)];
      if (attribute !== 'PublicIp' || ip === undefined) throw new Error(`unexpected ${logicalId}`);
      return ip;
    },
    ref: (logicalId) => {
      if (logicalId !== headerSecretId) throw new Error(`unexpected Ref ${logicalId}`);
      return SECRET_ARN;
    },
    secretJsonKey: (_arn, key) => {
      const value = (JSON.parse(secretString) as Record<string, string | undefined>)[key];
      if (value === undefined)
        throw new Error(`Could not find a value associated with JSONKey ${key}`);
      return value;
    },
  });

  let servers: http.Server[] = [];
  afterEach(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    servers = [];
  });

  const listen = async (server: http.Server): Promise<string> => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  /**
   * The path a registration takes: WAF (the evaluator on the live WebACL, source = a NAT IP) in
   * front of the real API app, whose header check reads the secret through its usual cache.
   */
  async function startGuardedApi(waf: FakeWaf): Promise<string> {
    const app = createApp({
      registrations: {
        register: (candidate) =>
          Promise.resolve({ status: 201, change: 'created', user: { ...candidate } }) as never,
      },
      users: { checkReachable: () => Promise.resolve({ reachable: true }) },
      headerSecrets: secretsManagerHeaderSecretSource({
        secretArn: SECRET_ARN,
        client: new SecretsManagerClient({ region: 'eu-west-1' }),
      }),
      authHeaderName: HEADER,
      logger: createServiceLogger('rotation-test', 'silent'),
    });
    const apiUrl = new URL(await listen(http.createServer(app)));
    const wafProxy = http.createServer((request, response) => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      const verdict = evaluatorOf(waf.webAcl).evaluate({
        method: request.method ?? 'GET',
        target: request.url ?? '/',
        headers,
        sourceIp: NAT_IPS[1] ?? '',
      });
      if (verdict.action === 'BLOCK') {
        request.resume();
        response.writeHead(403, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'forbidden', message: 'Forbidden' } }));
        return;
      }
      const upstream = http.request(
        {
          host: apiUrl.hostname,
          port: apiUrl.port,
          path: request.url,
          method: request.method,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    });
    return listen(wafProxy);
  }

  const senderFor = (apiUrl: string, maxAgeSeconds = 300): RegistrationClient =>
    createRegistrationClient({
      apiUrl,
      headerName: HEADER,
      headerSecrets: secretsManagerHeaderSecretSource({
        secretArn: SECRET_ARN,
        client: new SecretsManagerClient({ region: 'eu-west-1' }),
        maxAgeSeconds,
      }),
    });

  test('when the four steps run, then no registration is refused, no request bypasses the guard, and a redeploy keeps what the rotation left', async () => {
    // Steady state a month after the last rotation: the secret holds current and previous, and
    // the deployed WebACL accepts both.
    const [retired, inUse] = [newValue(), newValue()];
    const secrets = new FakeSecretsManager(
      JSON.stringify({ current: inUse, previous: retired }),
      new Date(Date.now() - 30 * DAY_MS),
    );
    secrets.install();
    const waf = new FakeWaf(
      deployedWebAcl(json, webAclId, intrinsicsFor(secrets.valueAt('AWSCURRENT') ?? '')),
    );
    waf.install();
    const initialRules = structuredClone(waf.webAcl.Rules);

    const apiUrl = await startGuardedApi(waf);
    // Holds the value it read before the rotation for the whole test (a long-lived cache).
    const cachedSender = senderFor(apiUrl, 3600);
    expect((await cachedSender.deliver(newRegistration(), { timeoutMs: 5000 })).outcome).toBe(
      'delivered',
    );

    const refused: string[] = [];
    const bypassesByPhase: Record<string, number> = {};
    const everSeen = new Set([retired, inUse]);

    /** Registrations from a sender with the old cached value and from one that reads afresh. */
    const flow = async (phase: string): Promise<void> => {
      const senders = { cached: cachedSender, fresh: senderFor(apiUrl) };
      const results = await Promise.all(
        Object.entries(senders).flatMap(([kind, sender]) =>
          [1, 2, 3].map(async () => {
            const result = await sender.deliver(newRegistration(), { timeoutMs: 5000 });
            if (result.outcome !== 'delivered')
              refused.push(
                `${phase}/${kind}: ${result.outcome} ${'reason' in result ? result.reason : ''}`,
              );
          }),
        ),
      );
      expect(results).toHaveLength(6);
    };

    /** Requests WAF must block in this phase, and how many it let through. */
    const countBypasses = (phase: string): void => {
      const legitimate = new Set(
        ['AWSCURRENT', 'AWSPENDING'].flatMap((stage) => {
          const value = secrets.valueAt(stage);
          return value === undefined ? [] : acceptedValuesOf(parseHeaderSecretDocument(value));
        }),
      );
      legitimate.forEach((value) => everSeen.add(value));
      const notAccepted = [...everSeen].filter((value) => !legitimate.has(value));
      const evaluator = evaluatorOf(waf.webAcl);
      const attacks: WafRequest[] = [];
      for (const target of ['/user', '/USER/', '/user#x', 'http://api.example.com/user']) {
        attacks.push(registration(undefined, { target }), registration(newValue(), { target }));
        for (const value of notAccepted) attacks.push(registration(value, { target }));
        for (const value of legitimate)
          attacks.push(registration(value, { target, sourceIp: OTHER_IP }));
      }
      bypassesByPhase[phase] = attacks.filter(
        (attack) => evaluator.evaluate(attack).action === 'ALLOW',
      ).length;
    };

    // Registrations keep flowing while the function waits (propagation, lock back-off).
    const rotation = rotationAgainstDoubles(75_000, () => flow('while the function waits'));

    // Another writer (a deploy, an operator) changes the WebACL between the function's read and
    // its update: the first UpdateWebACL meets a stale lock token.
    waf.interfereOnce = (webAcl) => ({
      ...webAcl,
      Rules: (webAcl.Rules ?? []).map((rule) =>
        rule.Name === WAF_RULE_NAMES.rateLimit && rule.Statement?.RateBasedStatement
          ? {
              ...rule,
              Statement: {
                RateBasedStatement: { ...rule.Statement.RateBasedStatement, Limit: 2000 },
              },
            }
          : rule,
      ),
    });

    await flow('before');
    countBypasses('before');
    const token = randomUUID();
    secrets.startRotation(token);
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      const event: RotationEvent = { SecretId: SECRET_ARN, ClientRequestToken: token, Step: step };
      await rotation.run(event);
      await flow(`after ${step}`);
      countBypasses(`after ${step}`);
    }

    expect(refused).toEqual([]);
    expect(bypassesByPhase).toEqual({
      before: 0,
      'after createSecret': 0,
      'after setSecret': 0,
      'after testSecret': 0,
      'after finishSecret': 0,
    });

    const final = parseHeaderSecretDocument(secrets.valueAt('AWSCURRENT') ?? '');
    expect(final.previous).toBe(inUse);
    expect(final.current).not.toBe(inUse);
    // Both senders are accepted: the cached one sends `previous`, a fresh one `current`.
    const live = evaluatorOf(waf.webAcl);
    for (const value of [final.current, inUse]) {
      expect(live.evaluate(registration(value)).rule).toBe(WAF_RULE_NAMES.allowSignedRegistration);
    }
    expect(live.evaluate(registration(retired)).rule).toBe(
      WAF_RULE_NAMES.blockUnsignedRegistration,
    );

    // The concurrent edit survived the retry, and nothing but the guard's header check changed.
    expect(waf.lockConflicts).toBe(1);
    const strip = (rules: unknown) =>
      mapTree(rules, (key) => (key === 'SearchString' ? 'value' : undefined));
    const rateLimit = (waf.webAcl.Rules ?? []).find(
      (rule) => rule.Name === WAF_RULE_NAMES.rateLimit,
    );
    expect(rateLimit?.Statement?.RateBasedStatement?.Limit).toBe(2000);
    const unchanged = (rules: unknown) =>
      (strip(rules) as { Name: string }[]).filter((rule) => rule.Name !== WAF_RULE_NAMES.rateLimit);
    expect(unchanged(waf.webAcl.Rules)).toEqual(unchanged(initialRules));

    // A deploy that rewrites the WebACL resolves the template against the rotated secret and
    // accepts exactly what the rotation left.
    const redeployed = new WafEvaluator(
      json,
      webAclId,
      intrinsicsFor(secrets.valueAt('AWSCURRENT') ?? ''),
    );
    for (const value of [final.current, inUse, retired, newValue()]) {
      expect({ value, verdict: redeployed.evaluate(registration(value)).action }).toEqual({
        value,
        verdict: live.evaluate(registration(value)).action,
      });
    }
  }, 120_000);

  test('when the current value is younger than every sender cache, then createSecret refuses and WAF is left alone', async () => {
    const secrets = new FakeSecretsManager(
      JSON.stringify({ current: newValue(), previous: newValue() }),
      new Date(Date.now() - 60_000),
    );
    secrets.install();
    const waf = new FakeWaf(
      deployedWebAcl(json, webAclId, intrinsicsFor(secrets.valueAt('AWSCURRENT') ?? '')),
    );
    waf.install();
    const rotation = rotationAgainstDoubles(0, () => Promise.resolve());
    const token = randomUUID();
    secrets.startRotation(token);

    await expect(
      rotation.run({ SecretId: SECRET_ARN, ClientRequestToken: token, Step: 'createSecret' }),
    ).rejects.toThrow(/60 s old; senders may still hold the previous one/);
    expect(secrets.valueAt('AWSPENDING')).toBeUndefined();
    expect(waf.updates).toBe(0);
  });
});
