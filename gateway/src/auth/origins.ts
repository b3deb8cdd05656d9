/**
 * The Origin allow-list, checked before the WebSocket upgrade: an exact match of the browser's
 * serialized origin (scheme://host[:port], lower case as browsers send it). No wildcards, no
 * suffix or prefix matching, no normalisation that could let a look-alike through.
 */
export function originAllowed(
  origin: string | undefined,
  allowed: ReadonlySet<string>,
  allowMissing: boolean,
): boolean {
  if (allowed.size === 0) return true; // no list: origin checks are off (local development)
  if (origin === undefined || origin === '') return allowMissing;
  return allowed.has(origin);
}
