/**
 * A child process of P4 (fan-out): `--readers` SDK readers of one stream, `--per-connection` of
 * them on each WebSocket, all from the head. Prints {"ready":n} once every reader is open, then
 * records, for every event with sequence ≥ `--warmup`, now − the event's intended send time
 * (both wall-clock ms; the writer puts the intended time in the event's first 8 bytes and the
 * sequence number in the next 8) in an HdrHistogram. When every reader has seen `--total`
 * events it prints {"done":true,"histogram":<compressed base64>,"events":n} and waits for stdin
 * to close. Run: node --import tsx bench/workloads/p4-subscribers.ts --url … --scope … --stream …
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Serializers, type SluiceClient } from '@sluice/sdk';
import * as hdr from 'hdr-histogram-js';
import { connectSdk } from '../../gateway/test/helpers/sdk.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    scope: { type: 'string' },
    stream: { type: 'string' },
    readers: { type: 'string', default: '500' },
    'per-connection': { type: 'string', default: '100' },
    total: { type: 'string' },
    warmup: { type: 'string', default: '0' },
  },
});
const readers = Number(values.readers);
const perConnection = Number(values['per-connection']);
const total = Number(values.total);
const warmup = Number(values.warmup);
const now = () => performance.timeOrigin + performance.now();

const histogram = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 300_000_000,
  numberOfSignificantValueDigits: 3,
});
const clients: SluiceClient[] = [];
for (let i = 0; i < Math.ceil(readers / perConnection); i++) clients.push(await connectSdk(values.url!, values.scope!));
const all = Array.from({ length: readers }, (_, i) =>
  clients[Math.floor(i / perConnection)]!.reader(values.stream!, { serializer: Serializers.bytes(), from: 'head' }),
);
await Promise.all(all.map((r) => r.ready()));
console.log(JSON.stringify({ ready: readers }));

let events = 0;
await Promise.all(
  all.map(async (reader) => {
    const it = reader[Symbol.asyncIterator]();
    for (let seen = 0; seen < total; seen++) {
      const r = await it.next();
      if (r.done) throw new Error('a reader ended early');
      const view = new DataView(r.value.value.buffer, r.value.value.byteOffset, 16);
      if (view.getFloat64(8) >= warmup)
        histogram.recordValue(Math.max(1, Math.round((now() - view.getFloat64(0)) * 1000)));
      events++;
    }
  }),
);
console.log(JSON.stringify({ done: true, events, histogram: hdr.encodeIntoCompressedBase64(histogram) }));
// Hold the readers (and the gateway's subscriptions) until the parent has read its metrics.
for await (const _ of createInterface({ input: process.stdin })) {
  // ignore
}
await Promise.all(clients.map((c) => c.close()));
process.exit(0);
