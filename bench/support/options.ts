// Reading a benchmark's command-line options.

/** `--name value` as a positive integer, or an error naming the option. */
export function positiveInt(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}
