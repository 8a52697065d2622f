import * as z from 'zod';
import { envFields, parseEnv } from '#contract/config';
import type { HeaderRotationSettings } from './header-rotation';

const envSchema = z.object({
  WEB_ACL_NAME: z.string().min(1),
  WEB_ACL_ID: z.string().min(1),
  WEB_ACL_SCOPE: z.enum(['REGIONAL', 'CLOUDFRONT']).default('REGIONAL'),
  GUARD_RULE_NAME: z.string().min(1),
  AUTH_HEADER_NAME: envFields.authHeaderName,
  HEADER_VALUE_LENGTH: z.coerce.number().int().min(32).max(4096).default(48),
  // AWS's origin-verify sample waits 75 s for regional WAF propagation.
  WAF_PROPAGATION_SECONDS: z.coerce.number().int().min(0).max(600).default(75),
  MIN_ROTATION_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(900),
});

/**
 * Reads the rotation function's environment once, at cold start. Throws ConfigError naming the
 * variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<HeaderRotationSettings> {
  const vars = parseEnv(envSchema, env);
  return Object.freeze({
    webAcl: { name: vars.WEB_ACL_NAME, id: vars.WEB_ACL_ID, scope: vars.WEB_ACL_SCOPE },
    guardRule: { ruleName: vars.GUARD_RULE_NAME, headerName: vars.AUTH_HEADER_NAME },
    headerValueLength: vars.HEADER_VALUE_LENGTH,
    wafPropagationMs: vars.WAF_PROPAGATION_SECONDS * 1000,
    minRotationIntervalMs: vars.MIN_ROTATION_INTERVAL_SECONDS * 1000,
  });
}
