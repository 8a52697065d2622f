import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export interface ScramParameters {
  salt: Buffer;
  iterations: number;
}

/** PostgreSQL's own defaults (`scram_iterations` = 4096, a 16-byte salt). */
const defaultParameters = (): ScramParameters => ({ salt: randomBytes(16), iterations: 4096 });

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, in the format of
 * `pg_authid.rolpassword`). Sending `ALTER ROLE … PASSWORD '<verifier>'` instead of the password
 * keeps the password itself out of the server's statement log, as psql's `\password` does.
 * PostgreSQL normalises non-ASCII passwords with SASLprep, which this does not; generated
 * secrets are printable ASCII, and anything else is refused rather than hashed differently.
 */
export function scramSha256Verifier(
  password: string,
  { salt, iterations }: ScramParameters = defaultParameters(),
): string {
  if (!/^[\x20-\x7e]+$/.test(password)) {
    throw new Error('the password must be printable ASCII');
  }
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** The salt and iteration count of a stored verifier, to check a password against it. */
export function scramParametersOf(verifier: string): ScramParameters {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(verifier);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error('not a SCRAM-SHA-256 verifier');
  }
  return { iterations: Number(match[1]), salt: Buffer.from(match[2], 'base64') };
}
