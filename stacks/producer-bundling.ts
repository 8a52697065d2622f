import path from 'node:path';
import type { LambdaBundle } from './lambda-bundling';

/**
 * How the producer Lambda is bundled. The stack's NodejsFunction and the bundle test and
 * benchmark all derive their options from this, so what is tested and measured is what deploys.
 */
export const PRODUCER_BUNDLING: LambdaBundle = {
  /** Relative to the repository root. */
  entry: path.join('producer', 'handler.ts'),
  /** The Lambda runtime's Node major (`NODEJS_24_X`). */
  target: 'node24',
  minify: true,
  sourceMap: true,
  /**
   * Left to the runtime, which ships the AWS SDK v3 and the Smithy packages it is built on;
   * bundling them would only slow the cold start.
   */
  externalModules: ['@aws-sdk/*', '@smithy/*'],
  bundleAwsSdk: false,
};
