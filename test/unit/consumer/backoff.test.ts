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

describe('backoff jitter, between the ends', () => {
  it('when the draw is in the middle, then the delay is three quarters of the ceiling, rounded up', () => {
    expect(backoffSeconds(1, { random: () => 0.5 })).toBe(4); // ceil(2.5 + 1.25)
    expect(backoffSeconds(3, { random: () => 0.5 })).toBe(15); // ceil(10 + 5)
    expect(backoffSeconds(3, { random: () => 0.25 })).toBe(13); // ceil(10 + 2.5)
    expect(backoffSeconds(10, { random: () => 0.1 })).toBe(495); // ceil(450 + 45)
  });

  it('when a draw falls outside [0, 1], then it is held to the range', () => {
    expect(backoffSeconds(3, { random: () => -4 })).toBe(10);
    expect(backoffSeconds(3, { random: () => 7 })).toBe(20);
  });

  it('when the ceiling has a fraction, then the delay never passes it rounded up', () => {
    expect(backoffSeconds(1, { baseSeconds: 1.5, random: () => 1 })).toBe(2);
    expect(backoffSeconds(1, { baseSeconds: 1.5, random: () => 0 })).toBe(1);
    expect(backoffCeilingSeconds(2, { baseSeconds: 1.5 })).toBe(3);
  });

  it('when the receive count is fractional, zero, negative or infinite, then it is read as whole or as the first', () => {
    expect(backoffCeilingSeconds(3.9)).toBe(20);
    expect(backoffCeilingSeconds(0)).toBe(5);
    expect(backoffCeilingSeconds(-3)).toBe(5);
    expect(backoffCeilingSeconds(Number.NaN)).toBe(5);
    expect(backoffCeilingSeconds(Number.POSITIVE_INFINITY)).toBe(5);
    expect(backoffCeilingSeconds(1)).toBe(5);
    expect(backoffCeilingSeconds(5000)).toBe(900);
  });

  it('when no draw is injected, then Math.random is used', () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(backoffSeconds(3)).toBe(15);
      expect(random).toHaveBeenCalledTimes(1);
    } finally {
      random.mockRestore();
    }
  });

  it('when the retry window is summed, then each receive but the last waits, at every draw 0 and every draw 1', () => {
    expect(retryWindowSeconds(1)).toEqual({ minimum: 0, maximum: 0 });
    expect(retryWindowSeconds(2)).toEqual({ minimum: 3, maximum: 5 });
    expect(retryWindowSeconds(4, { baseSeconds: 2, maxSeconds: 6 })).toEqual({
      minimum: 1 + 2 + 3,
      maximum: 2 + 4 + 6,
    });
  });

  it('when ApproximateReceiveCount has trailing text or is negative, then parseInt’s reading or 1 applies', () => {
    expect(receiveCountOf({ ApproximateReceiveCount: '12abc' })).toBe(12);
    expect(receiveCountOf({ ApproximateReceiveCount: '-2' })).toBe(1);
    expect(receiveCountOf({ ApproximateReceiveCount: '1' })).toBe(1);
  });
});
