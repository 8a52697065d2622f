import { createCircuitBreaker } from '../../../producer/circuit-breaker';
import { manualClock } from './support/registrar-fixture';

describe('circuit breaker', () => {
  test('when nothing has failed, then every caller may try the API', () => {
    // Arrange
    const breaker = createCircuitBreaker({ openMs: 1000, clock: manualClock() });

    // Act
    const allowed = [breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()];

    // Assert
    expect(allowed).toEqual([true, true, true]);
    expect(breaker.state()).toBe('closed');
  });

  test('when a failure was recorded, then callers are refused until the open time has passed', () => {
    // Arrange
    const clock = manualClock();
    const breaker = createCircuitBreaker({ openMs: 1000, clock });
    breaker.recordFailure();

    // Act
    clock.advance(999);
    const whileOpen = breaker.tryAcquire();
    clock.advance(1);
    const afterwards = breaker.tryAcquire();

    // Assert
    expect(whileOpen).toBe(false);
    expect(afterwards).toBe(true);
  });

  test('when half-open, then only one trial is let through at a time', () => {
    // Arrange
    const clock = manualClock();
    const breaker = createCircuitBreaker({ openMs: 1000, clock });
    breaker.recordFailure();
    clock.advance(1000);

    // Act
    const first = breaker.tryAcquire();
    const second = breaker.tryAcquire();

    // Assert
    expect(breaker.state()).toBe('half-open');
    expect([first, second]).toEqual([true, false]);
  });

  test('when the trial succeeds, then the breaker closes', () => {
    // Arrange
    const clock = manualClock();
    const breaker = createCircuitBreaker({ openMs: 1000, clock });
    breaker.recordFailure();
    clock.advance(1000);
    breaker.tryAcquire();

    // Act
    breaker.recordSuccess();

    // Assert
    expect(breaker.state()).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  test('when a trial never reports back, then another trial is allowed after the open time', () => {
    // Arrange
    const clock = manualClock();
    const breaker = createCircuitBreaker({ openMs: 1000, clock });
    breaker.recordFailure();
    clock.advance(1000);
    breaker.tryAcquire();

    // Act
    clock.advance(1000);
    const retried = breaker.tryAcquire();

    // Assert
    expect(retried).toBe(true);
  });
});

describe('circuit breaker states', () => {
  test('when a trial is in flight, then others are refused until the open time has passed again; a failure reopens in full', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ openMs: 1000, clock });
    expect(breaker.state()).toBe('closed');
    breaker.recordFailure();
    expect(breaker.state()).toBe('open');
    clock.advance(999);
    expect(breaker.state()).toBe('open');
    clock.advance(1);
    expect(breaker.state()).toBe('half-open');

    expect(breaker.tryAcquire()).toBe(true);
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.tryAcquire()).toBe(true);

    breaker.recordFailure();
    expect(breaker.state()).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1000);
    // The failure cleared the old trial: a new one goes through at once.
    expect(breaker.tryAcquire()).toBe(true);
  });

  test('when a success is recorded, then a later failure opens it afresh with no trial pending', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ openMs: 1000, clock });
    breaker.recordFailure();
    clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    breaker.recordFailure();
    clock.advance(1000);

    expect(breaker.tryAcquire()).toBe(true);
  });
});
