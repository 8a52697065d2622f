import net from 'node:net';
import { startHealthEndpoint } from '../../../consumer/health-endpoint';

/** Whether a TCP connection to `host:port` is accepted. */
const accepts = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('consumer health endpoint', () => {
  it('when the process runs, then GET /healthz answers 200 on loopback and anything else 404', async () => {
    const endpoint = await startHealthEndpoint(0);
    try {
      const health = await fetch(`http://127.0.0.1:${endpoint.port}/healthz`);
      const other = await fetch(`http://127.0.0.1:${endpoint.port}/readyz`);

      expect(health.status).toBe(200);
      expect(health.headers.get('content-type')).toBe('application/json');
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(other.status).toBe(404);
      expect(other.headers.get('content-type')).toBe('application/json');
      expect(await other.json()).toEqual({ error: { code: 'not_found' } });
    } finally {
      await endpoint.close();
    }
  });

  it('when /healthz is asked with another method, then it answers 404', async () => {
    const endpoint = await startHealthEndpoint(0);
    try {
      const response = await fetch(`http://127.0.0.1:${endpoint.port}/healthz`, { method: 'POST' });

      expect(response.status).toBe(404);
      await response.arrayBuffer();
    } finally {
      await endpoint.close();
    }
  });

  it('when no host is given, then it listens on IPv4 loopback only', async () => {
    const endpoint = await startHealthEndpoint(0);
    try {
      expect(await accepts('127.0.0.1', endpoint.port)).toBe(true);
      expect(await accepts('::1', endpoint.port)).toBe(false);
    } finally {
      await endpoint.close();
    }
  });

  it('when the port is taken, then starting rejects', async () => {
    const first = await startHealthEndpoint(0);
    try {
      await expect(startHealthEndpoint(first.port)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('when a client is midway through a request, then close does not wait for it', async () => {
    const endpoint = await startHealthEndpoint(0);
    const socket = net.connect({ host: '127.0.0.1', port: endpoint.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const closedByServer = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    // Headers not finished: the server would otherwise wait for the rest of the request.
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');

    await endpoint.close();
    await closedByServer;

    expect(await accepts('127.0.0.1', endpoint.port)).toBe(false);
  });
});

describe('consumer health endpoint, details', () => {
  it('when asked with another method or path, then it answers 404 with a JSON error, and 200 only to GET /healthz', async () => {
    const endpoint = await startHealthEndpoint(0);
    try {
      const base = `http://127.0.0.1:${endpoint.port}`;
      const post = await fetch(`${base}/healthz`, { method: 'POST' });
      const query = await fetch(`${base}/healthz?x=1`);
      const health = await fetch(`${base}/healthz`);

      expect(post.status).toBe(404);
      expect(post.headers.get('content-type')).toBe('application/json');
      expect(await post.json()).toEqual({ error: { code: 'not_found' } });
      expect(query.status).toBe(404);
      await query.arrayBuffer();
      expect(health.headers.get('content-type')).toBe('application/json');
      await health.arrayBuffer();
    } finally {
      await endpoint.close();
    }
  });

  it('when started without a host, then it listens on loopback only', async () => {
    const endpoint = await startHealthEndpoint(0);
    try {
      expect(endpoint.port).toBeGreaterThan(0);
      const viaLocalhost = await fetch(`http://127.0.0.1:${endpoint.port}/healthz`);
      expect(viaLocalhost.status).toBe(200);
      await viaLocalhost.arrayBuffer();
    } finally {
      await endpoint.close();
    }
  });

  it('when the port is taken, then starting fails instead of hanging', async () => {
    const first = await startHealthEndpoint(0);
    try {
      await expect(startHealthEndpoint(first.port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });

  it('when closed, then it no longer answers', async () => {
    const endpoint = await startHealthEndpoint(0);
    await endpoint.close();

    await expect(fetch(`http://127.0.0.1:${endpoint.port}/healthz`)).rejects.toBeDefined();
  });
});
