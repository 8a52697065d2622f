/**
 * SQLSTATE classes that mean "the database cannot serve us right now" rather than "this statement
 * is wrong": 08 connection exception, 28 invalid authorization (a login refused, e.g. in the
 * moment a password rotates; the secret is re-read and a later attempt logs in), 53 insufficient
 * resources (too many connections, disk full, out of memory), 57P operator intervention
 * (shutdown, crash restart, cannot connect now).
 */
const UNAVAILABLE_SQLSTATE = /^(08|28|53|57P)/;

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
export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  if (isConnectionFailureItself(error)) return true;
  const nested = fieldOf(error, 'errors');
  if (Array.isArray(nested) && nested.some((inner) => isConnectionFailure(inner, depth + 1)))
    return true;
  return isConnectionFailure(fieldOf(error, 'cause'), depth + 1);
}
