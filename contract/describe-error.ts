/**
 * One line for a log or an error detail: the error's name and message, and its cause's message
 * (a fetch or socket failure keeps the useful part there). Never the stack.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
