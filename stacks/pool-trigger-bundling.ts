import path from 'node:path';
import type { LambdaBundle } from './lambda-bundling';

/**
 * How the function that attaches the producer to an existing user pool is bundled. The stack's
 * NodejsFunction and the bundle test derive their options from this, so what is tested is what
 * deploys.
 */
export const POOL_TRIGGER_BUNDLING: LambdaBundle = {
  /** Relative to the repository root. */
  entry: path.join('pool-trigger', 'handler.ts'),
  /** The Lambda runtime's Node major (`NODEJS_24_X`). */
  target: 'node24',
  minify: true,
  sourceMap: true,
  /**
   * Nothing is left to the runtime, unlike the producer: the SDK's deserializer keeps only the
   * DescribeUserPool fields it knows, and its serializer sends only the UpdateUserPool fields
   * it knows, so the "write every setting back" guarantee holds exactly for the SDK version the
   * field lists were checked against. That version travels in the bundle.
   */
  externalModules: [],
  bundleAwsSdk: true,
};
