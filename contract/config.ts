import * as z from 'zod';
import {
  DEFAULT_AUTH_HEADER_NAME,
  headerSecretProblem,
  splitHeaderSecretList,
} from './auth-header';

/** A configuration problem found at start-up; the message names the variable and never its value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses environment variables with a zod object schema whose keys are the variable names, and
 * returns a frozen, typed object. Throws ConfigError naming every bad variable.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv,
): Readonly<z.output<S>> {
  // Empty strings count as unset, as most shells and .env tools intend.
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = issue.path.map(String).join('.') || '(environment)';
      return `${variable}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}

/** True for names that never leave the machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Why a sender must not call `apiUrl`, or undefined. The header value and every user's e-mail
 * travel in that request, so anything that leaves the machine must be https, unless the stack
 * was deployed with the explicit non-production opt-in (`allowPlainHttp`).
 */
export function apiUrlTransportProblem(
  apiUrl: string,
  allowPlainHttp: boolean,
): string | undefined {
  const url = new URL(apiUrl);
  if (url.protocol === 'https:' || allowPlainHttp || isLoopbackHost(url.hostname)) return undefined;
  return (
    'API_URL: must be https (plain http only to a loopback host such as 127.0.0.1 or localhost, ' +
    'or with ALLOW_PLAIN_HTTP_API=true)'
  );
}

/** Reusable field schemas for variables that several runtimes read. */
export const envFields = {
  authHeaderName: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/i, 'must be an HTTP header name (letters, digits, dashes)')
    .transform((name) => name.toLowerCase())
    .default(DEFAULT_AUTH_HEADER_NAME),
  /** One header value to send (`AUTH_HEADER_SECRET`). Never echoed in errors. */
  headerSecret: z.string().superRefine((value, ctx) => {
    const problem = headerSecretProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** Accepted header values, comma-separated, current first (`AUTH_HEADER_SECRETS`). */
  headerSecretList: z.string().transform((raw, ctx) => {
    const values = splitHeaderSecretList(raw);
    if (values.length === 0)
      ctx.addIssue({ code: 'custom', message: 'must list at least one value' });
    values.forEach((value, index) => {
      const problem = headerSecretProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `value ${index + 1} ${problem}` });
    });
    return values;
  }),
  secretArn: z
    .string()
    .regex(/^arn:aws[\w-]*:secretsmanager:/, 'must be a Secrets Manager secret ARN'),
  httpUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  /** `ALLOW_PLAIN_HTTP_API`: the explicit, non-production opt-in to an unencrypted API. */
  allowPlainHttpApi: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  port: z.coerce.number().int().min(0).max(65535),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
};
