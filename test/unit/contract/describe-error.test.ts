import { describeError } from '#contract/describe-error';

describe('describeError', () => {
  it('when an error has no cause, then the line is its name and message', () => {
    expect(describeError(new TypeError('bad input'))).toBe('TypeError: bad input');
  });

  it('when the cause is an error, then its message follows, but never a stack', () => {
    const error = new Error('fetch failed', { cause: new Error('connect ECONNREFUSED') });

    expect(describeError(error)).toBe('Error: fetch failed: connect ECONNREFUSED');
  });

  it('when the cause is not an error, then it is left out', () => {
    expect(describeError(new Error('failed', { cause: 'a string cause' }))).toBe('Error: failed');
  });

  it('when the value is not an error, then it is turned into text', () => {
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError(42)).toBe('42');
    expect(describeError(undefined)).toBe('undefined');
  });
});
