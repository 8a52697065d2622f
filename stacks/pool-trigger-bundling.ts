import path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How the function that attaches the producer to an existing user pool is bundled. The stack's
 * NodejsFunction and the bundle test derive their options from this, so what is tested is what
 * deploys.
 */
export const POOL_TRIGGER_BUNDLING = {
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
} as const;

/** The NodejsFunction `bundling` props: the local esbuild, never Docker, the SDK included. */
export function poolTriggerNodejsBundling(): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    minify: POOL_TRIGGER_BUNDLING.minify,
    sourceMap: POOL_TRIGGER_BUNDLING.sourceMap,
    target: POOL_TRIGGER_BUNDLING.target,
    format: nodejs.OutputFormat.CJS,
    bundleAwsSDK: true,
    externalModules: [...POOL_TRIGGER_BUNDLING.externalModules],
  };
}

/** The same bundle as esbuild options, for building it outside CDK (the bundle test). */
export function poolTriggerEsbuildOptions(
  rootDir: string,
  { outfile }: { outfile: string },
): BuildOptions {
  return {
    absWorkingDir: rootDir,
    entryPoints: [path.join(rootDir, POOL_TRIGGER_BUNDLING.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: POOL_TRIGGER_BUNDLING.target,
    format: 'cjs',
    minify: POOL_TRIGGER_BUNDLING.minify,
    sourcemap: POOL_TRIGGER_BUNDLING.sourceMap,
    external: [...POOL_TRIGGER_BUNDLING.externalModules],
  };
}
