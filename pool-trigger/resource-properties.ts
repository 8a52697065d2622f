import * as z from 'zod';
import { PoolTriggerError } from './errors';

/**
 * The custom resource's properties as the construct sets them. CloudFormation delivers every
 * scalar as a string, so the flag arrives as "true" or "false".
 */
const propertiesSchema = z.object({
  UserPoolId: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a user pool ID'),
  TriggerFunctionArn: z
    .string()
    .regex(
      /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/,
      'must be a Lambda ARN',
    ),
  ReplaceExistingTrigger: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .transform((value) => value === true || value === 'true'),
  SmsRoleArns: z.array(z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\//)).default([]),
});

/** What one event asks for. */
export interface PoolTriggerProperties {
  readonly userPoolId: string;
  readonly triggerFunctionArn: string;
  readonly replaceExistingTrigger: boolean;
  /** Roles the function was granted iam:PassRole on, for the pool's SMS configuration. */
  readonly smsRoleArns: readonly string[];
}

/** The property names the construct sets, typed so that the two cannot drift apart. */
export type PoolTriggerResourceProperties = z.input<typeof propertiesSchema>;

/** Reads an event's ResourceProperties; PoolTriggerError naming the property at fault. */
export function parseResourceProperties(raw: unknown): PoolTriggerProperties {
  const result = propertiesSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(properties)'}: ${issue.message}`,
    );
    throw new PoolTriggerError(`Invalid custom resource properties: ${problems.join('; ')}`);
  }
  return {
    userPoolId: result.data.UserPoolId,
    triggerFunctionArn: result.data.TriggerFunctionArn,
    replaceExistingTrigger: result.data.ReplaceExistingTrigger,
    smsRoleArns: result.data.SmsRoleArns,
  };
}
