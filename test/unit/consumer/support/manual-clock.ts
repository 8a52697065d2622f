import type { Clock } from '../../../../consumer/clock';

export interface ManualClock extends Clock {
  /** Moves time forward, waking every sleep that is due, and lets their continuations run. */
  advance(ms: number): Promise<void>;
  /** Sleeps not yet due. */
  readonly sleepers: number;
}

/** A clock that only moves when the test says so. */
export function manualClock(start = 1_000_000): ManualClock {
  let now = start;
  const sleeping = new Set<{ due: number; wake: () => void }>();
  const settle = async (): Promise<void> => {
    // Several rounds: a woken sleeper may await a probe and then sleep again.
    for (let round = 0; round < 20; round += 1) await Promise.resolve();
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal.aborted) {
          resolve();
          return;
        }
        const entry = {
          due: now + ms,
          wake: () => {
            sleeping.delete(entry);
            resolve();
          },
        };
        sleeping.add(entry);
        signal.addEventListener('abort', entry.wake, { once: true });
      });
    },
    async advance(ms) {
      now += ms;
      for (const entry of [...sleeping]) if (entry.due <= now) entry.wake();
      await settle();
    },
    get sleepers() {
      return sleeping.size;
    },
  };
}
