import { isIP } from 'node:net';
import * as z from 'zod';
import { envFields, parseEnv } from '#contract/config';
import type { GuardExpectations } from './guard-assessment';
import type { GuardResources, WafResourceRef } from './guard-observer';

/** `arn:<partition>:wafv2:<region>:<account>:<regional|global>/<type>/<name>/<id>` */
const wafArn = (type: 'webacl' | 'ipset') =>
  z.string().transform((arn, ctx): WafResourceRef => {
    const match = new RegExp(
      `^arn:aws[\\w-]*:wafv2:[a-z0-9-]+:\\d{12}:(regional|global)/${type}/([\\w-]{1,128})/([a-f0-9-]{1,128})$`,
    ).exec(arn);
    const [, scope, name, id] = match ?? [];
    if (scope === undefined || name === undefined || id === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be the ARN of a WAFv2 ${type}` });
      return z.NEVER;
    }
    return { arn, name, id, scope: scope === 'regional' ? 'REGIONAL' : 'CLOUDFRONT' };
  });

const cidr = (value: string): boolean => {
  const [address = '', prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
};

const envSchema = z.object({
  WEB_ACL_ARN: wafArn('webacl'),
  NAT_IP_SET_ARN: wafArn('ipset'),
  LOAD_BALANCER_ARN: z
    .string()
    .regex(
      /^arn:aws[\w-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[^/]+\/[^/]+$/,
      'must be the ARN of an Application Load Balancer',
    ),
  /** Comma-separated CIDRs: exactly what the NAT IP set must hold. */
  EXPECTED_NAT_ADDRESSES: z.string().transform((raw, ctx) => {
    const addresses = raw
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (addresses.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one address' });
    }
    addresses.forEach((address, index) => {
      if (!cidr(address)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1} is not an IP address or CIDR`,
        });
      }
    });
    return addresses;
  }),
  ALLOW_RULE_NAME: z.string().min(1),
  BLOCK_RULE_NAME: z.string().min(1),
  AUTH_HEADER_NAME: envFields.authHeaderName,
  REGISTRATION_PATH_PATTERN: z.string().min(1),
});

export interface GuardWatchSettings {
  readonly resources: GuardResources;
  readonly expectations: GuardExpectations;
}

/**
 * Reads the check's environment once, at cold start. Throws ConfigError naming the variable at
 * fault; the function then fails, emits no metric, and the alarm's missing-data rule fires.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<GuardWatchSettings> {
  const vars = parseEnv(envSchema, env);
  return Object.freeze({
    resources: {
      webAcl: vars.WEB_ACL_ARN,
      natIpSet: vars.NAT_IP_SET_ARN,
      loadBalancerArn: vars.LOAD_BALANCER_ARN,
    },
    expectations: {
      webAclArn: vars.WEB_ACL_ARN.arn,
      ipSetArn: vars.NAT_IP_SET_ARN.arn,
      allowRuleName: vars.ALLOW_RULE_NAME,
      blockRuleName: vars.BLOCK_RULE_NAME,
      headerName: vars.AUTH_HEADER_NAME,
      registrationPathPattern: vars.REGISTRATION_PATH_PATTERN,
      natEgressAddresses: vars.EXPECTED_NAT_ADDRESSES,
    },
  });
}
