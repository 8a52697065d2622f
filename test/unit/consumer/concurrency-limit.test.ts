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

describe('createConcurrencyLimit, limits and counts', () => {
  it.each([0, -1, 1.5, Number.NaN])('when the limit is %s, then it is refused', (limit) => {
    expect(() => createConcurrencyLimit(limit)).toThrow(
      new RangeError('limit must be a positive integer'),
    );
  });

  it('when tasks wait, then active and waiting say how many, and waiting ones start in arrival order', async () => {
    const limit = createConcurrencyLimit(1);
    const releases: Array<() => void> = [];
    const started: number[] = [];
    const task = (id: number) => () =>
      new Promise<number>((resolve) => {
        started.push(id);
        releases.push(() => resolve(id));
      });

    const runs = [limit.run(task(1)), limit.run(task(2)), limit.run(task(3))];
    await Promise.resolve();

    expect(limit.active).toBe(1);
    expect(limit.waiting).toBe(2);
    expect(started).toEqual([1]);

    releases.shift()?.();
    expect(await runs[0]).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2]);
    expect(limit.active).toBe(1);
    expect(limit.waiting).toBe(1);

    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    releases.shift()?.();
    expect(await Promise.all(runs)).toEqual([1, 2, 3]);
    expect(started).toEqual([1, 2, 3]);
    expect(limit.active).toBe(0);
    expect(limit.waiting).toBe(0);
  });
});
