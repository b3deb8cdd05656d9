/**
 * Key-value table operations/s through the SDK, the same workload as the Java peer's kvt-bench
 * (interop/…/Kvt.java): `inflight` operations outstanding, key i of `keys` primary keys in turn;
 * single gets/puts touch secondary key 0, batches the first `batch` secondary keys of one
 * primary key (getAll / putAll). An untimed warm-up first.
 */
import { type KeyValueTable, Serializers, type SluiceClient } from '@sluice/sdk';

export const KVT_PK = 8;
export const KVT_SK = 4;

/** The same bytes as Kvt.benchKey: `primary` big-endian in the primary key, `secondary` in the last byte. */
export function benchKey(primary: number, secondary: number): Uint8Array {
  const k = new Uint8Array(KVT_PK + KVT_SK);
  for (let b = KVT_PK - 1, p = primary; b >= 0 && p !== 0; b--, p = Math.floor(p / 256)) k[b] = p % 256;
  k[KVT_PK + KVT_SK - 1] = secondary;
  return k;
}

export interface KvtBenchOptions {
  op: 'get' | 'put';
  count: number;
  batch: number;
  inflight: number;
  keys: number;
  warmup: number;
  valueSize: number;
}

/** Writes every key the bench reads (keys × batch secondary keys), in batches per primary key. */
export async function populateKvt(client: SluiceClient, table: string, keys: number, batch: number, valueSize: number) {
  const kvt = client.keyValueTable(table, { key: Serializers.bytes(), value: Serializers.bytes() });
  const value = new Uint8Array(valueSize);
  for (let p = 0; p < keys; p += 32) {
    await Promise.all(
      Array.from({ length: Math.min(32, keys - p) }, (_, i) =>
        kvt.putAll(Array.from({ length: batch }, (_, s) => [benchKey(p + i, s), value] as const)),
      ),
    );
  }
}

export async function sluiceKvt(client: SluiceClient, table: string, o: KvtBenchOptions): Promise<number> {
  const kvt: KeyValueTable<Uint8Array, Uint8Array> = client.keyValueTable(table, {
    key: Serializers.bytes(),
    value: Serializers.bytes(),
  });
  const value = new Uint8Array(o.valueSize);
  const one = (i: number): Promise<unknown> => {
    const primary = i % o.keys;
    if (o.batch === 1) return o.op === 'get' ? kvt.get(benchKey(primary, 0)) : kvt.put(benchKey(primary, 0), value);
    const keys = Array.from({ length: o.batch }, (_, s) => benchKey(primary, s));
    return o.op === 'get' ? kvt.getAll(keys) : kvt.putAll(keys.map((k) => [k, value] as const));
  };
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: o.inflight }, async () => {
        while (next < n) await one(next++);
      }),
    );
  };
  await run(o.warmup);
  const started = performance.now();
  await run(o.count);
  return o.count / ((performance.now() - started) / 1000);
}
