import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { newHeaderSecret, newRegistration } from '../../../fixtures/registrations';
import { serverDatabaseUrl } from '../../../fixtures/test-database';
import { freeLocalPort } from '../../../scripts/local/free-port';
import { waitFor } from '../../../scripts/local/wait-for';

const repoRoot = path.resolve(__dirname, '../../..');

/** Starts `api/main.ts` as its own process, as `npm run api` does, on a free port. */
function spawnApi(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => child.once('exit', (code) => resolve(code)));

describe('api process lifecycle', () => {
  it('when SIGTERM arrives mid-request, then the request completes, the process exits 0', async () => {
    const port = await freeLocalPort();
    const secret = newHeaderSecret();
    const { child, output } = spawnApi({
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_HEADER_SECRETS: secret,
      ...(serverDatabaseUrl
        ? { DATABASE_URL: serverDatabaseUrl, MIGRATE_ON_START: 'true' }
        : { PGLITE_DATA_DIR: 'memory://' }),
    });
    const exited = exitOf(child);
    await waitFor(() => output().includes('"api listening"'), {
      timeoutMs: 30_000,
      what: 'the api to listen',
    });
    const body = JSON.stringify(newRegistration());

    // Headers and part of the body now; `Expect: 100-continue` makes the server confirm it has
    // parsed the headers (the request is in flight); then SIGTERM; then the rest of the body.
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.write(
      `POST /user HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `x-custom-auth: ${secret}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n`,
    );
    await waitFor(() => response.includes('100 Continue'), {
      what: 'the server to accept headers',
    });
    socket.write(body.slice(0, 20));
    child.kill('SIGTERM');
    await waitFor(() => output().includes('"shutting down"'), { what: 'shutdown to begin' });
    // write, not end: a half-closed client socket makes node abort the request it is sending.
    socket.write(body.slice(20));
    await new Promise((resolve) => socket.once('close', resolve));

    expect(response).toMatch(/HTTP\/1\.1 201 Created/);
    expect(await exited).toBe(0);
    expect(output()).not.toContain(secret);
  });

  it('when a variable is invalid, then start-up fails naming it and nothing listens', async () => {
    const { child, output } = spawnApi({ AUTH_HEADER_SECRETS: 'too-short', PORT: 'not-a-port' });

    const code = await exitOf(child);

    expect(code).toBe(1);
    expect(output()).toContain('PORT');
    expect(output()).toContain('AUTH_HEADER_SECRETS');
    expect(output()).not.toContain('too-short');
  });
});
