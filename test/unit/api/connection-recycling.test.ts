import { createConnectionRecycler } from '../../../api/connection-recycling';

/** Runs the pool's afterCreate hook as knex does, resolving the connection it hands back. */
const opened = (
  recycler: ReturnType<typeof createConnectionRecycler>,
  connection: object = {},
): Promise<object> =>
  new Promise((resolve, reject) =>
    recycler.poolHooks.afterCreate(connection, (error, created) =>
      error ? reject(error) : resolve(created),
    ),
  );

describe('connection recycler', () => {
  it('when nothing was retired, then every connection validates and is reused', async () => {
    const recycler = createConnectionRecycler();
    const first = await opened(recycler);
    const second = await opened(recycler);

    expect(recycler.poolHooks.validate(first)).toBe(true);
    expect(recycler.poolHooks.validate(second)).toBe(true);
  });

  it('when the connections are retired, then every one opened before fails validation and later ones pass', async () => {
    const recycler = createConnectionRecycler();
    const before = [await opened(recycler), await opened(recycler)];

    expect(recycler.retireAll()).toBe(true);
    const after = await opened(recycler);

    expect(before.map((connection) => recycler.poolHooks.validate(connection))).toEqual([
      false,
      false,
    ]);
    expect(recycler.poolHooks.validate(after)).toBe(true);
  });

  it('when refusals come in a burst, then only the first retires anything until a new connection opens', async () => {
    const recycler = createConnectionRecycler();
    await opened(recycler);

    expect(recycler.retireAll()).toBe(true);
    expect(recycler.retireAll()).toBe(false);
    const fresh = await opened(recycler);
    expect(recycler.retireAll()).toBe(true);
    expect(recycler.poolHooks.validate(fresh)).toBe(false);
  });

  it('when the pool has opened nothing yet, then retiring is a no-op', () => {
    expect(createConnectionRecycler().retireAll()).toBe(false);
  });
});
