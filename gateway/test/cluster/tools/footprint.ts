/**
 * Measures a running cluster's memory under a write burst (the figures in docs/clusters.md):
 * through an in-process gateway, writes `events` events of 10 KB over 12 segments, reads them all
 * back, sampling every JVM's RSS each second; prints the peak per process and their sum.
 *   node --import tsx gateway/test/cluster/tools/footprint.ts [--name default] [--events 30000]
 */
import { parseArgs } from 'node:util';
import { Serializers } from '@sluice/sdk';
import { attachCluster, clusterDir } from '../../../../scripts/cluster-lib.mjs';
import { startTestGateway } from '../../helpers/in-process-gateway.js';
import { uniqueName } from '../../helpers/names.js';
import { connectSdk } from '../../helpers/sdk.js';

const { values } = parseArgs({ options: { name: { type: 'string' }, events: { type: 'string' } } });
const events = Number(values.events ?? 30_000);
const cluster = attachCluster(clusterDir({ name: values.name ?? 'default' }), { log: () => {} });
process.env.PRAVEGA_CONTROLLER_URI = cluster.controllerUri;
const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

const peak = new Map<string, number>();
const sample = async () => {
  for (const p of await cluster.status()) peak.set(p.name, Math.max(peak.get(p.name) ?? 0, p.rssBytes ?? 0));
};
await sample();
console.log(`idle: ${[...peak].map(([name, rss]) => `${name} ${mb(rss)}`).join(', ')}`);
const sampler = setInterval(() => void sample(), 1000);

const gateway = await startTestGateway();
const scope = uniqueName('footprint');
const client = await connectSdk(gateway.url, scope);
try {
  await client.createScope(scope);
  await client.createStream('burst', { scaling: { type: 'fixed', segments: 12 } });
  const started = Date.now();
  const writer = client.writer('burst', { serializer: Serializers.bytes() });
  const payload = new Uint8Array(10_000).fill(7);
  let acks: Promise<void>[] = [];
  for (let i = 0; i < events; i++) {
    acks.push(writer.write(payload, `k${i % 100}`));
    if (acks.length >= 2_000) {
      await Promise.all(acks);
      acks = [];
    }
  }
  await Promise.all(acks);
  await writer.close();
  console.log(`wrote ${(events * payload.length) / 1e6} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const reader = client.reader('burst', { serializer: Serializers.bytes(), from: 'head' });
  let read = 0;
  for await (const _ of reader) if (++read === events) break;
  await reader.close();
  console.log(`read them back in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  clearInterval(sampler);
  await client.close();
  await gateway.close();
}
await sample();
const total = [...peak.values()].reduce((a, b) => a + b, 0);
console.log(`peak RSS: ${[...peak].map(([name, rss]) => `${name} ${mb(rss)}`).join(', ')}; sum ${mb(total)}`);
