import { Serializers, type SluiceClient } from '@sluice/sdk';
import * as hdr from 'hdr-histogram-js';

/** Write→read latency percentiles of one open-loop run, in milliseconds. */
export interface LatencySample {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Events recorded (after the warm-up). */
  count: number;
  /** Events handed to the writer per second, measured (the target is `rate`). */
  sentPerSec: number;
}

export interface LatencyOptions {
  /** Events per second, fixed: event i is due at start + i / rate. */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  size: number;
  keys: number;
}

/**
 * Open-loop write→read latency through the gateway: an at-least-once writer sends event i at its
 * intended time start + i / rate (never waiting for acknowledgements), a reader on the same
 * stream in this process receives it, and the latency is counted from the *intended* send time,
 * so a writer that falls behind is charged for every event it delayed (coordinated omission
 * corrected). Each event carries its sequence number in its first 8 bytes. The same method as
 * the Java peer's `bench-latency`, recorded in the same kind of histogram (HdrHistogram, 3 digits).
 */
export async function sluiceLatency(client: SluiceClient, stream: string, o: LatencyOptions): Promise<LatencySample> {
  const total = Math.floor(o.rate * (o.seconds + o.warmupSeconds));
  const warmup = Math.floor(o.rate * o.warmupSeconds);
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 300_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const keyNames = Array.from({ length: o.keys }, (_, i) => `key-${i}`);
  const reader = client.reader(stream, { serializer: Serializers.bytes(), from: 'head' });
  await reader.ready();
  const writer = client.writer(stream, { serializer: Serializers.bytes() });
  const size = Math.max(16, o.size);
  const start = performance.now();
  const intended = (seq: number) => start + (seq * 1000) / o.rate;

  const reading = (async () => {
    let received = 0;
    for await (const ev of reader) {
      const now = performance.now();
      const seq = new DataView(ev.value.buffer, ev.value.byteOffset, 8).getFloat64(0);
      if (seq >= warmup) histogram.recordValue(Math.max(0, Math.round((now - intended(seq)) * 1000)));
      if (++received === total) break;
    }
  })();

  let failed: unknown;
  let seq = 0;
  while (seq < total && failed === undefined) {
    const now = performance.now();
    while (seq < total && intended(seq) <= now) {
      const payload = new Uint8Array(size);
      new DataView(payload.buffer).setFloat64(0, seq);
      writer.write(payload, keyNames[seq % o.keys]!).catch((err: unknown) => {
        failed ??= err;
      });
      seq++;
    }
    // Node's timers tick once a millisecond at best: events due within it go out together.
    if (seq < total) await new Promise((r) => setTimeout(r, Math.max(0, intended(seq) - performance.now())));
  }
  const sentPerSec = total / ((performance.now() - start) / 1000);
  if (failed !== undefined) throw failed;
  await writer.flush();
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('P3: the reader did not see every event within 120 s')), 120_000).unref(),
  );
  await Promise.race([reading, timeout]);
  await writer.close();
  await reader.close();
  const ms = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  const sample = {
    p50Ms: ms(50),
    p99Ms: ms(99),
    p999Ms: ms(99.9),
    maxMs: histogram.maxValue / 1000,
    count: histogram.totalCount,
    sentPerSec,
  };
  histogram.destroy();
  return sample;
}
