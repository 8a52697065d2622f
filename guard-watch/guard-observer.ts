import {
  GetIPSetCommand,
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  type Scope,
  type WAFV2Client,
} from '@aws-sdk/client-wafv2';
import { describeError } from '#contract/describe-error';
import type { GuardObservations, Observation } from './guard-assessment';

/** A WAF resource as the Get calls name it (Name, Id, Scope), with its ARN. */
export interface WafResourceRef {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  readonly scope: Scope;
}

/** The three resources the guard consists of. */
export interface GuardResources {
  readonly webAcl: WafResourceRef;
  readonly natIpSet: WafResourceRef;
  readonly loadBalancerArn: string;
}

async function observe<T>(call: string, read: () => Promise<T>): Promise<Observation<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, call, error: describeError(error) };
  }
}

/**
 * Reads the live guard: which WebACL the load balancer is associated with, our WebACL's rules
 * and our IP set's addresses. The reads are independent, so one failing (AccessDenied, a
 * throttle past the SDK's retries) still leaves the others to report what they see.
 */
export async function observeGuard(
  waf: WAFV2Client,
  resources: GuardResources,
): Promise<GuardObservations> {
  const [association, webAcl, ipSet] = await Promise.all([
    observe('GetWebACLForResource', async () => {
      try {
        const answer = await waf.send(
          new GetWebACLForResourceCommand({ ResourceArn: resources.loadBalancerArn }),
        );
        return { webAclArn: answer.WebACL?.ARN };
      } catch (error) {
        // WAF documents a null WebACL for a resource without one, but has also been seen to
        // answer WAFNonexistentItemException; both mean nothing guards the load balancer.
        if (error instanceof Error && error.name === 'WAFNonexistentItemException') {
          return { webAclArn: undefined };
        }
        throw error;
      }
    }),
    observe('GetWebACL', async () => {
      const { name, id, scope } = resources.webAcl;
      const answer = await waf.send(new GetWebACLCommand({ Name: name, Id: id, Scope: scope }));
      if (answer.WebACL === undefined) throw new Error('the answer holds no WebACL');
      return answer.WebACL;
    }),
    observe('GetIPSet', async () => {
      const { name, id, scope } = resources.natIpSet;
      const answer = await waf.send(new GetIPSetCommand({ Name: name, Id: id, Scope: scope }));
      if (answer.IPSet === undefined) throw new Error('the answer holds no IPSet');
      return answer.IPSet;
    }),
  ]);
  return { association, webAcl, ipSet };
}
