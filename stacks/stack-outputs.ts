/** A stack output: its value and what it is for. */
export interface StackOutput {
  readonly value: string;
  readonly description: string;
}

/** Outputs by output ID (the ID is the name users read them by, e.g. `ApiUrl`). */
export type StackOutputs = Readonly<Record<string, StackOutput>>;
