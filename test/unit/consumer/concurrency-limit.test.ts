import { createConcurrencyLimit } from '../../../consumer/concurrency-limit';

describe('createConcurrencyLimit', () => {
  it('when more tasks arrive than the limit, then at most the limit run at once and all finish', async () => {
    const limit = createConcurrencyLimit(3);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const task = (): Promise<void> =>
      new Promise<void>((resolve) => {
        running += 1;
        peak = Math.max(peak, running);
        releases.push(() => {
          running -= 1;
          resolve();
        });
      });

    let finished = false;
    const all = Promise.all(Array.from({ length: 10 }, () => limit.run(task))).then(() => {
      finished = true;
    });
    // Finish whatever is running, one turn at a time, until every task has had its slot.
    while (!finished) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.splice(0).forEach((release) => release());
    }
    await all;

    expect(peak).toBe(3);
    expect(limit.active).toBe(0);
    expect(limit.waiting).toBe(0);
  });

  it('when a task fails, then its slot is freed for the next one', async () => {
    const limit = createConcurrencyLimit(1);

    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
