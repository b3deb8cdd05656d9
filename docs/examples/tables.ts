/**
 * The examples of docs/tables.md, verbatim: type-checked with the SDK's tests and run against a
 * real gateway by sdk/test/tables/docs-examples.test.ts (which also checks that every code block
 * of the page is here).
 */
import {
  type CheckpointStore,
  type KeyValueTable,
  type LiveTable,
  type LiveTableChange,
  type Serializer,
  Serializers,
  type SluiceClient,
  SluiceError,
} from '@sluice/sdk';

// --- example: create
export async function createDevices(client: SluiceClient): Promise<void> {
  // 4 partitions; keys of exactly 8 bytes (a primary key, no secondary key).
  await client.createKeyValueTable('devices', { partitions: 4, primaryKeyLength: 8 });
  console.log(await client.listKeyValueTables()); // [ 'devices', … ]
  console.log(await client.describeKeyValueTable('devices'));
  // { table: 'demo/devices', partitions: 4, primaryKeyLength: 8, secondaryKeyLength: 0 }
}
// --- end

// --- example: key
/** Device ids of up to 8 ASCII characters, padded with '_' to the table's 8 bytes. */
export const deviceId: Serializer<string> = {
  serialize: (id) => new TextEncoder().encode(id.padEnd(8, '_')),
  deserialize: (bytes) => new TextDecoder().decode(bytes).replace(/_+$/, ''),
};
// --- end

// --- example: conditional
interface Device {
  name: string;
  firmware: string;
}

export async function renameDevice(client: SluiceClient): Promise<string> {
  const devices = client.keyValueTable('devices', { key: deviceId, value: Serializers.json<Device>() });
  await devices.insert('d-1', { name: 'boiler', firmware: '1.0' }); // only if absent
  for (;;) {
    const entry = await devices.get('d-1'); // { key, value, version } | undefined
    if (!entry) throw new Error('d-1 is gone');
    try {
      // Applies only if nobody changed d-1 since we read it.
      return await devices.replace('d-1', { ...entry.value, name: 'boiler (cellar)' }, entry.version);
    } catch (err) {
      // Someone else won: err.currentVersion is d-1's version now. Read again and retry.
      if (err instanceof SluiceError && err.code === 'conflict') continue;
      throw err;
    }
  }
}
// --- end

// --- example: batch
export async function orderLines(client: SluiceClient): Promise<void> {
  // Primary key: the order (8 bytes); secondary key: the line (2 bytes).
  await client.createKeyValueTable('orders', { partitions: 2, primaryKeyLength: 8, secondaryKeyLength: 2 });
  const orders: KeyValueTable<Uint8Array, string> = client.keyValueTable('orders', {
    key: Serializers.bytes(),
    value: Serializers.utf8(),
  });
  const line = (order: string, n: number) => {
    const key = new Uint8Array(10);
    key.set(new TextEncoder().encode(order.padEnd(8, '_')));
    key[8] = n >> 8;
    key[9] = n & 0xff;
    return key;
  };
  // Both lines or neither: one primary key, one partition, one Pravega update.
  await orders.putAll([
    [line('o-17', 1), '2 × coffee'],
    [line('o-17', 2), '1 × tea'],
  ]);
  // Every line of order o-17, in key order:
  for await (const e of orders.entries({ prefix: new TextEncoder().encode('o-17____') })) {
    console.log(e.key[9], e.value, e.version);
  }
}
// --- end

// --- example: iterate
export async function listDevices(client: SluiceClient, after?: string): Promise<string | undefined> {
  const devices = client.keyValueTable('devices', { key: deviceId, value: Serializers.json<Device>() });
  const page = devices.entries({ prefix: new TextEncoder().encode('d-'), pageSize: 100, ...(after ? { after } : {}) });
  let shown = 0;
  for await (const { key, value } of page) {
    console.log(key, value.name);
    if (++shown === 20) break;
  }
  return page.continuationToken(); // pass it as `after` to show the next 20
}
// --- end

// --- example: live
interface Reading {
  sensor: string;
  celsius: number | null; // null: the sensor was removed (a tombstone)
}

export async function sensorBoard(client: SluiceClient, checkpoints: CheckpointStore): Promise<Map<string, Reading>> {
  const table = client.table('sensors', {
    key: (ev) => ev.value.sensor,
    serializer: Serializers.json<Reading>(),
    isTombstone: (ev) => ev.value.celsius === null,
    checkpoints, // e.g. indexedDbStore() in a browser: the table and the position in one transaction
    maxKeys: 10_000,
  });
  await table.whenReady(); // restored from the last checkpoint, if any: nothing is read twice
  const board = table.snapshot();
  for await (const change of table.changes()) {
    if (change.type === 'put') board.set(change.key, change.value);
    else board.delete(change.key);
    if (board.size >= 3) break;
  }
  await table.checkpoint();
  await table.close();
  return board;
}
// --- end

// --- example: live-kvt
export async function deviceBoard(client: SluiceClient): Promise<LiveTable<Device>> {
  const devices = client.keyValueTable('devices', { key: deviceId, value: Serializers.json<Device>() });
  // The keys under "d-": a snapshot by iteration, then every change that polling finds.
  const board = client.table(devices, { prefix: new TextEncoder().encode('d-'), pollMs: 500 });
  await board.whenReady(); // the snapshot is in
  console.log(board.size, board.get('d-1')?.name);
  return board;
}

/** A view of any live table: it cannot tell a stream's from a key-value table's. */
export async function nextChange<T>(table: LiveTable<T>): Promise<LiveTableChange<T> | undefined> {
  for await (const change of table.changes()) return change;
  return undefined; // the table was closed
}
// --- end
