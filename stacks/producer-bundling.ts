import path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How the producer Lambda is bundled. The stack's NodejsFunction and the bundle test and
 * benchmark all derive their options from this, so what is tested and measured is what deploys.
 */
export const PRODUCER_BUNDLING = {
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
} as const;

/** The NodejsFunction `bundling` props: the local esbuild, never Docker. */
export function producerNodejsBundling(): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    minify: PRODUCER_BUNDLING.minify,
    sourceMap: PRODUCER_BUNDLING.sourceMap,
    target: PRODUCER_BUNDLING.target,
    format: nodejs.OutputFormat.CJS,
    externalModules: [...PRODUCER_BUNDLING.externalModules],
  };
}

/**
 * The same bundle as esbuild options, for building it outside CDK (tests, benchmarks): one
 * CommonJS file `outfile` plus its linked source map. `minify` may be overridden to measure
 * the difference; everything else is as deployed.
 */
export function producerEsbuildOptions(
  rootDir: string,
  { outfile, minify = PRODUCER_BUNDLING.minify }: { outfile: string; minify?: boolean },
): BuildOptions {
  return {
    absWorkingDir: rootDir,
    entryPoints: [path.join(rootDir, PRODUCER_BUNDLING.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: PRODUCER_BUNDLING.target,
    format: 'cjs',
    minify,
    sourcemap: PRODUCER_BUNDLING.sourceMap,
    external: [...PRODUCER_BUNDLING.externalModules],
  };
}
