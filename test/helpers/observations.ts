import type { Registration } from '#contract/registration';

/** A Fisher-Yates shuffle: the order in which concurrent deliveries leave. */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/**
 * `count` observations of `base`'s sub, each with its own email and `custom:version`. Pairs share
 * an instant, one second apart from `start` (equal is "not older", so either may win that pair);
 * the last one stands alone, `newestAfterMs` after `start`, as the newest.
 */
export function observationsOf(
  base: Registration,
  { count, start, newestAfterMs }: { count: number; start: number; newestAfterMs: number },
): Registration[] {
  return Array.from({ length: count }, (_, index) => ({
    ...base,
    email: `v${index}-${base.email}`,
    attributes: { 'custom:version': String(index) },
    observedAt: new Date(
      start + (index === count - 1 ? newestAfterMs : Math.floor(index / 2) * 1_000),
    ).toISOString(),
  }));
}
