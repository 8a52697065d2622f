import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleProducer } from '../../../bench/producer-bundle';
import { postConfirmationEvent } from '../../../fixtures/cognito-events';

const run = promisify(execFile);
const rootDir = path.resolve(__dirname, '../../..');
/** A generous ceiling; the bundle is about 150 KiB minified. Growth past it deserves a look. */
const MAX_MINIFIED_BYTES = 250 * 1024;

describe('producer bundle', () => {
  test('when bundled as the stack bundles it, then it is one small file with a source map that leaves only the AWS SDK, Smithy and built-ins out', async () => {
    // Act
    const bundle = await bundleProducer({ rootDir });

    // Assert
    expect(bundle.bytes).toBeLessThan(MAX_MINIFIED_BYTES);
    expect(bundle.code).toContain('//# sourceMappingURL=index.js.map');
    expect(JSON.parse(bundle.sourceMap ?? '{}')).toMatchObject({ version: 3 });
    for (const external of bundle.externalImports) {
      expect(external).toMatch(/^(@aws-sdk\/|@smithy\/|node:)/);
    }
    expect(bundle.externalImports).toContain('@aws-sdk/client-sqs');
  });

  test('when the bundle is loaded by plain Node, then handler passes a password reset through', async () => {
    // Arrange: inside the project so the bundle finds @aws-sdk/* in node_modules, as on Lambda.
    const bundle = await bundleProducer({ rootDir });
    const dir = path.join(rootDir, 'dist', `producer-bundle-check-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'index.js');
    await writeFile(file, bundle.code);
    await writeFile(`${file}.map`, bundle.sourceMap ?? '');
    const event = postConfirmationEvent({
      triggerSource: 'PostConfirmation_ConfirmForgotPassword',
    });
    const script = `
      const { handler } = require(${JSON.stringify(file)});
      const context = { awsRequestId: 'bundle-check', getRemainingTimeInMillis: () => 5000 };
      handler(${JSON.stringify(event)}, context).then((result) => {
        process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');
      });`;

    try {
      // Act
      const { stdout } = await run(process.execPath, ['-e', script], {
        // As CDK sets it for a function bundled with source maps.
        env: {
          PATH: process.env['PATH'],
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          NODE_OPTIONS: '--enable-source-maps',
        },
      });

      // Assert
      const resultLine = stdout.split('\n').find((line) => line.startsWith('RESULT '));
      expect(JSON.parse(resultLine?.slice('RESULT '.length) ?? 'null')).toEqual(event);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
