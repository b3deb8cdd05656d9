/**
 * One phase of L1 in a process of its own (run with --expose-gc, so the heap can be measured after
 * a full collection): catches up on `--stream` from its head, either with a plain SDK reader or by
 * building a live table (latest value per key) until it has applied `--events`.
 * Prints one JSON line: events, bytes, seconds, and the heap that the phase left behind (heapUsed
 * after GC, minus before), with the table still held. Every mode reads from the head with no end
 * bound, as a live table's reader does. Events are "k<key>|<seq>|…" (the writer in
 * live-table-catchup.ts); the table's contents are checked against the last seq of every key.
 *   node --expose-gc --import tsx bench/workloads/live-table-child.ts --url … --scope … --stream …
 *        --events N --keys K --mode reader|table|map [--warmup W]   (map: a diagnostic, a bare Map fed by the reader)
 */
import { parseArgs } from 'node:util';
import { Serializers } from '@sluice/sdk';
import { connectSdk } from '../../gateway/test/helpers/sdk.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    scope: { type: 'string' },
    stream: { type: 'string' },
    events: { type: 'string' },
    keys: { type: 'string' },
    mode: { type: 'string' },
    warmup: { type: 'string', default: '20000' },
  },
});
const events = Number(values.events);
const keys = Number(values.keys);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const keyOf = (value: string) => value.slice(0, value.indexOf('|'));

const client = await connectSdk(values.url!, values.scope!, { maskFrames: false });
const stream = values.stream!;
const { tail } = await client.streamInfo(stream);
// Untimed, the same for both modes: the connection, the stream's segments, the JIT of the read path.
const warm = client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to: tail });
let n = 0;
for await (const _ of warm) if (++n >= Number(values.warmup)) break;
await warm.close();

const before = heap();
const started = performance.now();
let bytes = 0;
let applied = 0;
let held: unknown;
if (values.mode === 'reader' || values.mode === 'map') {
  // As the table's reader: from the head with no end, until it has read them all.
  const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
  // map (a diagnostic): the same reader keeping the latest value per key in a bare Map.
  const map = values.mode === 'map' ? new Map<string, string>() : undefined;
  for await (const ev of reader) {
    bytes += ev.value.length; // ASCII: one byte per character
    map?.set(keyOf(ev.value), ev.value);
    if (++applied === events) break;
  }
  await reader.close();
  held = map;
} else {
  const table = client.table(stream, {
    serializer: Serializers.utf8(),
    key: (ev) => keyOf(ev.value),
    maxKeys: keys,
    checkpointEveryMs: 0,
  });
  await table.whenReady();
  // The table has no end: wait (in steps of 5 ms, small next to the phase) until it applied them all.
  while (table.eventsApplied < events) await new Promise((r) => setTimeout(r, 5));
  applied = table.eventsApplied;
  held = table;
}
const seconds = (performance.now() - started) / 1000;
const after = heap();
if (applied !== events) throw new Error(`L1 ${values.mode}: ${applied} events, expected ${events}`);
if (held && !(held instanceof Map)) {
  const table = held as { size: number; snapshot(): Map<string, string>; close(): Promise<void> };
  if (table.size !== keys) throw new Error(`L1 table: ${table.size} keys, expected ${keys}`);
  for (const [key, value] of table.snapshot()) {
    const k = Number(key.slice(1));
    const last = k + keys * Math.floor((events - 1 - k) / keys);
    if (Number(value.split('|')[1]) !== last)
      throw new Error(`L1 table: ${key} holds ${value.slice(0, 30)}, not seq ${last}`);
  }
  bytes = events * (table.snapshot().get('k0')?.length ?? 0);
  await table.close();
}
console.log(JSON.stringify({ events: applied, bytes, seconds, heapDeltaBytes: after - before }));
await client.close();
process.exit(0);
