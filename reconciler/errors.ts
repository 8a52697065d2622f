/** Why a scan of the user pool ended before its last page. */
export type IncompleteScanReason = 'throttled' | 'failed' | 'stopped';

/**
 * The scan did not see the whole pool, so absence from it proves nothing: the run ends without
 * marking any user deleted. `cause` holds the last error, when there was one.
 */
export class IncompleteScanError extends Error {
  override readonly name = 'IncompleteScanError';
  constructor(
    readonly reason: IncompleteScanReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
