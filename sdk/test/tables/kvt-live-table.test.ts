/**
 * A live table fed by a key-value table, through the real gateway and standalone: its snapshot by
 * iteration first, then each change (put, replace, remove, insert) as polling finds it, without
 * repeating unchanged keys; a prefix limits it; the key bound is a typed error; no checkpoints.
 */
import { type LiveTableChange, type Serializer, Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../../gateway/test/helpers/names.js';
import { useGateway } from '../../../gateway/test/helpers/setup.js';

const fx = useGateway('kvt-live');

/** Keys of up to 8 ASCII characters, padded to the table's 8 bytes. */
const padded: Serializer<string> = {
  serialize: (k) => new TextEncoder().encode(k.padEnd(8, '_')),
  deserialize: (b) => new TextDecoder().decode(b).replace(/_+$/, ''),
};

async function tableWith(entries: Record<string, string>) {
  const name = uniqueName('t');
  await fx.client.createKeyValueTable(name, { partitions: 3, primaryKeyLength: 8 });
  const kvt = fx.client.keyValueTable(name, { key: padded, value: Serializers.utf8() });
  for (const [k, v] of Object.entries(entries)) await kvt.put(k, v);
  return kvt;
}

async function take<T>(changes: AsyncIterable<LiveTableChange<T>>, until: (seen: LiveTableChange<T>[]) => boolean) {
  const seen: LiveTableChange<T>[] = [];
  for await (const c of changes) {
    seen.push(c);
    if (until(seen)) break;
  }
  return seen;
}

describe('live tables fed by a key-value table', () => {
  it('starts from a snapshot by iteration, then yields each change once', async () => {
    const kvt = await tableWith({ a: 'A1', b: 'B1', c: 'C1', x: 'X1' });
    const table = fx.client.table(kvt, { pollMs: 20, pageSize: 2 });
    await table.whenReady();
    expect(table.snapshot()).toEqual(new Map(Object.entries({ a: 'A1', b: 'B1', c: 'C1', x: 'X1' })));

    // One change: the next change seen is that one, not a replay of unchanged keys.
    const changes = table.changes();
    const v = await kvt.put('b', 'B2');
    const first = await take(changes, () => true);
    expect(first).toEqual([{ type: 'put', key: 'b', value: 'B2', previous: 'B1' }]);

    const later = table.changes();
    await kvt.replace('b', 'B3', v);
    await kvt.remove('c');
    await kvt.insert('d', 'D1');
    const more = await take(
      later,
      () => table.get('d') === 'D1' && !table.snapshot().has('c') && table.get('b') === 'B3',
    );
    expect(more.filter((c) => c.key === 'c')).toEqual([{ type: 'delete', key: 'c', previous: 'C1' }]);
    expect(more.some((c) => c.key === 'a' || c.key === 'x')).toBe(false);
    expect(table.snapshot()).toEqual(new Map(Object.entries({ a: 'A1', b: 'B3', d: 'D1', x: 'X1' })));
    // The key-value table is its own state: nothing to checkpoint.
    await expect(table.checkpoint()).rejects.toMatchObject({ code: 'invalid-argument' });
    await table.close();
  });

  it('follows only the keys of a prefix', async () => {
    const kvt = await tableWith({ 'dev-1': '1', 'dev-2': '2', other: 'o' });
    const table = fx.client.table(kvt, { prefix: new TextEncoder().encode('dev-'), pollMs: 20 });
    await table.whenReady();
    expect([...table.snapshot().keys()].sort()).toEqual(['dev-1', 'dev-2']);
    const changes = table.changes();
    await kvt.put('other', 'o2');
    await kvt.put('dev-3', '3');
    const seen = await take(changes, (s) => s.some((c) => c.key === 'dev-3'));
    expect(seen.map((c) => c.key)).toEqual(['dev-3']);
    await table.close();
  });

  it('names byte keys in hex unless told otherwise', async () => {
    const name = uniqueName('t');
    await fx.client.createKeyValueTable(name, { partitions: 1, primaryKeyLength: 2 });
    const kvt = fx.client.keyValueTable(name, { key: Serializers.bytes(), value: Serializers.utf8() });
    await kvt.put(Uint8Array.of(0x00, 0xff), 'a');
    const hex = fx.client.table(kvt);
    const named = fx.client.table(kvt, { key: (k) => `#${k[0]}.${k[1]}` });
    await Promise.all([hex.whenReady(), named.whenReady()]);
    expect(hex.snapshot()).toEqual(new Map([['00ff', 'a']]));
    expect(named.snapshot()).toEqual(new Map([['#0.255', 'a']]));
    await Promise.all([hex.close(), named.close()]);
  });

  it('refuses one key more than maxKeys with resource-exhausted', async () => {
    const kvt = await tableWith({ a: '1', b: '2', c: '3' });
    const table = fx.client.table(kvt, { maxKeys: 2, pollMs: 20 });
    await expect(table.whenReady()).rejects.toMatchObject({ code: 'resource-exhausted' });
    expect(table.size).toBe(2);
    await table.close();
  });
});
