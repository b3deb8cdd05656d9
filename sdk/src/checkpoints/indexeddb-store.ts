/**
 * Checkpoints in IndexedDB (browsers), through idb-keyval. A checkpoint — position, user state
 * and the pending transaction id — is one value written in one IndexedDB transaction opened with
 * durability 'strict', so it is on disk before save() resolves and never half-written.
 */
import { get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { SluiceError } from '../errors.js';
import { type CheckpointStore, parseCheckpoint } from './store.js';

function strictStore(dbName: string, storeName: string, factory: IDBFactory): UseStore {
  const request = factory.open(dbName);
  request.onupgradeneeded = () => request.result.createObjectStore(storeName);
  const db = promisifyRequest<IDBDatabase>(request);
  return (mode, callback) =>
    db.then((d) => callback(d.transaction(storeName, mode, { durability: 'strict' }).objectStore(storeName)));
}

/**
 * The runtime's `IDBFactory`, spelled so that the published declarations need no DOM lib: a
 * program without IndexedDB's types (Node with only @types/node) sees `unknown` instead.
 */
export type IndexedDbFactory = typeof globalThis extends { indexedDB: infer F } ? F : unknown;

/** `name` is the IndexedDB database; `indexedDB` may be injected (tests: fake-indexeddb). */
export function indexedDbStore(name = 'sluice-checkpoints', factory?: IndexedDbFactory): CheckpointStore {
  const idb = (factory as IDBFactory | undefined) ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb)
    throw new SluiceError(
      'invalid-argument',
      'this runtime has no IndexedDB: use checkpointStores.memory() or .file(dir)',
    );
  const store = strictStore(name, 'checkpoints', idb);
  return {
    async load(key) {
      const value: unknown = await get(key, store);
      return value === undefined ? undefined : parseCheckpoint(value, `IndexedDB ${name}/${key}`);
    },
    async save(key, checkpoint) {
      await set(key, structuredClone(checkpoint), store);
    },
  };
}
