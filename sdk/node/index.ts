/**
 * The SDK's Node entry (picked by the "node" export condition): everything of the isomorphic
 * entry, plus the checkpoint store that needs a file system.
 */
import { indexedDbStore } from '../src/checkpoints/indexeddb-store.js';
import { memoryStore } from '../src/checkpoints/store.js';
import { fileStore } from './file-store.js';

export * from '../src/index.js';
export { fileStore };

export const checkpointStores = {
  memory: memoryStore,
  file: fileStore,
  indexedDb: indexedDbStore,
};
export { type WsClass, type WsConstructorOptions, wsConstructor } from './ws-constructor.js';
