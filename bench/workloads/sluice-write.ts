import { Serializers, type SluiceClient } from '@sluice/sdk';

export interface SluiceWriteOptions {
  count: number;
  size: number;
  keys: number;
  /**
   * Events written and flushed first on the same writer, untimed — as Java's bench-write does:
   * the writer's open (stream lookup, one SetupAppend per segment) is then outside the timing
   * on both sides, and a short phase measures the writing, not the handshake.
   */
  warmup: number;
  /** Reads the CPU time this side spends (to report CPU per MB of the timed part only). */
  cpuMs?: () => number;
}

/**
 * Writes `count` events of `size` bytes over `keys` routing keys as fast as acknowledgements
 * allow (the SDK's in-flight window applies backpressure); returns acknowledged events/s
 * from the first timed write to the last acknowledgement, and the CPU spent meanwhile.
 */
export async function sluiceWrite(
  client: SluiceClient,
  stream: string,
  o: SluiceWriteOptions,
): Promise<{ eventsPerSec: number; cpuMs: number | undefined }> {
  const writer = client.writer(stream, { serializer: Serializers.bytes() });
  const payload = new Uint8Array(o.size).fill(120);
  const keyNames = Array.from({ length: o.keys }, (_, i) => `key-${i}`);
  const writeAll = async (count: number) => {
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      last = writer.write(payload, keyNames[i % o.keys]!);
      // Yield now and then so acknowledgements are processed while we produce.
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await last;
    await writer.flush();
  };
  try {
    await writeAll(o.warmup);
    const cpuStarted = o.cpuMs?.();
    const started = performance.now();
    await writeAll(o.count);
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = cpuStarted === undefined ? undefined : o.cpuMs!() - cpuStarted;
    return { eventsPerSec: o.count / seconds, cpuMs };
  } finally {
    await writer.close();
  }
}
