/**
 * Helpers for tests on jest's fake timers, set up with
 * `jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] })` so that
 * promise chains can run to completion between two timers.
 */

/** Lets every promise chain started so far run up to its next timer. */
export async function settle(): Promise<void> {
  for (let round = 0; round < 5; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Moves the fake clock by `ms`, running due timers and the chains they start. */
export async function advance(ms: number): Promise<void> {
  await settle();
  await jest.advanceTimersByTimeAsync(ms);
  await settle();
}

/** Moves the fake clock timer by timer, letting each chain settle, until `condition` holds. */
export async function runUntil(condition: () => boolean, maxTimers = 500): Promise<void> {
  await settle();
  for (let fired = 0; !condition(); fired += 1) {
    if (fired >= maxTimers) throw new Error('condition not reached');
    await jest.advanceTimersToNextTimerAsync();
    await settle();
  }
}
