/**
 * Hooks for the end-to-end tests: when a test exposed `__sluiceProbe` (Playwright's
 * exposeFunction), the page reports what it did; otherwise nothing happens. Reports are plain
 * JSON so they survive the trip.
 */
type Probe = (kind: string, data: unknown) => Promise<void>;

export function report(kind: string, data: unknown): void {
  const probe = (globalThis as { __sluiceProbe?: Probe }).__sluiceProbe;
  if (probe) void probe(kind, data);
}

export function probing(): boolean {
  return typeof (globalThis as { __sluiceProbe?: Probe }).__sluiceProbe === 'function';
}
