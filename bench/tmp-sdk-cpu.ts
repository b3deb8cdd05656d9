import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { connect, Serializers, wsConstructor } from '@sluice/sdk';
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/tmp-sink.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url: string = await new Promise((r) => child.stdout.once('data', (d) => r(String(d).trim())));
const configs: Record<string, unknown> = {
  unmasked: wsConstructor(WebSocket as any, { maskFrames: false }),
};
const payload = new Uint8Array(10240).fill(120);
const MB = 500;
const n = Math.round((MB * 1e6) / 10240);
for (let round = 0; round < 3; round++) {
  for (const [name, Ctor] of Object.entries(configs)) {
    const client = await connect({ url, WebSocket: Ctor as any });
    const writer = client.writer('s/t', { serializer: Serializers.bytes() });
    const write = async (count: number) => {
      let last: Promise<void> = Promise.resolve();
      for (let i = 0; i < count; i++) {
        last = writer.write(payload, `k${i % 16}`);
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      await last;
    };
    await write(5000);
    const c0 = process.cpuUsage(); const t0 = performance.now();
    await write(n);
    const c = process.cpuUsage(c0); const s = (performance.now() - t0) / 1000;
    console.log(round, name.padEnd(9), ((c.user + c.system) / 1000 / MB).toFixed(3), 'ms CPU/MB', (MB / s).toFixed(0), 'MB/s');
    await writer.close(); await client.close();
  }
}
child.kill();
