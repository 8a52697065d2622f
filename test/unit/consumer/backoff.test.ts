import fc from 'fast-check';
import {
  backoffCeilingSeconds,
  backoffSeconds,
  DEFAULT_BACKOFF_BASE_SECONDS,
  DEFAULT_BACKOFF_MAX_SECONDS,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  receiveCountOf,
  retryWindowSeconds,
} from '../../../consumer/backoff';

describe('backoff', () => {
  it('when the defaults are used, then the ceiling doubles from 5 s and stops at 900 s', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((count) => backoffCeilingSeconds(count));

    expect(DEFAULT_BACKOFF_BASE_SECONDS).toBe(5);
    expect(DEFAULT_BACKOFF_MAX_SECONDS).toBe(900);
    expect(ceilings).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
  });

  it('when the draw is at the top of the range, then the delay equals the ceiling', () => {
    const almostOne = 1 - Number.EPSILON;

    expect(backoffSeconds(1, { random: () => almostOne })).toBe(5);
    expect(backoffSeconds(4, { random: () => almostOne })).toBe(40);
    expect(backoffSeconds(50, { random: () => almostOne })).toBe(900);
  });

  it('when the draw is 0, then the delay is half the ceiling, and never 0', () => {
    expect(backoffSeconds(1, { random: () => 0 })).toBe(3);
    expect(backoffSeconds(8, { random: () => 0 })).toBe(320);
    expect(backoffSeconds(1, { baseSeconds: 1, random: () => 0 })).toBe(1);
  });

  it('when the defaults and 16 receives are used, then a message rides out at least an hour of outage', () => {
    const window = retryWindowSeconds(16);

    // Ceilings 5+10+…+640 = 1275, then 7 × 900: half of that is guaranteed, all of it at most.
    expect(window.minimum).toBeGreaterThanOrEqual(3600);
    expect(window.maximum).toBe(1275 + 7 * 900);
  });

  it('when any receive count and draw are given, then the delay is a whole number within [1, ceiling]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 5000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 50_000 }),
        (receiveCount, draw, baseSeconds, maxSeconds) => {
          const options = { baseSeconds, maxSeconds, random: () => draw };
          const delay = backoffSeconds(receiveCount, options);
          const ceiling = backoffCeilingSeconds(receiveCount, options);

          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.max(1, Math.floor(ceiling / 2)));
          expect(delay).toBeLessThanOrEqual(Math.max(1, Math.ceil(ceiling)));
          expect(delay).toBeLessThanOrEqual(MAX_VISIBILITY_TIMEOUT_SECONDS);
        },
      ),
    );
  });

  it('when the receive count grows, then the ceiling never decreases and never passes the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 60 }),
        (count, base) => {
          const options = { baseSeconds: base, maxSeconds: 900 };
          const current = backoffCeilingSeconds(count, options);
          const next = backoffCeilingSeconds(count + 1, options);

          expect(next).toBeGreaterThanOrEqual(current);
          expect(next).toBeLessThanOrEqual(900);
        },
      ),
    );
  });

  it('when draws are spread over [0, 1), then the delays cover the upper half of the ceiling', () => {
    const delays = new Set<number>();
    for (let step = 0; step < 100; step += 1) {
      delays.add(backoffSeconds(3, { random: () => step / 100 }));
    }

    // Ceiling 20 s: every whole second from 10 to 20 is reachable, nothing below.
    expect([...delays].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i + 10));
  });

  it('when the cap is above what SQS allows, then the delay is held to 12 hours', () => {
    expect(backoffCeilingSeconds(40, { baseSeconds: 5, maxSeconds: 100_000 })).toBe(
      MAX_VISIBILITY_TIMEOUT_SECONDS,
    );
  });

  it('when ApproximateReceiveCount is missing or garbage, then it counts as the first receive', () => {
    expect(receiveCountOf(undefined)).toBe(1);
    expect(receiveCountOf({})).toBe(1);
    expect(receiveCountOf({ ApproximateReceiveCount: 'x' })).toBe(1);
    expect(receiveCountOf({ ApproximateReceiveCount: '0' })).toBe(1);
    expect(receiveCountOf({ ApproximateReceiveCount: '7' })).toBe(7);
  });
});
