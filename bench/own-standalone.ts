/**
 * `--pravega own`: a standalone of the bench's own on other ports (gigabytes of events in its heap,
 * and no other run's traffic on it), stopped at the end. Its segment-store cache is 1 GiB, not the
 * standalone's 128 MiB: a burst of writes that fills the cache before the storage writer drains it
 * fails the container (CacheFullException).
 */

/** Its heap (SLUICE_BENCH_PRAVEGA_HEAP): room for the history of every phase. */
const heap = process.env.SLUICE_BENCH_PRAVEGA_HEAP ?? '12g';

/**
 * About how many bytes of events the standalone's heap holds before it fails: it keeps every
 * event, deleted streams' too. With 12 GiB, ~5.5 GB written ended in OutOfMemoryError (and
 * writers timing out); ~4.4 GB went through. So about 40 % of the heap (a JVM -Xmx size: 12g, 512m).
 */
export function historyRoomBytes(): number | undefined {
  const match = /^(\d+)([kmgt]?)$/i.exec(heap);
  if (!match) return undefined;
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[match[2]!.toLowerCase()]!;
  return Number(match[1]) * unit * 0.4;
}

export const OWN_STANDALONE = {
  name: 'bench',
  controllerPort: 19690,
  segmentStorePort: 22945,
  zkPort: 14600,
  extraProps: { 'pravegaservice.cache.size.max': String(1024 ** 3) },
  // The standalone keeps every event in its heap. With the serial collector and a heap grown from
  // the JVM's default, copying that live history stopped the store for whole seconds, in whichever
  // side's phase it fell (Java's P2 went 62–181 MB/s, Sluice's 17–69, within one run). A heap sized
  // up front and G1's short pauses keep the phases comparable; touched up front too, or the kernel
  // zeroing pages as the history grows into it took 20–25 % of the store's CPU in whichever phase
  // grew it (a profile of P2, 2026-12-02).
  jvmArgs: [`-Xms${heap}`, `-Xmx${heap}`, '-XX:-UseSerialGC', '-XX:+UseG1GC', '-XX:+AlwaysPreTouch'],
};
