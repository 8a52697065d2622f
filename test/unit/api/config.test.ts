import { ConfigError } from '#contract/config';
import { loadConfig } from '../../../api/config';
import { newHeaderSecret } from '../../../fixtures/registrations';
import { configErrorFrom } from '../../helpers/process-env';

describe('API configuration', () => {
  const secret = newHeaderSecret();

  it('when only the header values are given, then defaults apply: port 3000, embedded database, migrations on start', () => {
    const config = loadConfig({ AUTH_HEADER_SECRETS: secret });
    expect(config).toMatchObject({
      port: 3000,
      authHeaderName: 'x-custom-auth',
      database: { kind: 'embedded' },
      migrateOnStart: true,
      headerSecrets: { kind: 'static', acceptedHeaderValues: [secret] },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when DATABASE_URL is set, then PostgreSQL is used and migrations are left to `npm run migrate`', () => {
    const config = loadConfig({
      AUTH_HEADER_SECRETS: secret,
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/app',
    });
    expect(config.database).toMatchObject({ kind: 'postgres' });
    expect(config.migrateOnStart).toBe(false);
  });

  it('when several header values are given, then all are accepted, current first', () => {
    const previous = newHeaderSecret();
    const config = loadConfig({ AUTH_HEADER_SECRETS: `${secret},${previous}` });
    expect(config.headerSecrets).toEqual({
      kind: 'static',
      acceptedHeaderValues: [secret, previous],
    });
  });

  it.each([
    [{ AUTH_HEADER_SECRETS: secret, PORT: 'eighty' }, 'PORT'],
    [{ AUTH_HEADER_SECRETS: secret, DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ AUTH_HEADER_SECRETS: 'short' }, 'AUTH_HEADER_SECRETS'],
    [{ AUTH_HEADER_SECRETS: `${secret},short` }, 'AUTH_HEADER_SECRETS'],
    [{ AUTH_HEADER_SECRETS: secret, AUTH_HEADER_NAME: 'bad header' }, 'AUTH_HEADER_NAME'],
    [{ AUTH_SECRET_ARN: 'not-an-arn' }, 'AUTH_SECRET_ARN'],
    [{}, 'AUTH_HEADER_SECRETS'],
    [{ AUTH_HEADER_SECRETS: secret, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('when %j is set, then start-up fails naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('when a header value is too short, then the error does not echo it', () => {
    try {
      loadConfig({ AUTH_HEADER_SECRETS: 'short-secret-value' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret-value');
    }
  });

  it('when neither ALLOWED_SOURCE_IPS nor TRUSTED_PROXY_HOPS is set, then no address is checked and one proxy hop is trusted', () => {
    const config = loadConfig({ AUTH_HEADER_SECRETS: secret });
    expect(config.allowedSourceRanges).toBeUndefined();
    expect(config.trustedProxyHops).toBe(1);
  });

  it('when ALLOWED_SOURCE_IPS lists addresses and CIDRs, then each becomes a range (a bare address is a /32 or /128)', () => {
    const config = loadConfig({
      AUTH_HEADER_SECRETS: secret,
      ALLOWED_SOURCE_IPS: ' 203.0.113.10, 198.51.100.0/24,2001:db8::/32 ,::1,',
      TRUSTED_PROXY_HOPS: '2',
    });
    expect(config.allowedSourceRanges).toEqual([
      { address: '203.0.113.10', family: 'ipv4', prefixLength: 32 },
      { address: '198.51.100.0', family: 'ipv4', prefixLength: 24 },
      { address: '2001:db8::', family: 'ipv6', prefixLength: 32 },
      { address: '::1', family: 'ipv6', prefixLength: 128 },
    ]);
    expect(config.trustedProxyHops).toBe(2);
  });

  it('when TRUSTED_PROXY_HOPS is 0, then it is kept: nothing in front, the TCP peer is the client', () => {
    expect(
      loadConfig({ AUTH_HEADER_SECRETS: secret, TRUSTED_PROXY_HOPS: '0' }).trustedProxyHops,
    ).toBe(0);
  });

  /** The message of the ConfigError `loadConfig(env)` throws. */
  const configErrorOf = (env: NodeJS.ProcessEnv): string =>
    configErrorFrom(() => loadConfig(env)).message;

  it.each([
    ['a host name', 'nat.example.com'],
    ['an IPv4 prefix over 32', '10.0.0.0/33'],
    ['an IPv6 prefix over 128', '2001:db8::/129'],
    ['an empty prefix', '10.0.0.1/'],
    ['a prefix that is not a number', '10.0.0.1/a'],
    ['two prefixes', '10.0.0.0/8/9'],
    ['an address with a port', '203.0.113.10:443'],
    ['an IPv6 zone id', 'fe80::1%eth0'],
  ])(
    'when ALLOWED_SOURCE_IPS holds %s, then start-up fails naming the variable and the entry by position only',
    (_case, entry) => {
      const message = configErrorOf({
        AUTH_HEADER_SECRETS: secret,
        ALLOWED_SOURCE_IPS: `198.51.100.1,${entry}`,
      });

      expect(message).toContain('ALLOWED_SOURCE_IPS: entry 2 ');
      expect(message).not.toContain(entry);
    },
  );

  it('when ALLOWED_SOURCE_IPS holds only separators, then start-up fails rather than check nothing', () => {
    expect(configErrorOf({ AUTH_HEADER_SECRETS: secret, ALLOWED_SOURCE_IPS: ' , ,' })).toContain(
      'ALLOWED_SOURCE_IPS: must list at least one address or CIDR',
    );
  });

  it.each(['-1', 'one', '1.5', '11'])(
    'when TRUSTED_PROXY_HOPS is %s, then start-up fails naming it',
    (hops) => {
      const attempt = () => loadConfig({ AUTH_HEADER_SECRETS: secret, TRUSTED_PROXY_HOPS: hops });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow('TRUSTED_PROXY_HOPS');
    },
  );
});
