import { ConfigError } from '#contract/config';
import { loadConfig } from '../../../api/config';
import { newHeaderSecret } from '../../../fixtures/registrations';

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
});
