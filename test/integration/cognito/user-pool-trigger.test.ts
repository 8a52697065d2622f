/**
 * Cognito in the loop: the real SDK against the local user pool (cognito-local), whose
 * PostConfirmation trigger calls the real producer handler through the local Lambda endpoint,
 * which sends to the real API (in this process, on the test database) or the local queue, drained
 * by the real consumer. All of it started by `startLocalPipeline`, as `npm start` does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  AdminCreateUserCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Knex } from 'knex';
import { freeLocalPort } from '../../../scripts/local/free-port';
import { fetchInvocations } from '../../../scripts/local/local-lambda';
import { startLocalPipeline, type LocalPipeline } from '../../../scripts/local/local-pipeline';
import { LOCAL_USER_POOL_ID, localUserPoolClient } from '../../../scripts/local/local-user-pool';
import { startTestApi, type TestApi } from '../../helpers/api-harness';
import type { UserRow } from '../../helpers/user-row';
import { newHeaderSecret } from '../../../fixtures/registrations';
import { databaseKind, openTestDatabase } from '../../../fixtures/test-database';
import { waitFor } from '../../../scripts/local/wait-for';

const PASSWORD = 'Correct-Horse-42-battery';

describe(`the local user pool drives the producer (${databaseKind})`, () => {
  const headerSecret = newHeaderSecret();
  let db: Knex;
  let api: TestApi | undefined;
  let apiPort: number;
  let pipeline: LocalPipeline | undefined;
  let cognito: CognitoIdentityProviderClient;
  let workDir: string;

  const settings = (): LocalPipeline['settings'] => {
    if (!pipeline) throw new Error('the pipeline is started in beforeAll');
    return pipeline.settings;
  };
  const rowsOf = (sub: string): Promise<UserRow[]> => db('users').where({ sub });
  const uniqueEmail = (label: string): string =>
    `pool-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

  /** SignUp then ConfirmSignUp with the pool's code, as a user does; returns the new `sub`. */
  async function signUpAndConfirm(
    email: string,
    attributes: Record<string, string> = {},
  ): Promise<string> {
    const { userPoolClientId, confirmationCode } = settings();
    const signUp = await cognito.send(
      new SignUpCommand({
        ClientId: userPoolClientId,
        Username: email,
        Password: PASSWORD,
        UserAttributes: Object.entries({ email, ...attributes }).map(([Name, Value]) => ({
          Name,
          Value,
        })),
      }),
    );
    const confirm = await cognito.send(
      new ConfirmSignUpCommand({
        ClientId: userPoolClientId,
        Username: email,
        ConfirmationCode: confirmationCode,
      }),
    );
    expect(confirm.$metadata.httpStatusCode).toBe(200);
    if (!signUp.UserSub) throw new Error('SignUp returned no UserSub');
    return signUp.UserSub;
  }

  beforeAll(async () => {
    db = await openTestDatabase();
    apiPort = await freeLocalPort();
    api = await startTestApi({ db, headerValues: [headerSecret], port: apiPort });
    workDir = await mkdtemp(path.join(tmpdir(), 'user-pool-trigger-'));
    pipeline = await startLocalPipeline({
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        API_URL: api.url,
        AUTH_HEADER_SECRET: headerSecret,
        LOCAL_SQS_PORT: '0',
        LOCAL_COGNITO_PORT: '0',
        LOCAL_LAMBDA_PORT: '0',
        LOCAL_COGNITO_DIR: path.join(workDir, 'cognito'),
        LOG_LEVEL: 'warn',
        // Quick polls and a short backoff, so the queue drains soon after the API is back.
        RECEIVE_WAIT_SECONDS: '1',
        BACKOFF_BASE_SECONDS: '1',
        BACKOFF_MAX_SECONDS: '2',
      },
      stdio: 'ignore',
      settingsFile: path.join(workDir, 'local-pipeline.json'),
    });
    cognito = localUserPoolClient(pipeline.settings.cognitoEndpoint);
  }, 120_000);

  afterAll(async () => {
    cognito?.destroy();
    await pipeline?.stop();
    await api?.stop();
    await db?.destroy();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it('when a user signs up and confirms, then one row holds their sub, e-mail and attributes, stored by the API', async () => {
    const email = uniqueEmail('signup');

    const sub = await signUpAndConfirm(email, { name: 'Ada Lovelace' });

    const invocations = await fetchInvocations(settings().lambdaEndpoint, { sub });
    expect(invocations).toHaveLength(1);
    expect(invocations[0]).toMatchObject({
      triggerSource: 'PostConfirmation_ConfirmSignUp',
      status: 'ok',
      outcome: { path: 'api', sub },
    });
    const rows = await rowsOf(sub);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      sub,
      email,
      // Sign-in by e-mail, as the deployed pool: Cognito makes the username the sub.
      username: sub,
      user_pool_id: LOCAL_USER_POOL_ID,
      source: 'trigger',
      attributes: { sub, email, name: 'Ada Lovelace', 'cognito:user_status': 'CONFIRMED' },
    });
  });

  it('when a confirmed user resets their password, then ConfirmForgotPassword fires the trigger and nothing in the table changes', async () => {
    const email = uniqueEmail('reset');
    const sub = await signUpAndConfirm(email);
    const [before] = await rowsOf(sub);
    const { userPoolClientId, confirmationCode } = settings();

    await cognito.send(new ForgotPasswordCommand({ ClientId: userPoolClientId, Username: email }));
    await cognito.send(
      new ConfirmForgotPasswordCommand({
        ClientId: userPoolClientId,
        Username: email,
        ConfirmationCode: confirmationCode,
        Password: `${PASSWORD}-new`,
      }),
    );

    const resets = await fetchInvocations(settings().lambdaEndpoint, {
      sub,
      triggerSource: 'PostConfirmation_ConfirmForgotPassword',
    });
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ status: 'ok', outcome: { path: 'skipped' } });
    expect(before).toBeDefined();
    expect(await rowsOf(sub)).toEqual([before]);
  });

  it('when an administrator creates a user, then no trigger fires and no row is created', async () => {
    const email = uniqueEmail('admin');

    const created = await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: settings().userPoolId,
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
        MessageAction: 'SUPPRESS',
      }),
    );

    const sub = created.User?.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    expect(sub).toEqual(expect.any(String));
    // AdminCreateUser answers after any trigger it would call: nothing can arrive later.
    expect(await fetchInvocations(settings().lambdaEndpoint, { sub: sub ?? '' })).toEqual([]);
    expect(await rowsOf(sub ?? '')).toEqual([]);
  });

  it('when the API is down, then confirmations still succeed, and the users land through the queue once it is back', async () => {
    await api?.stop();
    api = undefined;
    const emails = [uniqueEmail('down-1'), uniqueEmail('down-2'), uniqueEmail('down-3')];

    const subs: string[] = [];
    for (const email of emails) subs.push(await signUpAndConfirm(email));

    for (const sub of subs) {
      const [invocation] = await fetchInvocations(settings().lambdaEndpoint, { sub });
      expect(invocation).toMatchObject({ status: 'ok', outcome: { path: 'queue', sub } });
    }
    api = await startTestApi({ db, headerValues: [headerSecret], port: apiPort });
    const rows = await waitFor(
      async () => {
        const found: UserRow[] = await db('users').whereIn('sub', subs);
        return found.length === subs.length ? found : false;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the consumer to deliver the queued users' },
    );
    if (!rows) throw new Error('unreachable: waitFor returns a truthy value');
    expect(rows.map((row) => row.source)).toEqual(['queue', 'queue', 'queue']);
    expect(new Set(rows.map((row) => row.sub))).toEqual(new Set(subs));
  }, 60_000);
});
