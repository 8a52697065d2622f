import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { handler } from '../../../pool-trigger/handler';
import { esbuildOptionsOf } from '../../../stacks/lambda-bundling';
import { POOL_TRIGGER_BUNDLING } from '../../../stacks/pool-trigger-bundling';
import { deleteEvent, poolTriggerProperties } from '../../helpers/custom-resource-events';
import { POOL_ID, PRODUCER_ARN } from '../../helpers/described-user-pool';

const run = promisify(execFile);
const rootDir = path.resolve(__dirname, '../../..');

describe('the trigger attachment’s bundle', () => {
  test('when bundled as the stack bundles it, then the Cognito SDK is inside and only Node built-ins are left out', async () => {
    const outdir = await mkdtemp(path.join(os.tmpdir(), 'pool-trigger-bundle-'));
    try {
      const outfile = path.join(outdir, 'index.js');
      const result = await build({
        ...esbuildOptionsOf(POOL_TRIGGER_BUNDLING, rootDir, { outfile }),
        metafile: true,
        logLevel: 'silent',
      });

      const outputs = Object.values(result.metafile.outputs);
      const externals = outputs.flatMap((output) =>
        output.imports.filter((entry) => entry.external).map((entry) => entry.path),
      );
      const inputs = Object.keys(result.metafile.inputs);
      expect(externals.filter((name) => !isBuiltin(name))).toStrictEqual([]);
      expect(inputs).toContainEqual(
        expect.stringMatching(/^node_modules\/@aws-sdk\/client-cognito-identity-provider\//),
      );
      // Read out of the bundled SDK itself: the schema its serializer uses for UpdateUserPool.
      expect(await readFile(outfile, 'utf8')).toContain('UpdateUserPoolRequest');
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });

  test('when the bundle runs outside the project (no node_modules to fall back on), then the handler answers a delete it has nothing to do for', async () => {
    const outdir = await mkdtemp(path.join(os.tmpdir(), 'pool-trigger-bundle-'));
    try {
      const outfile = path.join(outdir, 'index.js');
      await build({
        ...esbuildOptionsOf(POOL_TRIGGER_BUNDLING, rootDir, { outfile }),
        logLevel: 'silent',
      });
      const event = deleteEvent(
        'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED',
        poolTriggerProperties({ UserPoolId: POOL_ID, TriggerFunctionArn: PRODUCER_ARN }),
      );
      const eventFile = path.join(outdir, 'event.json');
      await writeFile(eventFile, JSON.stringify(event));
      const script = `
        const { handler } = require('./index.js');
        const event = require('./event.json');
        handler(event).then((result) => process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n'));`;

      const { stdout } = await run(process.execPath, ['-e', script], {
        cwd: outdir,
        env: { PATH: process.env['PATH'], AWS_REGION: 'eu-west-1', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      });

      const line = stdout.split('\n').find((entry) => entry.startsWith('RESULT '));
      const result = JSON.parse(line?.slice('RESULT '.length) ?? 'null') as Awaited<
        ReturnType<typeof handler>
      >;
      expect(result).toStrictEqual({ PhysicalResourceId: event.PhysicalResourceId });
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
