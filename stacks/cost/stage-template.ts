import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { createCognitoUserSyncApp, SOURCE_ROOT } from '../app';
import type { CfnTemplate } from './cfn-template';

/**
 * TLS settings that synthesize offline (a hosted zone given by attributes, as `npm run synth`
 * uses). The bill does not depend on them: the certificate and the alias record are free.
 */
export const EXAMPLE_TLS_CONTEXT = {
  hostedZoneId: 'Z0EXAMPLE0000000000000',
  hostedZoneName: 'example.com',
  apiDomainName: 'api.example.com',
} as const;

const TLS_KEYS = [
  'hostedZoneId',
  'hostedZoneName',
  'apiDomainName',
  'certificateArn',
  'allowInsecureHttp',
];

export type ContextValue = string | number | boolean;

export interface StageTemplate {
  stackName: string;
  region: string;
  template: CfnTemplate;
}

/** cdk.json's context (the feature flags): the bill must be of what `cdk deploy` synthesizes. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(SOURCE_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Synthesizes the app's stack for `context` (`stage` and any other setting) and returns its
 * template. Offline: no credentials, no Docker, and no asset bundling (the bill does not need the
 * code). The example TLS settings apply unless `context` names TLS settings of its own.
 */
export function synthesizeStageTemplate(context: Record<string, ContextValue>): StageTemplate {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-synth-'));
  try {
    const tls = TLS_KEYS.some((key) => key in context) ? {} : EXAMPLE_TLS_CONTEXT;
    const app = new App({
      outdir,
      context: {
        ...cdkJsonContext(),
        ...tls,
        ...context,
        // An empty list skips asset bundling for every stack.
        'aws:cdk:bundling-stacks': [],
      },
    });
    const { stack } = createCognitoUserSyncApp({ app, nagChecks: false });
    const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
    return { stackName: stack.stackName, region: stack.region, template };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
