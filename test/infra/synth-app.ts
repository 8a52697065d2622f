import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createCognitoUserSyncApp, SOURCE_ROOT } from '../../stacks/app';
import type { CognitoUserSyncStack } from '../../stacks/cognito-user-sync-stack';

export type ContextValue = string | number | boolean;

/** TLS settings that synthesize offline: a hosted zone given by attributes (as `npm run synth`). */
export const TEST_HOSTED_ZONE = {
  hostedZoneId: 'Z0EXAMPLE0000000000000',
  hostedZoneName: 'example.com',
  apiDomainName: 'api.example.com',
} as const;

/** The feature flags from cdk.json: tests must synthesize what `npm run synth` synthesizes. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(SOURCE_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface SynthesizedApp {
  app: App;
  stack: CognitoUserSyncStack;
  template: Template;
  /** The template as plain JSON, for walking the WAF rules and searching for plaintext. */
  json: TemplateJson;
}

export interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface SynthOptions {
  /** Run the cdk-nag plugin during synthesis (slow; the nag test reads findings directly). */
  nagChecks?: boolean;
  /** Bundle the producer with esbuild (slow-ish; template assertions do not need the code). */
  bundleLambda?: boolean;
}

/**
 * Builds the app with cdk.json's flags plus `context`, into a temporary output directory, without
 * synthesizing it (enough for cdk-nag's `validateScope`).
 */
export function buildApp(
  context: Record<string, ContextValue>,
  options: SynthOptions = {},
): { app: App; stack: CognitoUserSyncStack } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...context,
      // An empty list skips asset bundling for every stack.
      ...(options.bundleLambda ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  return createCognitoUserSyncApp({ app, nagChecks: options.nagChecks ?? false });
}

/** Builds the app (see buildApp) and synthesizes the stack once. Call it in `beforeAll`. */
export function synthApp(
  context: Record<string, ContextValue>,
  options: SynthOptions = {},
): SynthesizedApp {
  const { app, stack } = buildApp(context, options);
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() as TemplateJson };
}

/** Logical IDs of the resources of `type` whose ID starts with `prefix`. */
export function logicalIdsOf(json: TemplateJson, type: string, prefix = ''): string[] {
  return Object.entries(json.Resources)
    .filter(([id, resource]) => resource.Type === type && id.startsWith(prefix))
    .map(([id]) => id)
    .sort();
}

/** Where a container's image comes from: the Dockerfile and target of its image asset. */
export interface ContainerImageSource {
  dockerFile: string | undefined;
  dockerBuildTarget: string | undefined;
  /** The asset's hash: containers built from the same target share it. */
  assetHash: string;
  /** The build context as synth staged it into the output directory (what Docker is given). */
  contextDirectory: string;
}

/**
 * The image source of every container in the stack, by container name, joined from the template
 * (the image URI ends in the asset's hash) and the stack's asset manifest (which holds the
 * Dockerfile and target Docker is given at deploy time). Reads the synthesized output directory.
 */
export function containerImageSources(
  synthesized: SynthesizedApp,
): Record<string, ContainerImageSource> {
  const manifestFile = path.join(
    synthesized.app.outdir,
    `${synthesized.stack.artifactId}.assets.json`,
  );
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as {
    dockerImages?: Record<
      string,
      { source: { directory?: string; dockerFile?: string; dockerBuildTarget?: string } }
    >;
  };
  const sources: Record<string, ContainerImageSource> = {};
  for (const resource of Object.values(synthesized.json.Resources)) {
    if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
    const containers = resource.Properties?.ContainerDefinitions as
      { Name: string; Image: unknown }[] | undefined;
    for (const container of containers ?? []) {
      const assetHash = /:([0-9a-f]{64})"/.exec(JSON.stringify(container.Image))?.[1];
      const image = assetHash === undefined ? undefined : manifest.dockerImages?.[assetHash];
      if (assetHash === undefined || image === undefined) {
        throw new Error(`container ${container.Name} has no image asset`);
      }
      sources[container.Name] = {
        dockerFile: image.source.dockerFile,
        dockerBuildTarget: image.source.dockerBuildTarget,
        assetHash,
        contextDirectory: path.join(synthesized.app.outdir, image.source.directory ?? ''),
      };
    }
  }
  return sources;
}
