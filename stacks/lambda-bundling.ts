import path from 'node:path';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import type { BuildOptions } from 'esbuild';

/**
 * How one of the repository's Lambda functions is bundled. The construct's NodejsFunction and the
 * function's bundle test (and benchmark) both derive their options from it, so what is tested is
 * what deploys.
 */
export interface LambdaBundle {
  /** The handler file, relative to the repository root. */
  readonly entry: string;
  /** The Lambda runtime's Node major (`NODEJS_24_X`). */
  readonly target: 'node24';
  readonly minify: boolean;
  readonly sourceMap: boolean;
  /** Modules left to the runtime rather than bundled. */
  readonly externalModules: readonly string[];
  /** Bundle the AWS SDK rather than use the runtime's. */
  readonly bundleAwsSdk: boolean;
}

/** The NodejsFunction `bundling` props: the local esbuild, never Docker. */
export function nodejsBundlingOf(bundle: LambdaBundle): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    minify: bundle.minify,
    sourceMap: bundle.sourceMap,
    target: bundle.target,
    format: nodejs.OutputFormat.CJS,
    ...(bundle.bundleAwsSdk ? { bundleAwsSDK: true } : {}),
    externalModules: [...bundle.externalModules],
  };
}

/**
 * The same bundle as esbuild options, for building it outside CDK (tests, benchmarks): one
 * CommonJS file `outfile` plus its linked source map. `minify` may be overridden to measure the
 * difference; everything else is as deployed.
 */
export function esbuildOptionsOf(
  bundle: LambdaBundle,
  rootDir: string,
  { outfile, minify = bundle.minify }: { outfile: string; minify?: boolean },
): BuildOptions {
  return {
    absWorkingDir: rootDir,
    entryPoints: [path.join(rootDir, bundle.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: bundle.target,
    format: 'cjs',
    minify,
    sourcemap: bundle.sourceMap,
    external: [...bundle.externalModules],
  };
}

/**
 * What every function of this repository has in common: its handler file under `sourceRoot`
 * (the bundle's entry unless another is named, for functions bundled alike), bundled as `bundle`
 * says against the lock file, on Node 24 arm64, logging JSON. Each construct adds its own
 * description, memory, timeout, log group and environment.
 */
export function repositoryFunctionProps(
  sourceRoot: string,
  bundle: LambdaBundle,
  entry: string = bundle.entry,
) {
  return {
    entry: path.join(sourceRoot, entry),
    handler: 'handler',
    projectRoot: sourceRoot,
    depsLockFilePath: path.join(sourceRoot, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    loggingFormat: lambda.LoggingFormat.JSON,
    bundling: nodejsBundlingOf(bundle),
  } satisfies Partial<nodejs.NodejsFunctionProps>;
}

/** A function's own log group, kept a year. */
export function functionLogGroup(
  scope: Construct,
  id: string,
  removalPolicy: RemovalPolicy = RemovalPolicy.DESTROY,
): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention: logs.RetentionDays.ONE_YEAR, removalPolicy });
}

/** The cdk-nag finding every function role with the AWS-managed basic execution policy raises. */
export const BASIC_EXECUTION_FINDING =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

/**
 * Acknowledges BASIC_EXECUTION_FINDING on `role` (a function's role, or a construct holding
 * functions whose code and role are aws-cdk-lib's); nothing when the function has no role.
 */
export function acknowledgeBasicExecution(
  role: IConstruct | undefined,
  reason = 'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for writing the function’s own ' +
    'logs; it grants no data access.',
): void {
  if (role !== undefined) Validations.of(role).acknowledge({ id: BASIC_EXECUTION_FINDING, reason });
}
