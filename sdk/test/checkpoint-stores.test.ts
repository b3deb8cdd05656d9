/** The checkpoint stores: atomic replace, corrupt data refused, IndexedDB (fake-indexeddb in Node). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Checkpoint, type CheckpointStore, checkpointStores, indexedDbStore } from '@sluice/sdk';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';

const cp = (id: number): Checkpoint => ({
  id,
  position: { streams: [{ stream: 's/t', segments: [['4294967297', String(100 * id)]], future: [['9', ['1', '2']]] }] },
  state: { count: id, nested: { ok: true } },
  txn: { stream: 's/u', txnId: '00000000-0000-0000-0000-000000000001' },
  savedAt: new Date(0).toISOString(),
});

const stores: Array<[string, () => CheckpointStore]> = [
  ['memory', () => checkpointStores.memory()],
  ['file', () => checkpointStores.file(mkdtempSync(join(tmpdir(), 'sluice-cp-')))],
  ['indexedDb', () => indexedDbStore(`db-${Math.random()}`, new IDBFactory())],
];

describe.each(stores)('%s store', (_name, make) => {
  it('returns nothing before the first save, then the latest checkpoint', async () => {
    const store = make();
    expect(await store.load('job')).toBeUndefined();
    await store.save('job', cp(1));
    await store.save('job', cp(2));
    expect(await store.load('job')).toEqual(cp(2));
    expect(await store.load('other')).toBeUndefined();
  });
});

describe('corrupt checkpoints', () => {
  it('file: a half-written or foreign file is an error, not a fresh start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cp-'));
    writeFileSync(join(dir, 'job.checkpoint.json'), '{"id":1,"position":');
    await expect(checkpointStores.file(dir).load('job')).rejects.toMatchObject({ code: 'invalid-argument' });
    writeFileSync(join(dir, 'job.checkpoint.json'), '{"id":1,"savedAt":"x","position":{"nope":1}}');
    await expect(checkpointStores.file(dir).load('job')).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
