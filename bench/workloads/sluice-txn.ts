import { Serializers, type SluiceClient } from '@sluice/sdk';

/**
 * `txns` transactions of `events` events each, one after the other, through an exactly-once
 * writer; each counts once Pravega reports it committed. Returns commits/s.
 */
export async function sluiceTxns(
  client: SluiceClient,
  stream: string,
  txns: number,
  events: number,
  size: number,
  warmup: number,
): Promise<number> {
  const writer = client.writer(stream, { serializer: Serializers.bytes(), mode: 'exactly-once', txnLeaseMs: 60_000 });
  const payload = new Uint8Array(size).fill(120);
  const one = async () => {
    const tx = await writer.beginTxn();
    const writes: Promise<void>[] = [];
    for (let e = 0; e < events; e++) writes.push(tx.write(payload, `key-${e % 10}`));
    await Promise.all(writes);
    await tx.commit();
  };
  for (let i = 0; i < warmup; i++) await one();
  const started = performance.now();
  for (let i = 0; i < txns; i++) await one();
  return txns / ((performance.now() - started) / 1000);
}
