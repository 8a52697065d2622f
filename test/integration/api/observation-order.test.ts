import type { Registration } from '#contract/registration';
import type { RegistrationResponse } from '#contract/user';
import { useApiOnTestDatabase } from '../../helpers/api-harness';
import { observationsOf, shuffled } from '../../helpers/observations';
import { newRegistration } from '../../../fixtures/registrations';
import { databaseKind } from '../../../fixtures/test-database';

const at = (minutesAgo: number): string => new Date(Date.now() - minutesAgo * 60_000).toISOString();

const answerOf = (response: { body: unknown }): RegistrationResponse =>
  response.body as RegistrationResponse;

describe(`POST /user with observedAt (${databaseKind})`, () => {
  const harness = useApiOnTestDatabase();

  const storedRow = (sub: string) => harness.db('users').where({ sub }).first();

  it('when an older observation arrives after a newer one, then 200 stale returns the stored user and nothing is written', async () => {
    const newer = newRegistration({ observedAt: at(1) });
    const stored = answerOf(await harness.api.post('/user', newer)).user;
    const before = await storedRow(newer.sub);

    const response = await harness.api.post('/user', {
      ...newer,
      email: `old-${newer.email}`,
      attributes: { 'custom:plan': 'old' },
      observedAt: at(5),
    });

    expect(response.status).toBe(200);
    expect(answerOf(response)).toEqual({ change: 'stale', user: stored });
    expect(await storedRow(newer.sub)).toEqual(before);
  });

  it('when an observation carries the same instant with different data, then it counts as not older: updated', async () => {
    const observedAt = at(2);
    const first = newRegistration({ observedAt });
    await harness.api.post('/user', first);

    const response = await harness.api.post('/user', {
      ...first,
      attributes: { 'custom:plan': 'pro' },
      observedAt: observedAt.replace('Z', '+00:00'),
    });

    expect(response.status).toBe(200);
    expect(answerOf(response).change).toBe('updated');
    expect(answerOf(response).user.attributes).toEqual({ 'custom:plan': 'pro' });
    expect(answerOf(response).user.observedAt).toBe(observedAt);
  });

  it('when the same data is observed again later, then unchanged, but the later observation still guards against one in between', async () => {
    const a = newRegistration({ observedAt: at(10) });
    await harness.api.post('/user', a);
    const again = await harness.api.post('/user', { ...a, observedAt: at(2) });
    expect(answerOf(again).change).toBe('unchanged');

    // State B was observed between the two observations of A: it is history, not news.
    const inBetween = await harness.api.post('/user', {
      ...a,
      attributes: { 'custom:plan': 'b' },
      observedAt: at(5),
    });

    expect(answerOf(inBetween).change).toBe('stale');
    expect((await storedRow(a.sub)).attributes).toEqual(a.attributes);
  });

  it('when an offset other than Z is sent, then it is the same instant', async () => {
    const registration = newRegistration({ observedAt: '2026-01-01T12:00:00.000+02:00' });

    const response = await harness.api.post('/user', registration);

    expect(answerOf(response).user.observedAt).toBe('2026-01-01T10:00:00.000Z');
  });

  it('when observedAt lies ahead of the server clock, then it is stored as now, so later updates still land', async () => {
    const registration = newRegistration({ observedAt: '2999-01-01T00:00:00Z' });
    const sentAt = Date.now();

    const created = answerOf(await harness.api.post('/user', registration));
    const later = answerOf(
      await harness.api.post('/user', {
        ...registration,
        attributes: { 'custom:plan': 'pro' },
        observedAt: undefined,
      }),
    );

    expect(Date.parse(created.user.observedAt)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(created.user.observedAt)).toBeGreaterThanOrEqual(sentAt - 1000);
    expect(later.change).toBe('updated');
  });

  it.each(['2026-01-01', '2026-01-01T12:00:00', '1969-12-31T23:59:59Z', 'yesterday', 42])(
    'when observedAt is %p, then 400 names observedAt',
    async (observedAt) => {
      const response = await harness.api.post('/user', { ...newRegistration(), observedAt });

      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain('observedAt');
    },
  );

  it('when a sub marked deleted comes back with a newer observation, then the mark is cleared: updated', async () => {
    const registration = newRegistration({ observedAt: at(10) });
    await harness.api.post('/user', registration);
    await harness.db('users').where({ sub: registration.sub }).update({ deleted_at: new Date() });

    const olderReplay = await harness.api.post('/user', { ...registration, observedAt: at(20) });
    expect(answerOf(olderReplay).change).toBe('stale');
    expect(answerOf(olderReplay).user.deletedAt).not.toBeNull();

    const back = await harness.api.post('/user', { ...registration, observedAt: at(1) });

    expect(back.status).toBe(200);
    expect(answerOf(back).change).toBe('updated');
    expect(answerOf(back).user.deletedAt).toBeNull();
  });

  it('when 40 observations of one sub are delivered concurrently in shuffled order, then the newest is what stays stored', async () => {
    const base = newRegistration();
    const start = Date.now() - 120_000;
    const observations = observationsOf(base, { count: 40, start, newestAfterMs: 60_000 });
    const newest = observations[39] as Registration;
    const order = shuffled(observations);

    const responses = await Promise.all(
      order.map((observation) => harness.api.post('/user', observation)),
    );

    expect(responses.map((response) => response.status).sort()).toEqual([
      ...Array.from({ length: 39 }, () => 200),
      201,
    ]);
    const row = await storedRow(base.sub);
    expect(row.email).toBe(newest.email);
    expect(row.attributes).toEqual(newest.attributes);
    expect(new Date(row.observed_at).toISOString()).toBe(newest.observedAt);
    const newestAnswer = answerOf(responses[order.indexOf(newest)] as { body: unknown });
    expect(newestAnswer.change).not.toBe('stale');
    expect(newestAnswer.user.email).toBe(newest.email);
  });
});
