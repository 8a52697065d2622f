import { X509Certificate } from 'node:crypto';
import { loadConfig } from '../../../api/config';
import { loadDatabaseConfig } from '../../../api/database-config';
import { tlsOptionsFor } from '../../../api/database-tls';
import { loadMigrateConfig } from '../../../scripts/migrate-config';
import { configErrorFrom } from '../../helpers/process-env';
import { newHeaderSecret } from '../../../fixtures/registrations';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:usersync-app-AbCdEf';
const rdsSecret = (username: string, password: string): string =>
  JSON.stringify({
    engine: 'postgres',
    host: 'db.internal',
    port: 5432,
    dbname: 'usersync',
    username,
    password,
  });

describe('database configuration', () => {
  it('when nothing is set, then the embedded PGlite under .data/ is used', () => {
    expect(loadDatabaseConfig({})).toEqual({ kind: 'embedded', dataDir: '.data/pglite' });
  });

  it('when DATABASE_SECRET_ARN is set, then credentials come from the secret and TLS is verified', () => {
    expect(loadDatabaseConfig({ DATABASE_SECRET_ARN: SECRET_ARN })).toEqual({
      kind: 'postgres-secret',
      secretArn: SECRET_ARN,
      ssl: 'verify-full',
      poolMax: 10,
    });
  });

  it('when DATABASE_URL is set, then TLS stays off unless DATABASE_SSL asks for it', () => {
    const url = 'postgres://u@127.0.0.1:5432/app';
    expect(loadDatabaseConfig({ DATABASE_URL: url })).toMatchObject({ ssl: 'disable' });
    expect(loadDatabaseConfig({ DATABASE_URL: url, DATABASE_SSL: 'require' })).toMatchObject({
      ssl: 'require',
    });
  });

  it.each([
    [{ DATABASE_URL: 'postgres://u@h/db', DATABASE_SECRET_ARN: SECRET_ARN }, 'DATABASE_SECRET_ARN'],
    [{ DATABASE_SECRET_ARN: 'usersync-app' }, 'DATABASE_SECRET_ARN'],
    [{ DATABASE_SSL: 'prefer' }, 'DATABASE_SSL'],
    [{ DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX'],
  ])('when %j is set, then start-up fails naming %s', (env, variable) => {
    expect(configErrorFrom(() => loadDatabaseConfig(env)).message).toContain(variable);
  });

  it('when the API reads its settings, then it reaches the database the same variables name', () => {
    const api = loadConfig({
      AUTH_HEADER_SECRETS: newHeaderSecret(),
      DATABASE_SECRET_ARN: SECRET_ARN,
    });
    expect(api.database).toEqual(loadDatabaseConfig({ DATABASE_SECRET_ARN: SECRET_ARN }));
    expect(api.migrateOnStart).toBe(false);
  });

  it('when the migration runner reads its settings, then it needs no header and takes secret documents as ECS injects them', () => {
    const master = rdsSecret('usersync_admin', 'master-password');
    const app = rdsSecret('usersync_app', 'app-password');
    const config = loadMigrateConfig({
      DATABASE_CREDENTIALS: master,
      DATABASE_APP_CREDENTIALS: app,
    });
    expect(config.database).toEqual({
      kind: 'postgres-credentials',
      credentials: expect.objectContaining({ user: 'usersync_admin', host: 'db.internal' }),
      ssl: 'verify-full',
      poolMax: 1,
    });
    expect(config.appRole).toMatchObject({ user: 'usersync_app', password: 'app-password' });
    expect(loadMigrateConfig({ DATABASE_SECRET_ARN: SECRET_ARN }).database).toEqual(
      loadDatabaseConfig({ DATABASE_SECRET_ARN: SECRET_ARN }),
    );
  });

  it.each([
    [
      { DATABASE_APP_CREDENTIALS: '{"username":"u","password":"do-not-show"}' },
      'DATABASE_APP_CREDENTIALS',
    ],
    [{ DATABASE_CREDENTIALS: 'do-not-show' }, 'DATABASE_CREDENTIALS'],
    [
      { DATABASE_CREDENTIALS: rdsSecret('u', 'do-not-show'), DATABASE_URL: 'postgres://h/db' },
      'DATABASE_CREDENTIALS',
    ],
  ])(
    'when the migration runner gets %j, then it fails naming %s without echoing the value',
    (env, variable) => {
      const error = configErrorFrom(() => loadMigrateConfig(env));
      expect(error.message).toContain(variable);
      expect(error.message).not.toContain('do-not-show');
    },
  );
});

describe('database TLS', () => {
  it('when verify-full, then only the bundled Amazon authorities are trusted and the certificate is checked', () => {
    const options = tlsOptionsFor('verify-full');
    if (options === false) throw new Error('expected TLS options');
    const authorities = (options.ca as string[]).map(
      (pem) => new X509Certificate(pem).subject.match(/CN=(.*)/)?.[1],
    );

    expect(options.rejectUnauthorized).toBe(true);
    expect(authorities).toEqual(
      expect.arrayContaining(['Amazon RDS eu-west-1 Root CA RSA2048 G1']),
    );
    // Plus Amazon Trust Services' roots (Starfield's among them), which RDS Proxy certificates use.
    expect(authorities.every((name) => /^(Amazon |Starfield Services Root)/.test(name ?? ''))).toBe(
      true,
    );
  });

  it('when require, then the link is encrypted without checking the certificate; when disable, no TLS', () => {
    expect(tlsOptionsFor('require')).toEqual({ rejectUnauthorized: false });
    expect(tlsOptionsFor('disable')).toBe(false);
  });
});
