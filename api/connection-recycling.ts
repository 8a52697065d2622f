/**
 * Connections opened before the database last said "not the writer any more" (see
 * `needsFreshConnections`) are closed instead of reused. After an RDS Multi-AZ or Aurora
 * failover the endpoint's DNS name points at the new writer, but a pooled connection stays on
 * the old server, which may keep answering as a read-only instance; node-postgres looks the name
 * up again for every new connection, so a fresh one reaches the new writer.
 *
 * Every connection of the pool is retired, not only the one that reported: they were all opened
 * to the same old server. The check is knex's public `pool.validate`, which the pool runs before
 * it hands out an idle connection; a connection busy with a query finishes it and is dropped on
 * its next turn. No knex internals are read: each connection is remembered (by identity, in a
 * WeakMap) with the generation it was opened in, from `pool.afterCreate`.
 */
export interface ConnectionRecycler {
  /** To merge into knex's `pool` settings. */
  readonly poolHooks: {
    afterCreate(connection: object, done: (error: Error | null, connection: object) => void): void;
    validate(connection: object): boolean;
  };
  /**
   * Retires every connection opened so far. Returns false when there was none to retire (none
   * was opened since the last call), so a burst of refusals is acted on, and logged, once per
   * connection generation.
   */
  retireAll(): boolean;
}

export function createConnectionRecycler(): ConnectionRecycler {
  let generation = 0;
  let openedInGeneration = 0;
  const generationOf = new WeakMap<object, number>();
  return {
    poolHooks: {
      afterCreate(connection, done) {
        generationOf.set(connection, generation);
        openedInGeneration += 1;
        done(null, connection);
      },
      validate: (connection) => (generationOf.get(connection) ?? generation) === generation,
    },
    retireAll() {
      if (openedInGeneration === 0) return false;
      generation += 1;
      openedInGeneration = 0;
      return true;
    },
  };
}
