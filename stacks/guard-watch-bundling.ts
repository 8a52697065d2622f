import path from 'node:path';
import type { LambdaBundle } from './lambda-bundling';

/**
 * How the guard check (guard-watch/handler.ts) is bundled. The construct's NodejsFunction and
 * the bundle test derive their options from this, so what is tested is what deploys.
 */
export const GUARD_WATCH_BUNDLING: LambdaBundle = {
  /** Relative to the repository root. */
  entry: path.join('guard-watch', 'handler.ts'),
  /** The Lambda runtime's Node major (`NODEJS_24_X`). */
  target: 'node24',
  minify: true,
  sourceMap: true,
  /**
   * Nothing is left to the runtime: the SDK's deserializer keeps only the WebACL fields it
   * knows, and the check must see the rules as the version its tests ran against reads them
   * (a field an older runtime SDK drops could hide a change). That version travels in the bundle.
   */
  externalModules: [],
  bundleAwsSdk: true,
};
