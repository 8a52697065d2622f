import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { scramParametersOf, scramSha256Verifier } from '../../scripts/scram-verifier';

export interface PasswordCheckingProxy {
  port: number;
  /** Logins refused so far (wrong password, or a role that may not log in). */
  refusedLogins(): number;
  close(): Promise<void>;
}

const SSL_REQUEST_CODE = 80877103;
const CANCEL_REQUEST_CODE = 80877102;

/** A backend message: type byte, then an Int32 length that counts itself. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const authenticationCleartextPassword = (): Buffer => {
  const body = Buffer.alloc(4);
  body.writeInt32BE(3);
  return message('R', body);
};

const fatal = (code: string, text: string): Buffer =>
  message(
    'E',
    Buffer.concat([
      ...[`SFATAL`, `VFATAL`, `C${code}`, `M${text}`].map((field) => Buffer.from(`${field}\0`)),
      Buffer.from([0]),
    ]),
  );

/** `key\0value\0…\0` from a StartupMessage, after its length and protocol version. */
function startupParameters(packet: Buffer): Map<string, string> {
  const parts = packet.subarray(8).toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let index = 0; index + 1 < parts.length; index += 2) {
    const key = parts[index];
    const value = parts[index + 1];
    if (key) parameters.set(key, value ?? '');
  }
  return parameters;
}

/**
 * A loopback front for a PostgreSQL server that trusts loopback connections (pg_hba `trust`, as
 * the test server does), which therefore never checks a password. Each client must send the
 * password of the role it logs in as, which is checked against the role's SCRAM verifier in
 * `pg_authid` (so `ALTER ROLE … PASSWORD` on the server changes what is accepted, as it would
 * with `scram-sha-256` in pg_hba); a wrong one is refused with SQLSTATE 28P01, as the server
 * would. Accepted connections are then piped to the server, so `pg_terminate_backend` ends them.
 * No TLS (clients must use `ssl: false`).
 */
export async function startPasswordCheckingProxy(
  serverUrl: string,
): Promise<PasswordCheckingProxy> {
  const upstream = new URL(serverUrl);
  const upstreamHost = upstream.hostname;
  const upstreamPort = Number(upstream.port || 5432);
  const admin = new pg.Pool({ connectionString: serverUrl, max: 2 });
  const open = new Set<net.Socket>();
  let refused = 0;

  const passwordIsValid = async (role: string, password: string): Promise<boolean> => {
    const result = await admin.query<{ rolpassword: string | null; rolcanlogin: boolean }>(
      'SELECT rolpassword, rolcanlogin FROM pg_authid WHERE rolname = $1',
      [role],
    );
    const row = result.rows[0];
    if (!row?.rolcanlogin || row.rolpassword === null) return false;
    if (!row.rolpassword.startsWith('SCRAM-SHA-256$')) return false;
    try {
      return scramSha256Verifier(password, scramParametersOf(row.rolpassword)) === row.rolpassword;
    } catch {
      return false;
    }
  };

  const handle = (client: net.Socket): void => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    let buffered = Buffer.alloc(0);
    let startup: Buffer | undefined;
    let role = '';
    let stage: 'startup' | 'password' | 'checking' = 'startup';

    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (stage === 'startup' && buffered.length >= 8) {
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        const packet = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        const code = packet.readInt32BE(4);
        if (code === SSL_REQUEST_CODE) {
          client.write('N');
          return onData(Buffer.alloc(0));
        }
        if (code === CANCEL_REQUEST_CODE) {
          const cancel = net.connect(upstreamPort, upstreamHost, () => cancel.end(packet));
          cancel.on('error', () => cancel.destroy());
          client.end();
          return;
        }
        startup = packet;
        role = startupParameters(packet).get('user') ?? '';
        stage = 'password';
        client.write(authenticationCleartextPassword());
      }
      if (stage === 'password' && buffered.length >= 5) {
        const length = buffered.readInt32BE(1);
        if (buffered.length < length + 1) return;
        const password = buffered.subarray(5, length).toString('utf8').replace(/\0$/, '');
        buffered = buffered.subarray(length + 1);
        stage = 'checking';
        client.pause();
        void passwordIsValid(role, password).then(
          (valid) => (valid ? connectUpstream() : refuse()),
          () => refuse(),
        );
      }
    };

    const refuse = (): void => {
      refused += 1;
      client.end(fatal('28P01', `password authentication failed for user "${role}"`));
    };

    const connectUpstream = (): void => {
      const server = net.connect(upstreamPort, upstreamHost);
      open.add(server);
      server.on('close', () => {
        open.delete(server);
        client.destroy();
      });
      server.on('error', () => server.destroy());
      client.on('close', () => server.destroy());
      server.once('connect', () => {
        client.off('data', onData);
        // The server (trusting loopback) answers AuthenticationOk, which the client now expects.
        server.write(startup ?? Buffer.alloc(0));
        if (buffered.length > 0) server.write(buffered);
        client.pipe(server).pipe(client);
        client.resume();
      });
    };

    client.on('data', onData);
  };

  const server = net.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    refusedLogins: () => refused,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await admin.end();
    },
  };
}
