import type { PGlite } from '@electric-sql/pglite';

/** Gives PGlite's exclusive lock back; call it once. */
export type ReleaseTurn = () => void;

/**
 * Waits for PGlite's exclusive lock (`runExclusive`, first come first served) and holds it until
 * the returned function is called, so that one client can keep the single backend across several
 * calls (a whole transaction) while every other user of the instance waits its turn.
 */
export function takeExclusiveTurn(db: PGlite): Promise<ReleaseTurn> {
  return new Promise((granted, failed) => {
    db.runExclusive(() => new Promise<void>((release) => granted(release))).catch(failed);
  });
}
