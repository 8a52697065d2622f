import type { RegistrationResponse, StoredUser } from '#contract/user';
import {
  countUsers,
  errorCodeOf,
  errorMessageOf,
  useApiOnTestDatabase,
} from '../../helpers/api-harness';
import { newHeaderSecret, newRegistration } from '../../helpers/registrations';
import { databaseKind } from '../../helpers/test-database';

const userOf = (response: { body: unknown }): StoredUser =>
  (response.body as RegistrationResponse).user;
const changeOf = (response: { body: unknown }): string =>
  (response.body as RegistrationResponse).change;

describe(`POST /user contract (${databaseKind})`, () => {
  const harness = useApiOnTestDatabase();

  describe('storing', () => {
    it('when a new sub is posted, then 201 returns the stored user', async () => {
      const registration = newRegistration();

      const response = await harness.api.post('/user', registration);

      expect(response.status).toBe(201);
      const { change, user } = response.body as RegistrationResponse;
      expect(change).toBe('created');
      expect(user).toMatchObject({
        sub: registration.sub,
        email: registration.email,
        username: registration.username,
        userPoolId: registration.userPoolId,
        attributes: registration.attributes,
        source: 'trigger',
      });
      expect(Date.parse(user.createdAt)).not.toBeNaN();
      expect(user.updatedAt).toBe(user.createdAt);
      // No observedAt sent: the server's now, which is also when the row was created.
      expect(user.observedAt).toBe(user.createdAt);
      expect(user.deletedAt).toBeNull();
      expect(await countUsers(harness.db, registration.sub)).toBe(1);
    });

    it('when the same registration is posted again, then 200 returns it unchanged', async () => {
      const registration = newRegistration();
      const first = await harness.api.post('/user', registration);

      const again = await harness.api.post('/user', { ...registration, source: 'queue' });

      expect(again.status).toBe(200);
      const firstUser = (first.body as RegistrationResponse).user;
      const { change, user } = again.body as RegistrationResponse;
      expect(change).toBe('unchanged');
      // Only the observation time moves (to this later "now"); the data and updatedAt stay.
      expect({ ...user, observedAt: firstUser.observedAt }).toEqual(firstUser);
      expect(await countUsers(harness.db, registration.sub)).toBe(1);
    });

    it('when the sub comes back with a changed email and attributes, then 200 and updated_at moves', async () => {
      const registration = newRegistration();
      const first = userOf(await harness.api.post('/user', registration));
      const changed = {
        ...registration,
        email: `changed-${registration.email}`,
        attributes: { ...registration.attributes, 'custom:plan': 'pro' },
      };

      const response = await harness.api.post('/user', changed);

      expect(response.status).toBe(200);
      expect(changeOf(response)).toBe('updated');
      const user = userOf(response);
      expect(user.email).toBe(changed.email);
      expect(user.attributes['custom:plan']).toBe('pro');
      expect(user.createdAt).toBe(first.createdAt);
      expect(Date.parse(user.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
      expect(user.source).toBe('trigger');
    });

    it('when only the attribute order differs, then the user is unchanged', async () => {
      const registration = newRegistration({ attributes: { a: '1', b: '2' } });
      const first = userOf(await harness.api.post('/user', registration));

      const response = await harness.api.post('/user', {
        ...registration,
        attributes: { b: '2', a: '1' },
      });

      expect(response.status).toBe(200);
      expect(changeOf(response)).toBe('unchanged');
      expect(userOf(response).updatedAt).toBe(first.updatedAt);
    });

    it('when another sub registers the same email in another case, then it is stored like any other user', async () => {
      const holder = newRegistration();
      await harness.api.post('/user', holder);
      const newcomer = newRegistration({ email: holder.email.toUpperCase() });

      const response = await harness.api.post('/user', newcomer);

      expect(response.status).toBe(201);
      expect(userOf(response).email).toBe(newcomer.email);
      expect(await countUsers(harness.db, newcomer.sub)).toBe(1);
      expect(await countUsers(harness.db, holder.sub)).toBe(1);
    });

    it('when a known sub changes its email to one another sub holds, then it is updated and both keep their rows', async () => {
      const holder = newRegistration();
      const mover = newRegistration();
      await harness.api.post('/user', holder);
      await harness.api.post('/user', mover);

      const response = await harness.api.post('/user', { ...mover, email: holder.email });

      expect(response.status).toBe(200);
      expect(changeOf(response)).toBe('updated');
      const rows = await harness.db('users').whereRaw('lower(email) = lower(?)', [holder.email]);
      expect(rows.map((row: { sub: string }) => row.sub).sort()).toEqual(
        [holder.sub, mover.sub].sort(),
      );
    });

    it('when 50 requests for the same new sub arrive at once, then exactly one 201 and one row', async () => {
      const registration = newRegistration();

      const responses = await Promise.all(
        Array.from({ length: 50 }, () => harness.api.post('/user', registration)),
      );

      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 200)).toHaveLength(49);
      expect(responses.filter((response) => changeOf(response) === 'created')).toHaveLength(1);
      expect(await countUsers(harness.db, registration.sub)).toBe(1);
    });
  });

  describe('header guard', () => {
    it('when the header is missing, then 403 forbidden and nothing is written', async () => {
      const registration = newRegistration();

      const response = await harness.api.post('/user', registration, {
        headers: { [harness.api.headerName]: '' },
      });

      expect(response.status).toBe(403);
      expect(response.body).toEqual({ error: { code: 'forbidden', message: 'forbidden' } });
      expect(await countUsers(harness.db, registration.sub)).toBe(0);
    });

    it('when the header is wrong, then 403 with the same answer as a missing one', async () => {
      const registration = newRegistration();

      const response = await harness.api.post('/user', registration, {
        headers: { [harness.api.headerName]: newHeaderSecret() },
      });

      expect(response.status).toBe(403);
      expect(response.body).toEqual({ error: { code: 'forbidden', message: 'forbidden' } });
    });

    it('when the previous value is sent during a rotation, then it is still accepted', async () => {
      const registration = newRegistration();
      const previous = harness.api.headerValues[1] ?? '';

      const response = await harness.api.post('/user', registration, {
        headers: { [harness.api.headerName]: previous },
      });

      expect(response.status).toBe(201);
    });

    it('when the header name is sent in another case, then it is matched (HTTP names are case-insensitive)', async () => {
      const registration = newRegistration();
      const current = harness.api.headerValues[0] ?? '';

      const response = await fetch(`${harness.api.url}/user`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Custom-Auth': current },
        body: JSON.stringify(registration),
      });

      expect(response.status).toBe(201);
    });

    it.each(['/user', '/USER', '/User', '/user/', '/USER/', '/uSeR/', '/user?x=1'])(
      'when %s is posted without the header, then the router sends it to the guard: 403',
      async (path) => {
        const registration = newRegistration();

        const response = await harness.api.post(path, registration, {
          headers: { [harness.api.headerName]: '' },
        });

        expect(response.status).toBe(403);
        expect(await countUsers(harness.db, registration.sub)).toBe(0);
      },
    );

    it.each(['/USER/', '/User'])(
      'when %s is posted with the header, then it registers like /user',
      async (path) => {
        const registration = newRegistration();

        const response = await harness.api.post(path, registration);

        expect(response.status).toBe(201);
      },
    );

    it('when the body is malformed but the header is missing, then 403 comes first', async () => {
      const response = await harness.api.post('/user', '{not json', {
        raw: true,
        headers: { [harness.api.headerName]: '' },
      });

      expect(response.status).toBe(403);
    });

    it('when the header value is a rejected request, then the value never reaches the logs', async () => {
      const wrong = newHeaderSecret();
      await harness.api.post('/user', newRegistration(), {
        headers: { [harness.api.headerName]: wrong },
      });
      await harness.api.post('/user', newRegistration());

      const logs = harness.api.logOutput();

      expect(logs).toContain('"status":403');
      expect(logs).not.toContain(wrong);
      for (const accepted of harness.api.headerValues) expect(logs).not.toContain(accepted);
    });
  });

  describe('bad input', () => {
    it('when the body is not JSON, then 400 invalid_request and nothing is written', async () => {
      const response = await harness.api.post('/user', '{"sub": ', { raw: true });

      expect(response.status).toBe(400);
      expect(errorCodeOf(response.body)).toBe('invalid_request');
    });

    it('when a field has the wrong type, then 400 names the field', async () => {
      const registration = newRegistration();

      const response = await harness.api.post('/user', { ...registration, email: 42 });

      expect(response.status).toBe(400);
      expect(errorMessageOf(response.body)).toMatch(/^email:/);
      expect(await countUsers(harness.db, registration.sub)).toBe(0);
    });

    it('when the sub is not a UUID, then 400 names sub', async () => {
      const response = await harness.api.post('/user', { ...newRegistration(), sub: 'not-a-uuid' });

      expect(response.status).toBe(400);
      expect(errorMessageOf(response.body)).toMatch(/^sub:/);
    });

    it('when a required field is missing, then 400 names it', async () => {
      const { username: _omitted, ...withoutUsername } = newRegistration();

      const response = await harness.api.post('/user', withoutUsername);

      expect(response.status).toBe(400);
      expect(errorMessageOf(response.body)).toMatch(/^username:/);
    });

    it('when an attribute value is not a string, then 400 names the attribute', async () => {
      const registration = newRegistration();

      const response = await harness.api.post('/user', {
        ...registration,
        attributes: { 'custom:plan': 7 },
      });

      expect(response.status).toBe(400);
      expect(errorMessageOf(response.body)).toMatch(/^attributes\.custom:plan:/);
    });

    it('when an unknown field is sent, then 400 names it and nothing is written', async () => {
      const registration = newRegistration();

      const response = await harness.api.post('/user', { ...registration, isAdmin: true });

      expect(response.status).toBe(400);
      expect(errorMessageOf(response.body)).toContain('isAdmin');
      expect(await countUsers(harness.db, registration.sub)).toBe(0);
    });

    it('when the body is a JSON array or scalar, then 400', async () => {
      expect((await harness.api.post('/user', '[1,2]', { raw: true })).status).toBe(400);
      expect((await harness.api.post('/user', '"text"', { raw: true })).status).toBe(400);
      expect((await harness.api.post('/user', 'null', { raw: true })).status).toBe(400);
    });

    it('when the body is over 16 KiB, then 413 payload_too_large and nothing is written', async () => {
      const registration = newRegistration({
        attributes: Object.fromEntries(
          Array.from({ length: 20 }, (_, index) => [`custom:a${index}`, 'x'.repeat(1000)]),
        ),
      });

      const response = await harness.api.post('/user', registration);

      expect(response.status).toBe(413);
      expect(errorCodeOf(response.body)).toBe('payload_too_large');
      expect(await countUsers(harness.db, registration.sub)).toBe(0);
    });

    it('when the content type is not JSON, then 415 unsupported_media_type', async () => {
      const registration = newRegistration();

      const response = await harness.api.post('/user', registration, {
        headers: { 'content-type': 'text/plain' },
      });

      expect(response.status).toBe(415);
      expect(errorCodeOf(response.body)).toBe('unsupported_media_type');
      expect(await countUsers(harness.db, registration.sub)).toBe(0);
    });

    it('when the JSON uses a charset other than utf-8, then 415', async () => {
      const response = await harness.api.post('/user', newRegistration(), {
        headers: { 'content-type': 'application/json; charset=latin1' },
      });

      expect(response.status).toBe(415);
    });

    it('when a route does not exist, then 404 with a JSON error body', async () => {
      const response = await harness.api.get('/nope');

      expect(response.status).toBe(404);
      expect(errorCodeOf(response.body)).toBe('not_found');
    });
  });

  describe('health', () => {
    it('when the process is up, then /healthz answers 200', async () => {
      expect((await harness.api.get('/healthz')).status).toBe(200);
    });

    it('when the database is reachable, then /readyz answers 200', async () => {
      expect((await harness.api.get('/readyz')).status).toBe(200);
    });
  });
});

describe('header rotation seen by the API', () => {
  const oldValue = newHeaderSecret();
  const newValue = newHeaderSecret();
  let stored = [oldValue];
  let refreshes = 0;
  // A source whose backing store rotates while the API's view of it is still the old one.
  const harness = useApiOnTestDatabase({
    headerSecrets: {
      acceptedValues: () => Promise.resolve(stored),
      currentValue: () => Promise.resolve(stored[0] ?? ''),
      refresh: () => {
        refreshes += 1;
        stored = [newValue, oldValue];
        return Promise.resolve(true);
      },
    },
  });
  it('when a sender already uses a value the API has not cached yet, then the API re-reads the secret once and accepts it', async () => {
    const response = await harness.api.post('/user', newRegistration(), {
      headers: { [harness.api.headerName]: newValue },
    });

    expect(response.status).toBe(201);
    expect(refreshes).toBe(1);
    expect(
      (
        await harness.api.post('/user', newRegistration(), {
          headers: { [harness.api.headerName]: oldValue },
        })
      ).status,
    ).toBe(201);
  });
});
