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
