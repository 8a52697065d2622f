import fc from 'fast-check';
import {
  COGNITO_WAIT_MS,
  MIN_API_ATTEMPT_MS,
  MIN_QUEUE_SEND_MS,
  QUEUE_SEND_RESERVE_MS,
  SAFETY_MARGIN_MS,
  apiAttemptBudgetMs,
  queueSendBudgetMs,
  remainingBudgetMs,
} from '../../../producer/time-budget';

describe('time budget', () => {
  test('when the full 5 s are left, then the API gets its configured timeout', () => {
    // Act
    const budget = apiAttemptBudgetMs(5000, 1500);

    // Assert
    expect(budget).toBe(1500);
  });

  test('when 1.8 s are left, then the API gets what the queue reserve and margin leave over', () => {
    // Act
    const budget = apiAttemptBudgetMs(1800, 1500);

    // Assert
    expect(budget).toBe(1800 - QUEUE_SEND_RESERVE_MS - SAFETY_MARGIN_MS);
  });

  test('when the API attempt ends at its budget, then the queue reserve is still there', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 900_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (remainingMs, apiTimeoutMs) => {
          // Act
          const apiBudget = apiAttemptBudgetMs(remainingMs, apiTimeoutMs);

          // Assert
          expect(apiBudget).toBeLessThanOrEqual(apiTimeoutMs);
          expect(apiBudget + QUEUE_SEND_RESERVE_MS + SAFETY_MARGIN_MS).toBeLessThanOrEqual(
            Math.max(remainingMs, 0) + 1,
          );
        },
      ),
    );
  });

  test('when the Lambda timeout is longer than Cognito waits, then Cognito’s 5 s bound the budget', () => {
    // Arrange
    const startedAt = 1_000_000;

    // Act
    const remaining = remainingBudgetMs(60_000, startedAt, startedAt + 1000);

    // Assert
    expect(remaining).toBe(COGNITO_WAIT_MS - 1000);
  });

  test('when the deadline has passed, then the queue send still gets its floor', () => {
    // Act
    const sendBudget = queueSendBudgetMs(-300);

    // Assert
    expect(sendBudget).toBe(MIN_QUEUE_SEND_MS);
  });
});

describe('time budget, exact figures', () => {
  test('when the constants are read, then they are the documented split of Cognito’s 5 s', () => {
    expect([COGNITO_WAIT_MS, QUEUE_SEND_RESERVE_MS, SAFETY_MARGIN_MS, MIN_QUEUE_SEND_MS]).toEqual([
      5000, 1000, 250, 200,
    ]);
    expect(MIN_API_ATTEMPT_MS).toBe(100);
  });

  test('when the Lambda has less time than Cognito, then the Lambda bounds the budget', () => {
    expect(remainingBudgetMs(3000, 10_000, 10_500)).toBe(3000);
    expect(remainingBudgetMs(9000, 10_000, 10_500)).toBe(4500);
  });

  test('when times have fractions, then budgets are whole milliseconds, rounded down', () => {
    expect(apiAttemptBudgetMs(1800.9, 5000)).toBe(550);
    expect(apiAttemptBudgetMs(5000, 1499.9)).toBe(1499);
    expect(queueSendBudgetMs(1000.9)).toBe(750);
    expect(queueSendBudgetMs(451)).toBe(201);
    expect(queueSendBudgetMs(450)).toBe(200);
    expect(queueSendBudgetMs(-100)).toBe(200);
  });
});
