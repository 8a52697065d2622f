import { isConnectionFailure } from '../../../api/database-errors';

const withCode = (code: string, message = 'failed'): Error =>
  Object.assign(new Error(message), { code });

describe('isConnectionFailure', () => {
  it.each([
    ['08006 connection failure', withCode('08006')],
    ['08001 cannot connect', withCode('08001')],
    ['53300 too many connections', withCode('53300')],
    ['53100 disk full', withCode('53100')],
    ['57P01 admin shutdown', withCode('57P01')],
    ['57P03 cannot connect now', withCode('57P03')],
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    [
      'a knex acquire timeout',
      Object.assign(new Error('Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
    ],
    ['a pg connect timeout', new Error('Connection terminated due to connection timeout')],
    [
      'a connection lost under a query, prefixed by knex',
      new Error('INSERT INTO users … - Connection terminated unexpectedly'),
    ],
    ['a closed PGlite', new Error('select 1 - PGlite is closed')],
    [
      'an AggregateError of refused IPv6 and IPv4 connects',
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]),
    ],
    ['a wrapped connection failure', new Error('upsert failed', { cause: withCode('57P01') })],
  ])('when the error is %s, then it is an outage', (_case, error) => {
    expect(isConnectionFailure(error)).toBe(true);
  });

  it.each([
    ['23505 unique violation', withCode('23505')],
    ['23514 check violation', withCode('23514')],
    ['42703 undefined column', withCode('42703', 'column "observed_at" does not exist')],
    ['42P01 undefined table', withCode('42P01')],
    ['22P02 invalid text representation', withCode('22P02')],
    ['57014 query canceled (statement timeout)', withCode('57014')],
    ['a TypeError from our own code', new TypeError('cannot read properties of undefined')],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
  ])('when the error is %s, then it is a defect', (_case, error) => {
    expect(isConnectionFailure(error)).toBe(false);
  });
});
