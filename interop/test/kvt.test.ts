/**
 * Key-value tables, Sluice ↔ Pravega's own Java KeyValueTable (0.13.0), on the real standalone:
 * - a table Java wrote (10,000 generated keys, 4 partitions, primary + secondary keys) is read by
 *   the SDK entry for entry, with Java's versions, and iterated in Java's order;
 * - the reverse: Java reads what the SDK wrote, the same versions (so each key is in the partition
 *   Java picks for it: a key in another partition would read as absent), and the same order;
 * - conditional writers in both languages race on the same keys: exactly one wins each.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeyValueTable, Serializers, SluiceError } from '@sluice/sdk';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGatewayProcess } from '../../gateway/test/helpers/setup.js';
import { controllerUri, javaPeer, spawnJavaPeer } from './java-peer.js';

const fx = useGatewayProcess('kvt-interop');
const PK = 8;
const SK = 4;
const PARTITIONS = 4;
const COUNT = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'sluice-kvt-'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** COUNT distinct whole keys (bytes 0x00 and 0xff included) and values of 0–64 bytes, from a fixed seed. */
function generate(seed: number): Array<{ key: Uint8Array; value: Uint8Array }> {
  const keyArb = fc.uint8Array({ minLength: PK + SK, maxLength: PK + SK });
  const keys = fc.sample(fc.uniqueArray(keyArb, { minLength: COUNT, maxLength: COUNT, selector: hex }), {
    seed,
    numRuns: 1,
  })[0]!;
  const values = fc.sample(fc.uint8Array({ maxLength: 64 }), { seed: seed + 1, numRuns: COUNT });
  return keys.map((key, i) => ({ key, value: values[i]! }));
}

function tableArgs(table: string): string[] {
  return [
    '--controller',
    controllerUri(),
    '--scope',
    fx.scope,
    '--table',
    table,
    '--pk',
    String(PK),
    '--sk',
    String(SK),
  ];
}

/** Runs `fn` over items with at most `limit` at once. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

async function sdkDump(kvt: KeyValueTable<Uint8Array, Uint8Array>) {
  const out: Array<{ key: string; value: string; version: string }> = [];
  for await (const e of kvt.entries({ pageSize: 500 }))
    out.push({ key: hex(e.key), value: hex(e.value), version: e.version });
  return out;
}

describe('key-value tables: SDK ↔ Java KeyValueTable', () => {
  const bytes = Serializers.bytes();

  beforeAll(() => {
    // The peer builds once, before the timed tests start.
    return javaPeer(['kvt-create', ...tableArgs(uniqueName('warm')), '--partitions', '1']);
  }, 300_000);

  it('the SDK reads a table Java wrote entry for entry, with its versions and in its order', async () => {
    const table = uniqueName('from-java');
    await javaPeer(['kvt-create', ...tableArgs(table), '--partitions', String(PARTITIONS)]);
    const data = generate(26);
    const file = join(dir, `${table}.put`);
    writeFileSync(file, data.map((d) => `${hex(d.key)} ${hex(d.value)}`).join('\n'));
    const written = await javaPeer(['kvt-put', ...tableArgs(table), '--file', file]);
    expect(written).toHaveLength(COUNT);
    const javaVersion = new Map(written.map((l) => [l.key as string, l.version as string]));

    const kvt = fx.client.keyValueTable(table, { key: bytes, value: bytes });
    expect(await fx.client.describeKeyValueTable(table)).toMatchObject({
      partitions: PARTITIONS,
      primaryKeyLength: PK,
      secondaryKeyLength: SK,
    });
    const chunks = Array.from({ length: COUNT / 500 }, (_, i) => data.slice(i * 500, i * 500 + 500));
    const read = (await pool(chunks, 4, (c) => kvt.getAll(c.map((d) => d.key)))).flat();
    read.forEach((e, i) => {
      expect(e && hex(e.value)).toBe(hex(data[i]!.value));
      expect(e?.version).toBe(javaVersion.get(hex(data[i]!.key)));
    });
    // Every partition is used, and each key's partition (the version's segment) is Java's.
    expect(new Set(read.map((e) => e!.version.split(':')[0])).size).toBe(PARTITIONS);

    const javaOrder = (await javaPeer(['kvt-dump', ...tableArgs(table), '--page', '500'])).map((l) => ({
      key: l.key as string,
      value: l.value as string,
      version: l.version as string,
    }));
    expect(javaOrder).toHaveLength(COUNT);
    expect(await sdkDump(kvt)).toEqual(javaOrder);
  });

  it('Java reads a table the SDK wrote entry for entry, with its versions and in its order', async () => {
    const table = uniqueName('from-sdk');
    await fx.client.createKeyValueTable(table, {
      partitions: PARTITIONS,
      primaryKeyLength: PK,
      secondaryKeyLength: SK,
    });
    const kvt = fx.client.keyValueTable(table, { key: bytes, value: bytes });
    const data = generate(62);
    const versions = await pool(data, 64, (d) => kvt.put(d.key, d.value));

    const file = join(dir, `${table}.get`);
    writeFileSync(file, data.map((d) => hex(d.key)).join('\n'));
    const got = await javaPeer(['kvt-get', ...tableArgs(table), '--file', file]);
    expect(got).toHaveLength(COUNT);
    got.forEach((l, i) => {
      expect(l.key).toBe(hex(data[i]!.key));
      expect(l.value).toBe(hex(data[i]!.value));
      expect(l.version).toBe(versions[i]);
    });
    const javaOrder = await javaPeer(['kvt-dump', ...tableArgs(table), '--page', '500']);
    const sdkOrder = await sdkDump(kvt);
    expect(sdkOrder.map((e) => e.key)).toEqual([...sdkOrder.map((e) => e.key)].sort());
    expect(javaOrder).toEqual(sdkOrder);
  });

  it('conditional writers in Java and the SDK racing on the same keys: exactly one wins each', async () => {
    const table = uniqueName('race');
    await fx.client.createKeyValueTable(table, {
      partitions: PARTITIONS,
      primaryKeyLength: PK,
      secondaryKeyLength: SK,
    });
    const kvt = fx.client.keyValueTable(table, { key: bytes, value: bytes });
    const data = generate(7).slice(0, 1000);
    const start = await pool(data, 64, (d) => kvt.put(d.key, Uint8Array.of(0)));
    const file = join(dir, `${table}.race`);
    writeFileSync(file, data.map((d, i) => `${hex(d.key)} ${start[i]} 4a`).join('\n'));
    const go = join(dir, `${table}.go`);
    const peer = spawnJavaPeer(['kvt-race', ...tableArgs(table), '--file', file, '--go', go]);
    const lines = peer[Symbol.asyncIterator]();
    expect((await lines.next()).value).toEqual({ ready: true });
    writeFileSync(go, '');
    // Java goes through the keys first to last, the SDK last to first: they meet somewhere in
    // between, where both try the same keys at once, and each side wins some keys outright.
    const order = data.map((_, i) => data.length - 1 - i);
    const sdkWonInOrder = await pool(order, 16, async (i) => {
      const d = data[i]!;
      try {
        await kvt.replace(d.key, Uint8Array.of(0x53), start[i]!);
        return true;
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'conflict') return false;
        throw err;
      }
    });
    const sdkWon: boolean[] = [];
    order.forEach((i, n) => {
      sdkWon[i] = sdkWonInOrder[n]!;
    });
    const javaWon = new Map<string, boolean>();
    for (let n = await lines.next(); !n.done; n = await lines.next())
      javaWon.set(n.value.key as string, n.value.won as boolean);
    expect(javaWon.size).toBe(data.length);
    const final = await kvt.getAll(data.map((d) => d.key));
    let java = 0;
    data.forEach((d, i) => {
      const j = javaWon.get(hex(d.key));
      expect(j !== sdkWon[i]).toBe(true);
      expect(final[i]!.value[0]).toBe(j ? 0x4a : 0x53);
      if (j) java++;
    });
    // Both sides won some (a race where one side always wins would prove little).
    expect(java).toBeGreaterThan(0);
    expect(java).toBeLessThan(data.length);
  });
});
