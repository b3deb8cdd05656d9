import { Serializers, type SluiceClient, type StreamCut } from '@sluice/sdk';

/**
 * Catch-up read of history: one reader from the head to `to` (a tail cut taken after the history
 * was written), timed from opening the reader to the end of the iteration. Returns MB/s (10^6
 * bytes of event payload per second) and the CPU that `cpuMs` (the client and the gateway) spent
 * per MB in that time; throws unless exactly `expect` events arrived. First, untimed, another
 * reader reads `warmup` events (as the Java peer's bench-read does).
 */
export async function sluiceCatchup(
  client: SluiceClient,
  stream: string,
  to: StreamCut,
  expect: number,
  warmup: number,
  cpuMs: () => number,
): Promise<{ mbPerSec: number; cpuMsPerMB: number }> {
  if (warmup > 0) {
    let n = 0;
    const first = client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to });
    for await (const _ of first) if (++n >= warmup) break;
    await first.close();
  }
  const started = performance.now();
  const cpuStarted = cpuMs();
  const reader = client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to });
  let events = 0;
  let bytes = 0;
  for await (const ev of reader) {
    events++;
    bytes += ev.value.byteLength;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuMs() - cpuStarted;
  await reader.close();
  if (events !== expect) throw new Error(`P7: read ${events} events, expected ${expect}`);
  return { mbPerSec: bytes / 1e6 / seconds, cpuMsPerMB: cpu / (bytes / 1e6) };
}
