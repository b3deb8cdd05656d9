/**
 * Key-value tables through the gateway against the real standalone: the table's lifecycle,
 * conditional writes with typed conflicts, atomic batches within a primary key, and iteration by
 * prefix, range and over all keys in unsigned byte order across partitions.
 */
import { type KeyValueTable, type Serializer, Serializers, SluiceError } from '@sluice/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('kvt');

/** Keys "p:s" of a 4-byte primary and 2-byte secondary key, as raw bytes. */
const key = (primary: string, secondary: string) =>
  new TextEncoder().encode(primary.padEnd(4, '_') + secondary.padEnd(2, '_'));
const text: Serializer<string> = Serializers.utf8();

async function conflictOf(p: Promise<unknown>): Promise<SluiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  expect((err as SluiceError).code).toBe('conflict');
  return err as SluiceError;
}

describe('key-value tables', () => {
  let name: string;
  let kvt: KeyValueTable<Uint8Array, string>;

  beforeAll(async () => {
    name = uniqueName('t');
    expect(
      await fx.client.createKeyValueTable(name, { partitions: 4, primaryKeyLength: 4, secondaryKeyLength: 2 }),
    ).toBe(true);
    kvt = fx.client.keyValueTable(name, { key: Serializers.bytes(), value: text });
  });

  it('creates, lists, describes and deletes tables', async () => {
    const other = uniqueName('t');
    expect(await fx.client.createKeyValueTable(other, { partitions: 2, primaryKeyLength: 8 })).toBe(true);
    expect(await fx.client.createKeyValueTable(other, { partitions: 2, primaryKeyLength: 8 })).toBe(false);
    expect(await fx.client.describeKeyValueTable(other)).toEqual({
      table: `${fx.scope}/${other}`,
      partitions: 2,
      primaryKeyLength: 8,
      secondaryKeyLength: 0,
    });
    expect(await fx.client.listKeyValueTables()).toEqual(expect.arrayContaining([name, other]));
    expect(await fx.client.deleteKeyValueTable(other)).toBe(true);
    expect(await fx.client.listKeyValueTables()).not.toContain(other);
    await expect(fx.client.describeKeyValueTable(other)).rejects.toMatchObject({ code: 'not-found' });
    await expect(fx.client.keyValueTable(other, { key: text, value: text }).get('abcdefgh')).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('puts, gets and removes; insert and replace are conditional with the current version in the conflict', async () => {
    const k = key('put', 'a');
    expect(await kvt.get(k)).toBeUndefined();
    expect(await kvt.exists(k)).toBe(false);
    const v1 = await kvt.insert(k, 'one');
    expect(v1).toMatch(/^\d+:\d+$/);
    expect(await kvt.get(k)).toEqual({ key: k, value: 'one', version: v1 });
    expect(await kvt.exists(k)).toBe(true);

    const taken = await conflictOf(kvt.insert(k, 'again'));
    expect(taken.currentVersion).toBe(v1);

    const v2 = await kvt.replace(k, 'two', v1);
    expect(v2).not.toBe(v1);
    const stale = await conflictOf(kvt.replace(k, 'three', v1));
    expect(stale.currentVersion).toBe(v2);
    expect((await kvt.get(k))?.value).toBe('two');

    await conflictOf(kvt.remove(k, { ifVersion: v1 }));
    await kvt.remove(k, { ifVersion: v2 });
    expect(await kvt.get(k)).toBeUndefined();
    const gone = await conflictOf(kvt.replace(k, 'x', v2));
    expect(gone.currentVersion).toBeUndefined();

    const v3 = await kvt.put(k, 'unconditional');
    expect((await kvt.get(k))?.version).toBe(v3);
  });

  it('refuses keys of the wrong length and mixed primary keys with invalid-argument', async () => {
    await expect(kvt.get(new Uint8Array(5))).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(
      kvt.putAll([
        [key('aaaa', 'x'), '1'],
        [key('bbbb', 'x'), '2'],
      ]),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(
      kvt
        .entries({ prefix: new Uint8Array(7) })
        [Symbol.asyncIterator]()
        .next(),
    ).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });

  it('applies a batch within one primary key all or nothing', async () => {
    const [a, b, c] = [key('bat', 'a'), key('bat', 'b'), key('bat', 'c')];
    const [va, vb] = await kvt.putAll([
      [a, 'A'],
      [b, 'B'],
    ]);
    // One condition fails (c is absent, so its version cannot match): nothing of the batch applies.
    const err = await conflictOf(
      kvt.update([
        { key: a, value: 'A2', ifVersion: va },
        { key: b, value: 'B2', ifVersion: vb },
        { key: c, value: 'C2', ifVersion: vb },
      ]),
    );
    expect(err.currentVersions).toEqual([va, vb, undefined]);
    expect((await kvt.getAll([a, b, c])).map((e) => e?.value)).toEqual(['A', 'B', undefined]);
    const versions = await kvt.update([
      { key: a, value: 'A2', ifVersion: va },
      { key: b, value: 'B2', ifVersion: vb },
      { key: c, value: 'C2', ifVersion: 'absent' },
    ]);
    expect(versions).toHaveLength(3);
    expect((await kvt.getAll([a, b, c])).map((e) => e?.version)).toEqual(versions);
    await kvt.removeAll([a, b, c]);
    expect(await kvt.getAll([a, b, c])).toEqual([undefined, undefined, undefined]);
  });

  it('iterates all, by prefix and by range in unsigned byte order across partitions, resuming from a token', async () => {
    const t = uniqueName('it');
    await fx.client.createKeyValueTable(t, { partitions: 3, primaryKeyLength: 2, secondaryKeyLength: 1 });
    const table = fx.client.keyValueTable(t, { key: Serializers.bytes(), value: text });
    const keys: Uint8Array[] = [];
    for (let p = 0; p < 40; p++) {
      const primary = [p * 6, 255 - p];
      const batch = [0, 7, 200].map((s) => Uint8Array.of(primary[0]!, primary[1]!, s));
      keys.push(...batch);
      await table.putAll(batch.map((k) => [k, `${k.join('.')}`] as const));
    }
    const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');
    const sorted = keys.map(hex).sort();

    const all: string[] = [];
    for await (const e of table.entries({ pageSize: 7 })) {
      expect(e.value).toBe(e.key.join('.'));
      all.push(hex(e.key));
    }
    expect(all).toEqual(sorted);

    const prefix = Uint8Array.of(6 * 5);
    const byPrefix: string[] = [];
    for await (const k of table.keys({ prefix })) byPrefix.push(hex(k.key));
    expect(byPrefix).toEqual(sorted.filter((k) => k.startsWith('1e')));

    const onePrimary: string[] = [];
    for await (const k of table.keys({ prefix: Uint8Array.of(12, 253) })) onePrimary.push(hex(k.key));
    expect(onePrimary).toEqual(['0cfd00', '0cfd07', '0cfdc8']);

    const from = Uint8Array.of(30, 0);
    const to = Uint8Array.of(60, 255);
    const byRange: string[] = [];
    for await (const k of table.keys({ from, to })) byRange.push(hex(k.key));
    expect(byRange).toEqual(sorted.filter((k) => k >= '1e00' && k <= '3cffff'));

    // Stop after 10, then resume from the token: the rest follows, nothing twice.
    const first = table.keys({ pageSize: 4 });
    const head: string[] = [];
    for await (const k of first) {
      head.push(hex(k.key));
      if (head.length === 10) break;
    }
    const rest: string[] = [];
    for await (const k of table.keys({ after: first.continuationToken()!, pageSize: 4 })) rest.push(hex(k.key));
    expect([...head, ...rest]).toEqual(sorted);
  });
});
