import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Rule } from '@aws-sdk/client-wafv2';
import { build } from 'esbuild';
import type { handler } from '../../../guard-watch/handler';
import { GUARD_WATCH_BUNDLING } from '../../../stacks/guard-watch-bundling';
import { esbuildOptionsOf } from '../../../stacks/lambda-bundling';
import { WAF_RULE_NAMES } from '../../../stacks/waf-guard';
import { startAwsJsonEndpoint } from '../../helpers/aws-json-endpoint';
import {
  blockRule,
  deployedIpSet,
  deployedRules,
  deployedWebAcl,
  guardWatchEnv,
} from '../../helpers/guard-state';

const run = promisify(execFile);
const rootDir = path.resolve(__dirname, '../../..');

/** The AWS JSON 1.1 wire form: blobs (search strings) travel as base64. */
const wire = (value: unknown): string =>
  JSON.stringify(value, (_key, field: unknown) =>
    field instanceof Uint8Array ? Buffer.from(field).toString('base64') : field,
  );

/**
 * Answers the three WAF reads on loopback as WAF would, for the bundle's own SDK to parse;
 * records which operations were called.
 */
async function startWafStub(rules: Rule[]): Promise<{
  endpoint: string;
  operations: string[];
  close: () => Promise<void>;
}> {
  const answers: Record<string, unknown> = {
    GetWebACLForResource: { WebACL: deployedWebAcl(rules) },
    GetWebACL: { WebACL: deployedWebAcl(rules), LockToken: 'token-1' },
    GetIPSet: { IPSet: deployedIpSet(), LockToken: 'token-2' },
  };
  const stub = await startAwsJsonEndpoint(({ operation }) => {
    const answer = answers[operation];
    return answer === undefined
      ? { status: 400, body: '{"__type":"UnknownOperationException"}' }
      : { status: 200, body: wire(answer) };
  });
  return {
    endpoint: stub.url,
    get operations() {
      return stub.calls.map((call) => call.operation);
    },
    close: () => stub.close(),
  };
}

describe('the guard check’s bundle', () => {
  let outdir: string;
  let outfile: string;

  beforeAll(async () => {
    outdir = await mkdtemp(path.join(os.tmpdir(), 'guard-watch-bundle-'));
    outfile = path.join(outdir, 'index.js');
  });
  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  test('when bundled as the stack bundles it, then the WAF SDK and Powertools are inside and only Node built-ins are left out', async () => {
    const result = await build({
      ...esbuildOptionsOf(GUARD_WATCH_BUNDLING, rootDir, { outfile }),
      metafile: true,
      logLevel: 'silent',
    });

    const externals = Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.filter((entry) => entry.external).map((entry) => entry.path),
    );
    const inputs = Object.keys(result.metafile.inputs);
    expect(externals.filter((name) => !isBuiltin(name))).toStrictEqual([]);
    expect(inputs).toContainEqual(expect.stringMatching(/^node_modules\/@aws-sdk\/client-wafv2\//));
    expect(inputs).toContainEqual(
      expect.stringMatching(/^node_modules\/@aws-lambda-powertools\/metrics\//),
    );
    // Nothing of the CDK app travels with it (the construct imports the metric names only).
    expect(inputs.filter((input) => input.includes('aws-cdk-lib'))).toStrictEqual([]);
    expect((await readFile(outfile)).length).toBeLessThan(1_500_000);
  });

  /** Runs the bundle outside the project against a WAF stub, and returns its output lines. */
  async function runBundle(rules: Rule[]) {
    await build({
      ...esbuildOptionsOf(GUARD_WATCH_BUNDLING, rootDir, { outfile }),
      logLevel: 'silent',
    });
    const stub = await startWafStub(rules);
    try {
      const script = `
        const { handler } = require('./index.js');
        handler({ 'detail-type': 'Scheduled Event' }).then(
          (result) => process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n'));`;
      const { stdout } = await run(process.execPath, ['-e', script], {
        cwd: outdir,
        env: {
          PATH: process.env['PATH'],
          ...guardWatchEnv(),
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_WAFV2: stub.endpoint,
        },
      });
      const lines = stdout.split('\n');
      const result = lines.find((line) => line.startsWith('RESULT '))?.slice('RESULT '.length);
      const metrics = lines
        .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return {
        result: JSON.parse(result ?? 'null') as Awaited<ReturnType<typeof handler>>,
        metrics,
        operations: stub.operations,
      };
    } finally {
      await stub.close();
    }
  }

  test('when the bundle reads an intact guard over the wire, then it finds nothing and publishes GuardWeakened 0', async () => {
    const { result, metrics, operations } = await runBundle(deployedRules());

    expect(result).toStrictEqual({ weakened: false, findings: [] });
    expect(operations.sort()).toStrictEqual(['GetIPSet', 'GetWebACL', 'GetWebACLForResource']);
    expect(metrics.map((line) => [line['Finding'], line['GuardWeakened']])).toStrictEqual([
      [undefined, 0],
    ]);
  });

  test('when the block rule is in Count over the wire, then the bundle reports it and publishes GuardWeakened 1', async () => {
    const rules = deployedRules().map((rule) =>
      rule.Name === WAF_RULE_NAMES.blockUnsignedRegistration
        ? { ...blockRule(), Action: { Count: {} } }
        : rule,
    );

    const { result, metrics } = await runBundle(rules);

    expect(result).toStrictEqual({ weakened: true, findings: ['GuardRuleActionChanged'] });
    expect(metrics.map((line) => [line['Finding'], line['GuardWeakened']])).toStrictEqual([
      ['GuardRuleActionChanged', 1],
      [undefined, 1],
    ]);
  });
});
