import type { Node } from 'constructs';

/** A context value the app cannot use; the message names the key (values are not secret here). */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Reads the context value `key`; `-c key=value` arrives as a string, cdk.json as JSON. */
export function readString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  throw new SettingsError(`context "${key}" must be a string, number or boolean`);
}

export function readInteger(
  node: Node,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = readString(node, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`context "${key}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function readBoolean(node: Node, key: string, fallback: boolean): boolean {
  const raw = readString(node, key);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new SettingsError(`context "${key}" must be true or false`);
}

/**
 * Reads a list: comma-separated with `-c key=a,b`, or a JSON array of strings in cdk.json.
 * Entries are trimmed; an empty list reads as absent.
 */
export function readList(node: Node, key: string): string[] | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  let entries: string[];
  if (typeof value === 'string') {
    entries = value.split(',');
  } else if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) {
    entries = value;
  } else {
    throw new SettingsError(
      `context "${key}" must be a comma-separated string or a JSON array of strings`,
    );
  }
  const trimmed = entries.map((entry) => entry.trim());
  if (trimmed.every((entry) => entry === '')) return undefined;
  if (trimmed.some((entry) => entry === '')) {
    throw new SettingsError(`context "${key}" has an empty entry`);
  }
  return trimmed;
}

/** Whether `key` was given at all (to tell an explicit setting from a stage default). */
export function isGiven(node: Node, key: string): boolean {
  const value: unknown = node.tryGetContext(key);
  return value !== undefined && value !== null && value !== '';
}
