import { newHeaderSecret } from '../../../fixtures/registrations';
import { startGuardedApp, type GuardedApp } from '../../helpers/guarded-app';

/**
 * The API's own source-address check, on the real app over loopback: the TCP peer is always
 * 127.0.0.1, standing for the load balancer, and `X-Forwarded-For` is what the load balancer
 * would forward (whatever the client sent, then the address it saw).
 */
const NAT_IP = '203.0.113.10';
const ALLOWED_SOURCE_IPS = `${NAT_IP}, 198.51.100.0/24, 2001:db8:1::/48`;
const STRANGER = '192.0.2.44';

describe('POST /user source-address guard (ALLOWED_SOURCE_IPS, one trusted hop)', () => {
  const headerValue = newHeaderSecret();
  let app: GuardedApp;

  beforeAll(async () => {
    app = await startGuardedApp({
      acceptedHeaderValues: [headerValue],
      allowedSourceIps: ALLOWED_SOURCE_IPS,
    });
  });

  afterAll(async () => {
    await app.close();
  });

  it.each<[string, number, string | undefined]>([
    ['an allowed address appended by the load balancer', 201, NAT_IP],
    ['a list whose last (load-balancer) entry is allowed', 201, `${STRANGER}, 10.0.0.1, ${NAT_IP}`],
    ['an allowed address first, then the real one appended', 403, `${NAT_IP}, ${STRANGER}`],
    [
      'an allowed address last as the client wrote it, then the real one appended',
      403,
      `${STRANGER}, ${NAT_IP}, ${STRANGER}`,
    ],
    ['an address inside an allowed CIDR', 201, '198.51.100.77'],
    ['an address just outside an allowed CIDR', 403, '198.51.101.1'],
    ['an IPv6 address inside an allowed IPv6 network', 201, '2001:db8:1::5'],
    ['an IPv6 address outside it', 403, '2001:db8:2::5'],
    ['the allowed IPv4 address, IPv4-mapped', 201, `::ffff:${NAT_IP}`],
    ['the allowed IPv4 address, IPv4-mapped in hex', 201, '::ffff:cb00:710a'],
    ['another IPv4 address, IPv4-mapped', 403, `::ffff:${STRANGER}`],
    ['garbage', 403, 'not-an-address'],
    ['garbage appended after an allowed address', 403, `${NAT_IP}, garbage`],
    ['garbage sent by the client before the allowed appended address', 201, `garbage, ${NAT_IP}`],
    ['an allowed address with a port', 403, `${NAT_IP}:443`],
    ['an allowed address as a CIDR', 403, `${NAT_IP}/32`],
    ['an allowed address in brackets', 403, `[${NAT_IP}]`],
    ['an IPv6 address with a zone id', 403, 'fe80::1%eth0'],
    ['nothing but commas', 403, ' , ,'],
    ['an empty value', 403, ''],
    ['nothing (the request bypassed the load balancer)', 403, undefined],
  ])(
    'when X-Forwarded-For holds %s, then the right header value gets %i',
    async (_case, status, xff) => {
      const answer = await app.register({ forwardedFor: xff, headerValue });

      expect(answer.status).toBe(status);
    },
  );

  it('when the address is allowed but the header value is wrong, then 403', async () => {
    const answer = await app.register({ forwardedFor: NAT_IP, headerValue: newHeaderSecret() });

    expect(answer.status).toBe(403);
  });

  it('when either check fails, then the 403 is byte-for-byte the same, so it does not say which', async () => {
    const wrongAddress = await app.register({ forwardedFor: STRANGER, headerValue });
    const wrongHeader = await app.register({ forwardedFor: NAT_IP, headerValue: 'wrong' });
    const both = await app.register({ forwardedFor: 'garbage', headerValue: 'wrong' });

    for (const answer of [wrongAddress, wrongHeader, both]) {
      expect(answer.status).toBe(403);
      expect(answer.contentType).toBe(wrongHeader.contentType);
      expect(answer.rawBody).toBe(wrongHeader.rawBody);
    }
    expect(JSON.parse(wrongHeader.rawBody)).toEqual({
      error: { code: 'forbidden', message: 'forbidden' },
    });
  });

  it('when a registration is refused, then the log says which check and where from, with the request id, never the header value', async () => {
    const wrongAddress = await app.register({ forwardedFor: STRANGER, headerValue });
    const wrongHeader = await app.register({ forwardedFor: NAT_IP, headerValue: 'wrong-value' });
    const both = await app.register({ forwardedFor: STRANGER, headerValue: 'wrong-value' });

    const refusals = app.logLines().filter((line) => line['msg'] === 'registration refused');
    const refusalOf = (requestId: string | undefined) =>
      refusals.find((line) => line['requestId'] === requestId);
    expect(refusalOf(wrongAddress.requestId)).toMatchObject({
      level: 40,
      reason: 'source_address',
      sourceAddress: STRANGER,
    });
    expect(refusalOf(wrongHeader.requestId)).toMatchObject({
      reason: 'header',
      sourceAddress: NAT_IP,
    });
    expect(refusalOf(both.requestId)).toMatchObject({ reason: 'source_address_and_header' });
    const everything = JSON.stringify(app.logLines());
    expect(everything).not.toContain(headerValue);
    expect(everything).not.toContain('wrong-value');
  });
});

describe('POST /user source-address guard: trusted hops (TRUSTED_PROXY_HOPS)', () => {
  const headerValue = newHeaderSecret();
  const started: GuardedApp[] = [];
  const start = async (allowedSourceIps: string, trustedProxyHops: string) => {
    const app = await startGuardedApp({
      acceptedHeaderValues: [headerValue],
      allowedSourceIps,
      trustedProxyHops,
    });
    started.push(app);
    return app;
  };

  afterAll(async () => {
    await Promise.all(started.map((app) => app.close()));
  });

  it('when no proxy is trusted (0), then X-Forwarded-For is ignored and the TCP peer is the client', async () => {
    const natOnly = await start(NAT_IP, '0');
    const loopback = await start('127.0.0.1', '0');

    expect((await natOnly.register({ forwardedFor: NAT_IP, headerValue })).status).toBe(403);
    expect((await loopback.register({ forwardedFor: STRANGER, headerValue })).status).toBe(201);
    expect((await loopback.register({ headerValue })).status).toBe(201);
  });

  it('when one proxy is trusted (1), then the last entry is the client', async () => {
    const app = await start(NAT_IP, '1');

    expect(
      (await app.register({ forwardedFor: `${STRANGER}, ${NAT_IP}`, headerValue })).status,
    ).toBe(201);
    expect(
      (await app.register({ forwardedFor: `${NAT_IP}, ${STRANGER}`, headerValue })).status,
    ).toBe(403);
  });

  it('when two proxies are trusted (2), then the second entry from the right is the client', async () => {
    const app = await start(NAT_IP, '2');

    expect(
      (await app.register({ forwardedFor: `${STRANGER}, ${NAT_IP}, 10.0.0.9`, headerValue }))
        .status,
    ).toBe(201);
    expect(
      (await app.register({ forwardedFor: `${NAT_IP}, ${STRANGER}, 10.0.0.9`, headerValue }))
        .status,
    ).toBe(403);
    expect(
      (await app.register({ forwardedFor: `${STRANGER}, ${NAT_IP}`, headerValue })).status,
    ).toBe(403);
  });
});

describe('POST /user without ALLOWED_SOURCE_IPS (local runs)', () => {
  const headerValue = newHeaderSecret();
  let app: GuardedApp;

  beforeAll(async () => {
    app = await startGuardedApp({ acceptedHeaderValues: [headerValue] });
  });

  afterAll(async () => {
    await app.close();
  });

  it('when no allow-list is set, then any address with the right header registers, and a wrong header is still 403', async () => {
    expect((await app.register({ forwardedFor: STRANGER, headerValue })).status).toBe(201);
    expect((await app.register({ forwardedFor: 'garbage', headerValue })).status).toBe(201);
    expect((await app.register({ headerValue })).status).toBe(201);
    expect((await app.register({ forwardedFor: NAT_IP, headerValue: 'wrong' })).status).toBe(403);
  });
});
