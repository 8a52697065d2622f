import path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How the guard check (guard-watch/handler.ts) is bundled. The construct's NodejsFunction and
 * the bundle test derive their options from this, so what is tested is what deploys.
 */
export const GUARD_WATCH_BUNDLING = {
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
} as const;

/** The NodejsFunction `bundling` props: the local esbuild, never Docker, the SDK included. */
export function guardWatchNodejsBundling(): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    minify: GUARD_WATCH_BUNDLING.minify,
    sourceMap: GUARD_WATCH_BUNDLING.sourceMap,
    target: GUARD_WATCH_BUNDLING.target,
    format: nodejs.OutputFormat.CJS,
    bundleAwsSDK: true,
    externalModules: [...GUARD_WATCH_BUNDLING.externalModules],
  };
}

/** The same bundle as esbuild options, for building it outside CDK (the bundle test). */
export function guardWatchEsbuildOptions(
  rootDir: string,
  { outfile }: { outfile: string },
): BuildOptions {
  return {
    absWorkingDir: rootDir,
    entryPoints: [path.join(rootDir, GUARD_WATCH_BUNDLING.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: GUARD_WATCH_BUNDLING.target,
    format: 'cjs',
    minify: GUARD_WATCH_BUNDLING.minify,
    sourcemap: GUARD_WATCH_BUNDLING.sourceMap,
    external: [...GUARD_WATCH_BUNDLING.externalModules],
  };
}
