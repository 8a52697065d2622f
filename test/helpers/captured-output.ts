/** What this process writes to stdout and stderr while captured (nothing reaches the terminal). */
export interface CapturedOutput {
  /** Everything written so far, both streams in the order written. */
  text(): string;
  /** Lets the streams write to the terminal again. */
  restore(): void;
}

/**
 * Captures this process's stdout and stderr writes, for code that logs or emits metrics through
 * them (Powertools' Logger and Metrics) rather than through an injected destination.
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const keep = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(keep);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(keep);
  return {
    text: () => chunks.join(''),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** The JSON lines of captured output (a log line or an EMF document each), parsed. */
export const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
