import { startHealthEndpoint } from '../../../consumer/health-endpoint';

describe('consumer health endpoint', () => {
  it('when the process runs, then GET /healthz answers 200 on loopback and anything else 404', async () => {
    const endpoint = await startHealthEndpoint(0);
    try {
      const health = await fetch(`http://127.0.0.1:${endpoint.port}/healthz`);
      const other = await fetch(`http://127.0.0.1:${endpoint.port}/readyz`);

      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(other.status).toBe(404);
      await other.arrayBuffer();
    } finally {
      await endpoint.close();
    }
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
