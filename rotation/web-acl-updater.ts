import {
  GetWebACLCommand,
  UpdateWebACLCommand,
  WAFOptimisticLockException,
  type Rule,
  type Scope,
  type UpdateWebACLCommandInput,
  type WAFV2Client,
  type WebACL,
} from '@aws-sdk/client-wafv2';

/** The WebACL a rotation edits. */
export interface WebAclRef {
  name: string;
  id: string;
  scope: Scope;
}

export interface UpdateRulesOptions {
  /** Attempts in all when another writer changed the WebACL in between. @default 5 */
  maxAttempts?: number;
  /** Waits between attempts (injected so tests need not wait). */
  sleep: (ms: number) => Promise<void>;
}

/** Reads the WebACL with the lock token an update must present. */
export async function getWebAcl(
  waf: WAFV2Client,
  ref: WebAclRef,
): Promise<{ webAcl: WebACL; lockToken: string }> {
  const answer = await waf.send(
    new GetWebACLCommand({ Name: ref.name, Id: ref.id, Scope: ref.scope }),
  );
  if (answer.WebACL === undefined || answer.LockToken === undefined) {
    throw new Error(`GetWebACL returned no WebACL or lock token for ${ref.name}`);
  }
  return { webAcl: answer.WebACL, lockToken: answer.LockToken };
}

/**
 * UpdateWebACL replaces the whole configuration: everything it accepts is copied from what
 * GetWebACL returned, so only the rules change. Fields WAF manages itself (ARN, capacity,
 * label namespace, ...) are not part of an update.
 */
function updateInput(
  ref: WebAclRef,
  webAcl: WebACL,
  rules: Rule[],
  lockToken: string,
): UpdateWebACLCommandInput {
  return {
    Name: ref.name,
    Id: ref.id,
    Scope: ref.scope,
    LockToken: lockToken,
    Rules: rules,
    DefaultAction: webAcl.DefaultAction,
    Description: webAcl.Description,
    VisibilityConfig: webAcl.VisibilityConfig,
    DataProtectionConfig: webAcl.DataProtectionConfig,
    CustomResponseBodies: webAcl.CustomResponseBodies,
    CaptchaConfig: webAcl.CaptchaConfig,
    ChallengeConfig: webAcl.ChallengeConfig,
    TokenDomains: webAcl.TokenDomains,
    AssociationConfig: webAcl.AssociationConfig,
    OnSourceDDoSProtectionConfig: webAcl.OnSourceDDoSProtectionConfig,
    ApplicationConfig: webAcl.ApplicationConfig,
  };
}

const isLockConflict = (error: unknown): boolean =>
  error instanceof WAFOptimisticLockException ||
  (error instanceof Error && error.name === 'WAFOptimisticLockException');

/**
 * Applies `change` to the WebACL's current rules and writes them back. WAF refuses an update
 * whose lock token is stale (someone else wrote in between: a deploy, another operator), so on
 * WAFOptimisticLockException it reads the WebACL again, re-applies `change` to what is there now
 * (keeping the other writer's edit) and retries with the fresh token, with a growing pause.
 * Returns the rules it wrote, or undefined when `change` left them as they were.
 */
export async function updateRules(
  waf: WAFV2Client,
  ref: WebAclRef,
  change: (rules: readonly Rule[]) => Rule[] | undefined,
  { maxAttempts = 5, sleep }: UpdateRulesOptions,
): Promise<Rule[] | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    const { webAcl, lockToken } = await getWebAcl(waf, ref);
    const rules = change(webAcl.Rules ?? []);
    if (rules === undefined) return undefined;
    try {
      await waf.send(new UpdateWebACLCommand(updateInput(ref, webAcl, rules, lockToken)));
      return rules;
    } catch (error) {
      if (!isLockConflict(error) || attempt >= maxAttempts) throw error;
      await sleep(200 * 2 ** (attempt - 1) + Math.floor(Math.random() * 200));
    }
  }
}
