/** Clean-up steps that run in reverse order on success, failure, or Ctrl-C. */
export interface CleanupStack {
  /** Registers a step; steps run last-registered first. */
  defer(what: string, step: () => Promise<unknown>): void;
  /** Runs every step once (each bounded by `stepTimeoutMs`), reporting but not throwing errors. */
  run(): Promise<void>;
}

/**
 * Benches create scratch databases and child processes; this makes sure they are dropped and
 * stopped whichever way the run ends. SIGINT/SIGTERM run the steps and then exit with 130.
 */
export function createCleanupStack(stepTimeoutMs = 15_000): CleanupStack {
  const steps: Array<{ what: string; step: () => Promise<unknown> }> = [];
  let running: Promise<void> | undefined;

  const runSteps = async (): Promise<void> => {
    while (steps.length > 0) {
      const next = steps.pop();
      if (next === undefined) break;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), stepTimeoutMs);
      });
      try {
        await Promise.race([next.step(), timeout]);
      } catch (error) {
        console.error(`clean-up: ${next.what} failed: ${String(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  };

  const run = (): Promise<void> => {
    running ??= runSteps().finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    return running;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`${signal}: cleaning up`);
    void run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  return {
    defer: (what, step) => {
      steps.push({ what, step });
    },
    run,
  };
}
