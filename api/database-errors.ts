/**
 * SQLSTATEs that a failover, or a writer demoted under its DNS name, produces: this server cannot
 * take our writes now, or this session is on its way out. A later attempt on a fresh connection
 * reaches the new writer, so they are outages (503), and the pool must not keep the connection
 * (see `needsFreshConnections`). Sources: PostgreSQL's errcodes appendix and its messages; the
 * AWS Advanced JDBC Wrapper (`PgExceptionHandler`), which treats 08, 57P01, 57P02 and 57P03 as
 * the failover-triggering network errors; reports of RDS/Aurora failovers answering 25006
 * (discourse/rails_failover#85, dialoguemd/fastapi-sqla#79 "invalidate connection on readonly
 * transaction error", formancehq/go-libs#601) and the AWS Database Blog's "Improve application
 * availability on Amazon Aurora" (the writer endpoint's DNS moves, with a 5 s TTL; pooled
 * connections stay on the old instance).
 * - 25006 read_only_sql_transaction: `cannot execute INSERT in a read-only transaction` (a hot
 *   standby, a demoted writer, `default_transaction_read_only`), `cannot execute … during
 *   recovery`.
 * - 57P01 admin_shutdown: `terminating connection due to administrator command`, the old writer
 *   ending its sessions as it fails over or reboots.
 * - 57P02 crash_shutdown: another backend crashed; the server is restarting.
 * - 57P03 cannot_connect_now: `the database system is starting up`, `… is in recovery mode`,
 *   `… is shutting down`, `… is not yet accepting connections`.
 * - class 08 connection exception: the connection broke or could not be made.
 */
const FAILOVER_SQLSTATE = /^(25006|57P0[123]|08)/;

/**
 * SQLSTATEs that mean "the database cannot serve us right now" rather than "this statement is
 * wrong": the failover family above, 28 invalid authorization (a login refused, e.g. in the
 * moment a password rotates; the secret is re-read and a later attempt logs in), 53 insufficient
 * resources (too many connections, disk full, out of memory), and the rest of 57P operator
 * intervention (57P04 database dropped, 57P05 idle session timeout).
 */
const UNAVAILABLE_SQLSTATE = /^(25006|08|28|53|57P)/;

/** Socket-level failures of the driver: the server is down, unreachable or went away. */
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Failures that node-postgres and PGlite report without a code: a connect timeout, a connection
 * that died under a query, a client left unusable by an earlier socket error, a closed PGlite.
 * Not anchored: knex prefixes a failed query's message with its SQL text.
 */
const UNCODED_CONNECTION_MESSAGES =
  /\b(Connection terminated|Client has encountered a connection error|PGlite is clos(ed|ing))/;

const fieldOf = (error: object, field: string): unknown =>
  (error as Record<string, unknown>)[field];

/** True when `test` holds for the error, a `cause` in its chain, or one of an AggregateError's. */
function anyInChain(error: unknown, test: (error: object) => boolean, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  if (test(error)) return true;
  const nested = fieldOf(error, 'errors');
  if (Array.isArray(nested) && nested.some((inner) => anyInChain(inner, test, depth + 1)))
    return true;
  return anyInChain(fieldOf(error, 'cause'), test, depth + 1);
}

function isConnectionFailureItself(error: object): boolean {
  const code = fieldOf(error, 'code');
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || SOCKET_ERROR_CODES.has(code)))
    return true;
  // knex's pool gave up waiting for a connection (acquireConnectionTimeout).
  if (fieldOf(error, 'name') === 'KnexTimeoutError') return true;
  const message = fieldOf(error, 'message');
  return typeof message === 'string' && UNCODED_CONNECTION_MESSAGES.test(message);
}

/**
 * True when a storage error means the database is unreachable or refusing work (a retry later may
 * succeed), false for everything else: constraint violations, a missing column, a syntax or type
 * error are defects that no retry heals. Follows `cause` chains and AggregateErrors (a connect to
 * `localhost` tries IPv6 and IPv4 and reports both failures).
 */
export function isConnectionFailure(error: unknown): boolean {
  return anyInChain(error, isConnectionFailureItself);
}

/**
 * True when the server behind the connection that reported `error` is not the writer any more
 * (or is going away): the failover family above. The pool should then open new connections
 * rather than reuse any it holds, since after a failover the endpoint's name points elsewhere.
 */
export function needsFreshConnections(error: unknown): boolean {
  return anyInChain(error, (inner) => {
    const code = fieldOf(inner, 'code');
    return typeof code === 'string' && FAILOVER_SQLSTATE.test(code);
  });
}
