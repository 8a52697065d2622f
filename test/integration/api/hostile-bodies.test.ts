import fc from 'fast-check';
import type { RegistrationResponse } from '#contract/user';
import { countUsers, useApiOnTestDatabase } from '../../helpers/api-harness';
import { newRegistration } from '../../helpers/registrations';
import { databaseKind } from '../../helpers/test-database';

const hostileStrings = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom(
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    '$1::jsonb',
    '\\x00',
    '\u0000',
    '\ud800',
    '\udfff tail',
    '%00',
    '{{resolve:secretsmanager:x}}',
    '../../etc/passwd',
  ),
  fc.integer({ min: 16_385, max: 40_000 }).map((length) => 'x'.repeat(length)),
);

const wrongTypes = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

const prototypeKeys = fc.constantFrom('__proto__', 'constructor', 'prototype');

const fields = [
  'sub',
  'email',
  'username',
  'userPoolId',
  'attributes',
  'source',
  'observedAt',
] as const;

describe(`hostile bodies for POST /user (${databaseKind})`, () => {
  const harness = useApiOnTestDatabase();

  const expectRejectedAndNothingWritten = async (sub: string, response: { status: number }) => {
    expect([400, 413]).toContain(response.status);
    expect(await countUsers(harness.db, sub)).toBe(0);
  };

  it('when any random JSON value is posted, then 4xx and never a server error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
        const response = await harness.api.post('/user', JSON.stringify(value), { raw: true });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('when one field gets a wrong type, then 400 and nothing is written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), wrongTypes, async (field, value) => {
        const registration = newRegistration();
        // A dictionary of strings is a valid `attributes` value when its keys are valid.
        fc.pre(!(field === 'attributes' && typeof value === 'object' && value !== null));
        const response = await harness.api.post('/user', { ...registration, [field]: value });
        await expectRejectedAndNothingWritten(registration.sub, response);
      }),
      { numRuns: 150 },
    );
  });

  it('when a field holds a hostile string, then it is either stored verbatim or rejected with 4xx and nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('email', 'username', 'userPoolId', 'attribute'),
        hostileStrings,
        async (field, value) => {
          const registration = newRegistration();
          const body =
            field === 'attribute'
              ? { ...registration, attributes: { 'custom:note': value } }
              : { ...registration, [field]: value };
          const response = await harness.api.post('/user', body);
          if (response.status === 201) {
            const stored = (response.body as RegistrationResponse).user;
            if (field === 'attribute') expect(stored.attributes['custom:note']).toBe(value);
            else expect(stored[field as 'email' | 'username' | 'userPoolId']).toBe(value);
            return;
          }
          await expectRejectedAndNothingWritten(registration.sub, response);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('when prototype-pollution keys appear at the top level or in attributes, then 400 and nothing is written', async () => {
    await fc.assert(
      fc.asyncProperty(prototypeKeys, fc.boolean(), async (key, inAttributes) => {
        const registration = newRegistration();
        const json = JSON.stringify(registration);
        // Built as text: an object literal would not carry `__proto__` as an own key.
        const hostile = inAttributes
          ? json.replace('"attributes":{', `"attributes":{"${key}":"x",`)
          : json.replace('{', `{"${key}":{"isAdmin":true},`);
        const response = await harness.api.post('/user', hostile, { raw: true });
        await expectRejectedAndNothingWritten(registration.sub, response);
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      }),
      { numRuns: 30 },
    );
  });

  it('when unknown fields are added, then 400 names them and nothing is written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((key) => !(fields as readonly string[]).includes(key)),
        fc.jsonValue({ maxDepth: 1 }),
        async (key, value) => {
          const registration = newRegistration();
          const body = JSON.stringify(registration).replace(
            '{',
            `{${JSON.stringify(key)}:${JSON.stringify(value)},`,
          );
          const response = await harness.api.post('/user', body, { raw: true });
          await expectRejectedAndNothingWritten(registration.sub, response);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('when SQL-looking and unicode values are valid, then they round-trip exactly and the table survives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom("Robert'); DROP TABLE users;--", '" OR 1=1 --', 'Zoë 😀 名前', '\\N'),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        ),
        async (value) => {
          const registration = newRegistration({
            username: value,
            attributes: { 'custom:bio': value },
          });
          const response = await harness.api.post('/user', registration);
          expect(response.status).toBe(201);
          const stored = (response.body as RegistrationResponse).user;
          expect(stored.username).toBe(value);
          expect(stored.attributes['custom:bio']).toBe(value);
        },
      ),
      { numRuns: 100 },
    );
    expect(await harness.db.schema.hasTable('users')).toBe(true);
  });
});
