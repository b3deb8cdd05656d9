/**
 * The SDK writer's own CPU per MB, with neither gateway nor Pravega in the way: the writer sends
 * to a sink (bench/sdk-sink.ts, another process) that acknowledges each frame at once, so what
 * this process spends is the SDK's work and its socket's. One row per WebSocket set-up and
 * round, the set-ups interleaved; a diagnostic for the client side of P1/P2, not a goal.
 *
 *   node --import tsx bench/sdk-writer-cpu.ts [--mb 500] [--size 10240] [--rounds 5]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { connect, Serializers, type WebSocketConstructor, wsConstructor } from '@sluice/sdk';
import WebSocket from 'ws';
import { positiveInteger } from './cli-args.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    size: { type: 'string', default: '10240' },
    rounds: { type: 'string', default: '5' },
  },
});
const mb = positiveInteger('--mb', values.mb);
const size = positiveInteger('--size', values.size);
const rounds = positiveInteger('--rounds', values.rounds);

const Unmasked = wsConstructor(WebSocket, { maskFrames: false });
/** Unmasked, but without `sendAndRelease`: every frame in a new buffer (what reuse saves). */
const UnmaskedNoReuse = function UnmaskedNoReuse(url: string, protocols?: string | string[]) {
  const socket = new Unmasked(url, protocols);
  delete socket.sendAndRelease;
  return socket;
} as unknown as WebSocketConstructor;

const setups: Record<string, WebSocketConstructor> = {
  'ws as is': WebSocket as unknown as WebSocketConstructor,
  'wsConstructor (masked)': wsConstructor(WebSocket),
  'wsConstructor, maskFrames: false, no buffer reuse': UnmaskedNoReuse,
  'wsConstructor, maskFrames: false': Unmasked,
};

const sink = spawn(process.execPath, ['--import', 'tsx', new URL('./sdk-sink.ts', import.meta.url).pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const url = await new Promise<string>((resolve, reject) => {
    sink.once('exit', (code) => reject(new Error(`the sink exited with ${code}`)));
    sink.stdout.once('data', (chunk) => resolve(String(chunk).trim()));
  });
  const payload = new Uint8Array(size).fill(120);
  const count = Math.round((mb * 1e6) / size);
  const results = new Map<string, number[]>();
  console.log(`[sdk-writer-cpu] ${count} events of ${size} B (${mb} MB) per phase, ${rounds} rounds`);
  for (let round = 1; round <= rounds; round++) {
    for (const [name, Ctor] of Object.entries(setups)) {
      const client = await connect({ url, WebSocket: Ctor });
      const writer = client.writer('bench/sink', { serializer: Serializers.bytes() });
      // As the P1/P2 workload does: write without awaiting each, yield now and then.
      const writeAll = async (n: number) => {
        let last: Promise<void> = Promise.resolve();
        for (let i = 0; i < n; i++) {
          last = writer.write(payload, `key-${i % 16}`);
          if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
        }
        await last;
      };
      await writeAll(Math.min(count, 5_000)); // warm-up, untimed
      const cpu = process.cpuUsage();
      const started = performance.now();
      await writeAll(count);
      const used = process.cpuUsage(cpu);
      const msPerMB = (used.user + used.system) / 1000 / mb;
      const mbPerSec = mb / ((performance.now() - started) / 1000);
      console.log(
        `[sdk-writer-cpu] round ${round} ${name}: ${msPerMB.toFixed(2)} ms CPU per MB, ${mbPerSec.toFixed(0)} MB/s`,
      );
      results.set(name, [...(results.get(name) ?? []), msPerMB]);
      await writer.close();
      await client.close();
    }
  }
  const warmFrom = rounds >= 3 ? 1 : 0;
  console.log(`[sdk-writer-cpu] medians over rounds ${warmFrom + 1}–${rounds}, ms CPU per MB:`);
  for (const [name, list] of results)
    console.log(`[sdk-writer-cpu]   ${name}: ${median(list.slice(warmFrom)).toFixed(2)}`);
} finally {
  sink.kill();
}
