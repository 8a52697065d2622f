/**
 * What the custom resource must remember between its events: which pool it changed and which
 * PostConfirmation trigger that pool had before (none, or the function it replaced).
 *
 * It lives in the physical resource ID because that is the one value CloudFormation hands back
 * on every later Update and Delete. The Delete's ResourceProperties are the resource's current
 * properties, not its history, and the response's Data never comes back.
 */
export interface TriggerAttachment {
  readonly userPoolId: string;
  /** The PostConfirmation function to put back on delete; undefined: the pool had none. */
  readonly previousTrigger: string | undefined;
}

const NONE = 'none';
// Pool IDs are `<region>_<id>` and Lambda ARNs contain no `/`, so `/` separates them safely.
const PATTERN = /^([\w-]+_[0-9a-zA-Z]+)\/PostConfirmation\/previous=(.+)$/;

/** `<pool>/PostConfirmation/previous=<arn|none>`, readable in the CloudFormation console. */
export function physicalIdOf(attachment: TriggerAttachment): string {
  return `${attachment.userPoolId}/PostConfirmation/previous=${attachment.previousTrigger ?? NONE}`;
}

/**
 * The attachment a physical ID records, or undefined for an ID this resource did not make
 * (such as the provider framework's marker for a failed create).
 */
export function attachmentOf(physicalId: string): TriggerAttachment | undefined {
  const match = PATTERN.exec(physicalId);
  if (match === null) return undefined;
  const [, userPoolId, previous] = match;
  if (userPoolId === undefined || previous === undefined) return undefined;
  return { userPoolId, previousTrigger: previous === NONE ? undefined : previous };
}
