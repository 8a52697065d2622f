import {
  MAX_RECEIVE_COUNT,
  PRODUCER_COLD_START_ALLOWANCE_MS,
  PRODUCER_TIMEOUT_MS,
  TRIGGER_TIMEOUT_MS,
} from '#contract/delivery';

describe('delivery constants', () => {
  it('when the queue is built, then a message is received 16 times before the DLQ', () => {
    expect(MAX_RECEIVE_COUNT).toBe(16);
  });

  it('when the producer timeout is derived, then it is Cognito’s 5 s less a 1 s cold-start allowance', () => {
    expect(TRIGGER_TIMEOUT_MS).toBe(5000);
    expect(PRODUCER_COLD_START_ALLOWANCE_MS).toBe(1000);
    expect(PRODUCER_TIMEOUT_MS).toBe(4000);
  });
});
