/** Expected contents of streams written by the Java peer and by the pages. */

/** What `java peer write --count n --keys k --prefix p` writes: "p|key-(i%k)|i", routing key key-(i%k). */
export function javaEvents(prefix: string, count: number, keys: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}|key-${i % keys}|${i}`);
}

export function keyOf(event: string): string {
  return event.split('|')[1] ?? '(other)';
}

/** Events grouped by routing key, each group in its order. */
export function perKey(events: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const k = keyOf(e);
    out.set(k, [...(out.get(k) ?? []), e]);
  }
  return out;
}
