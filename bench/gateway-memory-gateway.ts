/**
 * The gateway process of bench/gateway-memory.ts: the real gateway (startGateway, as the CLI
 * starts it, with the CLI's flags) whose segment-store connections pass through a proxy that holds
 * Pravega's acknowledgements back on cue, so every writer can be made to keep its whole window in
 * flight. The proxy only pauses reading its upstream sockets (what is held stays in the kernel),
 * so what this process holds is the gateway's.
 *
 * stdin: `hold` / `release` (answered `held` / `released` on stdout). stdout first: the URL.
 */
import { createInterface } from 'node:readline';
import type { SegmentRef } from '../gateway/src/segmentstore/segment-ref.js';
import { loadConfig } from '../gateway/src/server/config.js';
import { startGateway } from '../gateway/src/server/gateway.js';
import { HoldingProxy } from '../gateway/test/helpers/holding-proxy.js';

const gateway = await startGateway(loadConfig(process.argv.slice(2)));
const segments = gateway.context.segments;
const resolve = segments.endpointFor.bind(segments);
let proxy: HoldingProxy | undefined;
let proxyPort: Promise<number> | undefined;
// The standalone has one segment store: one proxy, started by the first connection.
segments.endpointFor = async (segment: SegmentRef) => {
  const real = await resolve(segment);
  proxy ??= new HoldingProxy(real.host, real.port);
  proxyPort ??= proxy.start();
  return { host: '127.0.0.1', port: await proxyPort };
};
console.log(gateway.url);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'hold') {
    proxy?.hold();
    console.log('held');
  } else if (line === 'release') {
    proxy?.release();
    console.log('released');
  }
}
await gateway.close();
await proxy?.stop();
