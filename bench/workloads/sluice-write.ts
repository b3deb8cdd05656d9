import { Serializers, type SluiceClient } from '@sluice/sdk';

/**
 * Writes `count` events of `size` bytes over `keys` routing keys as fast as acknowledgements
 * allow (the SDK's in-flight window applies backpressure); returns acknowledged events/s
 * from the first write to the last acknowledgement.
 */
export async function sluiceWrite(
  client: SluiceClient,
  stream: string,
  count: number,
  size: number,
  keys: number,
): Promise<number> {
  const writer = client.writer(stream, { serializer: Serializers.bytes() });
  const payload = new Uint8Array(size).fill(120);
  const keyNames = Array.from({ length: keys }, (_, i) => `key-${i}`);
  const started = performance.now();
  let last: Promise<void> = Promise.resolve();
  for (let i = 0; i < count; i++) {
    last = writer.write(payload, keyNames[i % keys]!);
    // Yield now and then so acknowledgements are processed while we produce.
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await last;
  await writer.flush();
  const seconds = (performance.now() - started) / 1000;
  await writer.close();
  return count / seconds;
}
