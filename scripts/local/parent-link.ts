/**
 * The link between a local service started with an IPC channel (`spawnLinkedEntry`) and the
 * supervisor that started it: the service says when it is ready, and exits when the supervisor
 * goes away, however it went (a SIGKILL closes the channel too), so it never lingers as an orphan
 * holding its port.
 */

/** A service's "ready" message: where it listens. */
export interface ReadyMessage {
  ready: true;
  port: number;
}

export const isReadyMessage = (message: unknown): message is ReadyMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as { ready?: unknown }).ready === true &&
  typeof (message as { port?: unknown }).port === 'number';

/** Tells the supervisor the service is ready; a no-op when run by hand without a channel. */
export function reportReady(port: number): void {
  const message: ReadyMessage = { ready: true, port };
  process.send?.(message);
}

/**
 * Runs `stop` (then exits) on SIGTERM or SIGINT. The supervisor going away arrives as a SIGTERM
 * too: `exit-with-parent.ts`, preloaded into every child, sends it when the channel closes.
 */
export function stopWithParent(stop: () => Promise<void>): void {
  let stopping = false;
  const stopOnce = (): void => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stopOnce);
  process.once('SIGINT', stopOnce);
}
