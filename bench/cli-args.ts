/** Checks for the bench scripts' command-line values, before anything starts. */

/** `text` as a positive integer, or an error naming the flag (e.g. `--rounds`). */
export function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} takes a positive integer, not ${text}`);
  return n;
}
