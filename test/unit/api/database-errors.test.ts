import { isConnectionFailure, needsFreshConnections } from '../../../api/database-errors';

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
    [
      '25006 read-only transaction (a standby or a demoted writer)',
      withCode('25006', 'cannot execute INSERT in a read-only transaction'),
    ],
    ['25006 during recovery', withCode('25006', 'cannot execute INSERT during recovery')],
    ['57P02 crash shutdown', withCode('57P02')],
    [
      'a read-only refusal prefixed by knex',
      withCode('25006', 'WITH incoming AS … - cannot execute INSERT in a read-only transaction'),
    ],
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
    ['25P02 in failed transaction', withCode('25P02')],
    ['25001 active transaction', withCode('25001')],
    ['a TypeError from our own code', new TypeError('cannot read properties of undefined')],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
  ])('when the error is %s, then it is a defect', (_case, error) => {
    expect(isConnectionFailure(error)).toBe(false);
  });
});

describe('needsFreshConnections', () => {
  it.each([
    ['25006 read-only transaction', withCode('25006')],
    ['57P01 admin shutdown', withCode('57P01')],
    ['57P02 crash shutdown', withCode('57P02')],
    ['57P03 cannot connect now', withCode('57P03')],
    ['08006 connection failure', withCode('08006')],
    ['a wrapped read-only refusal', new Error('upsert failed', { cause: withCode('25006') })],
  ])('when the error is %s, then the pool should reconnect', (_case, error) => {
    expect(needsFreshConnections(error)).toBe(true);
  });

  it.each([
    ['53300 too many connections (the server is the writer, only busy)', withCode('53300')],
    ['28P01 login refused', withCode('28P01')],
    ['57P05 idle session timeout (that session only)', withCode('57P05')],
    ['23505 unique violation', withCode('23505')],
    ['ECONNREFUSED (no connection to drop)', withCode('ECONNREFUSED')],
    ['undefined', undefined],
  ])('when the error is %s, then pooled connections are kept', (_case, error) => {
    expect(needsFreshConnections(error)).toBe(false);
  });
});
