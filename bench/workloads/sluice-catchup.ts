import { Serializers, type SluiceClient, type StreamCut } from '@sluice/sdk';

/**
 * Catch-up read of history: one reader from the head to `to` (a tail cut taken after the history
 * was written), timed from opening the reader to the end of the iteration. Returns MB/s (10^6
 * bytes of event payload per second); throws unless exactly `expect` events arrived. First,
 * untimed, another reader reads `warmup` events (as the Java peer's bench-read does).
 */
export async function sluiceCatchup(
  client: SluiceClient,
  stream: string,
  to: StreamCut,
  expect: number,
  warmup: number,
): Promise<number> {
  if (warmup > 0) {
    let n = 0;
    const first = client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to });
    for await (const _ of first) if (++n >= warmup) break;
    await first.close();
  }
  const started = performance.now();
  const reader = client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to });
  let events = 0;
  let bytes = 0;
  for await (const ev of reader) {
    events++;
    bytes += ev.value.byteLength;
  }
  const seconds = (performance.now() - started) / 1000;
  await reader.close();
  if (events !== expect) throw new Error(`P7: read ${events} events, expected ${expect}`);
  return bytes / 1e6 / seconds;
}
