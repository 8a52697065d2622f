/**
 * Why the trigger attachment refused to change a user pool. The custom resource fails with the
 * message, which CloudFormation shows as the reason the deployment stopped, so each one says
 * what to do about it.
 */
export class PoolTriggerError extends Error {
  override readonly name: string = 'PoolTriggerError';
}

/** Another function is the pool's PostConfirmation trigger and replacing it was not allowed. */
export class TriggerConflictError extends PoolTriggerError {
  override readonly name = 'TriggerConflictError';
  constructor(
    readonly userPoolId: string,
    readonly attachedFunctionArn: string,
  ) {
    super(
      `User pool ${userPoolId} already has a PostConfirmation trigger, ${attachedFunctionArn}. ` +
        'It was left as it is. To replace it with this stack’s producer, deploy again with ' +
        '-c replaceExistingTrigger=true (the stack puts it back when the stack is deleted), or ' +
        'detach it from the pool first.',
    );
  }
}

/**
 * DescribeUserPool answered with a field the update does not know. Updating anyway would reset
 * that setting, so nothing is written; the field lists in update-user-pool-input.ts need it.
 */
export class UnknownUserPoolFieldError extends PoolTriggerError {
  override readonly name = 'UnknownUserPoolFieldError';
  constructor(readonly fields: readonly string[]) {
    super(
      `DescribeUserPool returned ${fields.join(', ')}, which this function does not know how to ` +
        'write back; UpdateUserPool would reset it, so the pool was not changed.',
    );
  }
}

/**
 * The pool sends SMS through IAM roles the function may not pass to Cognito. UpdateUserPool
 * writes the SMS configuration back, and passing a role in it takes iam:PassRole on that role.
 */
export class SmsRoleNotPassableError extends PoolTriggerError {
  override readonly name = 'SmsRoleNotPassableError';
  constructor(
    readonly userPoolId: string,
    readonly roleArns: readonly string[],
  ) {
    super(
      `User pool ${userPoolId} sends SMS through ${roleArns.join(', ')}. Writing its settings ` +
        'back passes that role to Cognito, which needs iam:PassRole on it: give the construct ' +
        'the role ARN (smsRoleArns) so it grants exactly that. The pool was not changed.',
    );
  }
}
