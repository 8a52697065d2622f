import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { WAFV2Client } from '@aws-sdk/client-wafv2';
import {
  acceptedValuesOf,
  parseHeaderSecretDocument,
  type HeaderSecretDocument,
} from '#contract/auth-header';
import {
  acceptedHeaderValuesOf,
  withAcceptedHeaderValues,
  type GuardRuleLocation,
} from './guard-rule';
import { getWebAcl, updateRules, type WebAclRef } from './web-acl-updater';

/** The event Secrets Manager sends a rotation function, once per step. */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
}

export interface HeaderRotationSettings {
  webAcl: WebAclRef;
  guardRule: GuardRuleLocation;
  /** Length of a generated header value. */
  headerValueLength: number;
  /** How long WAF takes to apply an update in every zone of the region. */
  wafPropagationMs: number;
  /**
   * The youngest the current value may be when a rotation starts. A rotation drops the
   * `previous` value from WAF, so the last rotation must be older than every sender's cache
   * (5 minutes) plus the propagation time, or a sender still holding it would be refused.
   */
  minRotationIntervalMs: number;
}

export interface HeaderRotationDependencies {
  secretsManager: SecretsManagerClient;
  waf: WAFV2Client;
  settings: HeaderRotationSettings;
  sleep: (ms: number) => Promise<void>;
  now?: () => number;
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/** The rotation cannot go on; Secrets Manager records the step as failed and retries later. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
}

const sameValues = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value) => b.includes(value));

/**
 * Rotation of the header secret `{"current", "previous"}` in Secrets Manager's four steps, with
 * the WAF guard rule kept in step so that no sender is refused at any moment:
 *
 * - createSecret: a new random value becomes the pending version's `current`; the value in use
 *   moves to its `previous`.
 * - setSecret: the guard rule accepts exactly the pending version's two values (the new one and
 *   the one in use; the older `previous` is dropped), then the function waits for WAF to apply
 *   the change in every zone before anyone sends the new value.
 * - testSecret: reads the WebACL back and checks that it accepts both pending values.
 * - finishSecret: the pending version becomes AWSCURRENT. Senders pick the new value up as
 *   their cache expires; until then they send the previous one, which WAF and the API accept.
 *
 * After finishSecret the guard rule accepts the secret's `current` and `previous`, which is what
 * the stack's own rule resolves to, so a later deploy that rewrites the WebACL keeps it as is.
 * Every step is idempotent: Secrets Manager may call a step again after a failure.
 */
export function createHeaderRotation(dependencies: HeaderRotationDependencies) {
  const { secretsManager, waf, settings, sleep } = dependencies;
  const now = dependencies.now ?? Date.now;
  const log = dependencies.log ?? (() => undefined);

  const readDocument = async (
    secretId: string,
    version: { VersionStage: string } | { VersionId: string; VersionStage: string },
  ): Promise<{ document: HeaderSecretDocument; createdAt: Date | undefined }> => {
    const answer = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretId, ...version }),
    );
    if (answer.SecretString === undefined)
      throw new RotationError('the secret has no string value');
    return {
      document: parseHeaderSecretDocument(answer.SecretString),
      createdAt: answer.CreatedDate,
    };
  };

  const pendingDocument = (event: RotationEvent) =>
    readDocument(event.SecretId, {
      VersionId: event.ClientRequestToken,
      VersionStage: 'AWSPENDING',
    }).then(({ document }) => document);

  async function createSecret(event: RotationEvent): Promise<void> {
    const { document: current, createdAt } = await readDocument(event.SecretId, {
      VersionStage: 'AWSCURRENT',
    });
    try {
      await pendingDocument(event);
      log('pending version exists already');
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const ageMs = createdAt === undefined ? Infinity : now() - createdAt.getTime();
    if (ageMs < settings.minRotationIntervalMs) {
      throw new RotationError(
        `the current header value is ${Math.round(ageMs / 1000)} s old; senders may still hold ` +
          'the previous one, which this rotation would retire. Rotate again after ' +
          new Date(now() + settings.minRotationIntervalMs - ageMs).toISOString(),
      );
    }
    const random = await secretsManager.send(
      new GetRandomPasswordCommand({
        PasswordLength: settings.headerValueLength,
        ExcludePunctuation: true,
        IncludeSpace: false,
        RequireEachIncludedType: true,
      }),
    );
    if (random.RandomPassword === undefined) throw new RotationError('no random value returned');
    const pending: HeaderSecretDocument = {
      current: random.RandomPassword,
      previous: current.current,
    };
    await secretsManager.send(
      new PutSecretValueCommand({
        SecretId: event.SecretId,
        ClientRequestToken: event.ClientRequestToken,
        SecretString: JSON.stringify(pending),
        VersionStages: ['AWSPENDING'],
      }),
    );
    log('pending version created');
  }

  async function setSecret(event: RotationEvent): Promise<void> {
    const wanted = acceptedValuesOf(await pendingDocument(event));
    const written = await updateRules(
      waf,
      settings.webAcl,
      (rules) =>
        sameValues(acceptedHeaderValuesOf(rules, settings.guardRule), wanted)
          ? undefined
          : withAcceptedHeaderValues(rules, settings.guardRule, wanted),
      { sleep },
    );
    log(written ? 'guard rule updated' : 'guard rule already accepts the pending values', {
      acceptedValues: wanted.length,
    });
    // Wait even when nothing was written: this may be a retry after an update whose wait was cut.
    await sleep(settings.wafPropagationMs);
  }

  async function testSecret(event: RotationEvent): Promise<void> {
    const wanted = acceptedValuesOf(await pendingDocument(event));
    const { webAcl } = await getWebAcl(waf, settings.webAcl);
    const accepted = acceptedHeaderValuesOf(webAcl.Rules ?? [], settings.guardRule);
    if (!sameValues(accepted, wanted)) {
      throw new RotationError(
        `the guard rule accepts ${accepted.length} values, not the pending version's ${wanted.length}`,
      );
    }
    log('guard rule accepts the pending values');
  }

  async function finishSecret(event: RotationEvent): Promise<void> {
    const description = await secretsManager.send(
      new DescribeSecretCommand({ SecretId: event.SecretId }),
    );
    const stages = description.VersionIdsToStages ?? {};
    const currentVersion = Object.keys(stages).find((id) => stages[id]?.includes('AWSCURRENT'));
    if (currentVersion === event.ClientRequestToken) {
      log('pending version is current already');
      return;
    }
    await secretsManager.send(
      new UpdateSecretVersionStageCommand({
        SecretId: event.SecretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: event.ClientRequestToken,
        ...(currentVersion === undefined ? {} : { RemoveFromVersionId: currentVersion }),
      }),
    );
    log('pending version is now current');
  }

  const steps = { createSecret, setSecret, testSecret, finishSecret };

  return {
    /** Runs one step after checking that the event is about a version this rotation owns. */
    async run(event: RotationEvent): Promise<void> {
      const description = await secretsManager.send(
        new DescribeSecretCommand({ SecretId: event.SecretId }),
      );
      if (description.RotationEnabled === false) {
        throw new RotationError('rotation is not enabled on this secret');
      }
      const stages = description.VersionIdsToStages?.[event.ClientRequestToken];
      if (stages === undefined) {
        throw new RotationError('the rotation token names no version of this secret');
      }
      if (stages.includes('AWSCURRENT')) {
        log('version is current already; nothing to do', { step: event.Step });
        return;
      }
      if (!stages.includes('AWSPENDING')) {
        throw new RotationError('the rotation token names a version that is not pending');
      }
      const step = steps[event.Step];
      if (step === undefined)
        throw new RotationError(`unknown rotation step ${String(event.Step)}`);
      await step(event);
    },
  };
}

/** The rotation the Lambda handler runs. */
export type HeaderRotation = ReturnType<typeof createHeaderRotation>;
