/**
 * Dev-time recorder of golden wire bytes (not part of the test run; its output is committed).
 *
 *   node --import tsx gateway/test/wire/record/record.ts
 *
 * Starts a private Pravega standalone whose segment store listens on one port but publishes
 * another, where a recording proxy sits: Pravega's Java client (the interop peer) and the
 * controller both reach the segment store through it. The Java peer writes, reads, routes; every
 * frame in both directions is split out and the first samples of each command type are written
 * to gateway/test/wire/fixtures/recorded.json as hex.
 */
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { javaPeer } from '../../../../interop/test/java-peer.js';
import { startPravega } from '../../../../scripts/pravega-lib.mjs';
import { COMMANDS } from '../../../src/wire/index.js';

const LISTEN = 22445;
const PUBLISHED = 22446;
const CONTROLLER = 19190;
const SAMPLES_PER_COMMAND = 3;
const MAX_SAMPLE_BYTES = 4096;

const names = new Map(Object.entries(COMMANDS).map(([name, spec]) => [spec.code as number, name]));
const samples = new Map<string, Array<{ direction: string; hex: string }>>();

function splitter(direction: 'client→server' | 'server→client') {
  let buf = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const type = buf.readInt32BE(0);
      const len = buf.readInt32BE(4);
      if (buf.length < 8 + len) break;
      const frame = buf.subarray(0, 8 + len);
      buf = buf.subarray(8 + len);
      const name = names.get(type) ?? `unknown(${type})`;
      const list = samples.get(name) ?? [];
      if (list.length < SAMPLES_PER_COMMAND && frame.length <= MAX_SAMPLE_BYTES) {
        list.push({ direction, hex: frame.toString('hex') });
        samples.set(name, list);
      }
    }
  };
}

const proxy = createServer((client) => {
  const upstream = connect(LISTEN, '127.0.0.1');
  const up = splitter('client→server');
  const down = splitter('server→client');
  client.on('data', (d) => {
    up(d);
    upstream.write(d);
  });
  upstream.on('data', (d) => {
    down(d);
    client.write(d);
  });
  client.on('error', () => upstream.destroy()).on('close', () => upstream.destroy());
  upstream.on('error', () => client.destroy()).on('close', () => client.destroy());
});
await new Promise<void>((r) => proxy.listen(PUBLISHED, '127.0.0.1', () => r()));

const pravega = await startPravega({
  name: 'recorder',
  controllerPort: CONTROLLER,
  segmentStorePort: LISTEN,
  zkPort: 14100,
  jvmArgs: [`-Dpravegaservice.service.published.port=${PUBLISHED}`],
  log: (l: string) => console.log(`[pravega] ${l}`),
});
const controller = `tcp://127.0.0.1:${CONTROLLER}`;
try {
  const common = ['--controller', controller, '--scope', 'rec'];
  await javaPeer(['create-stream', ...common, '--stream', 's', '--segments', '2']);
  await javaPeer(['write', ...common, '--stream', 's', '--count', '20', '--keys', '3', '--prefix', 'rec']);
  await javaPeer(['read', ...common, '--stream', 's', '--expect', '20', '--drain-ms', '500']);
  await javaPeer(['route', ...common, '--stream', 's', '--count', '3']);
} finally {
  await pravega.stop();
  proxy.close();
}
const out = Object.fromEntries([...samples].sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(new URL('../fixtures/recorded.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(
  `recorded ${[...samples.values()].reduce((n, l) => n + l.length, 0)} frames of ${samples.size} command types: ${[...samples.keys()].join(', ')}`,
);
