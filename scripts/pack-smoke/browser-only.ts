// Browser and worker programs get the isomorphic declarations: IndexedDB, no file store.
import { checkpointStores } from '@sluice/sdk';

export const store = checkpointStores.indexedDb('dashboard');
// @ts-expect-error the file store is in the Node entry only
export const file = checkpointStores.file;
