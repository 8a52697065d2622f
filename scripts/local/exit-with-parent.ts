/**
 * Preloaded (`node --import`) into every process the local pipeline spawns, so that none of them
 * outlives it. spawnEntry opens an IPC channel to each child; the operating system closes it when
 * the parent exits for whatever reason — Ctrl-C, a crash, SIGKILL — and Node then emits
 * 'disconnect' here. The child stops as on SIGTERM (a service drains and exits), and exits
 * regardless once the grace period is over, so the ports it holds are freed either way.
 */
const STOP_GRACE_MS = 30_000;

if (process.channel) {
  // The channel carries no messages: it must not keep a finished child alive.
  process.channel.unref();
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), STOP_GRACE_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}

export {};
