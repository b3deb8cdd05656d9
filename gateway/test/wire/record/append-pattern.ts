/**
 * Dev-time tool: what the Java writer and the gateway put on the wire for P2's workload
 * (10 KiB events over 100 keys into a 4-segment stream), side by side.
 *
 *   node --import tsx gateway/test/wire/record/append-pattern.ts [events]
 *
 * Starts a private standalone (controller 19390, segment store 22645 published as 22646, ZooKeeper
 * 14300) behind a proxy on the published port, so both clients reach the segment store through
 * it, and prints per run: connections, appends, block sizes, events per block, the bytes each
 * writer had unacknowledged when it sent, how long acknowledgements took, and the CPU seconds of
 * the segment store JVM, the Java peer (JVM start included), the gateway and this process.
 * Environment: PATTERN_NO_PROXY=1 (direct, CPU only), PATTERN_ROUNDS (default 2),
 * PATTERN_GATEWAY_ARGS (e.g. '--max-inflight-bytes 33554432'), PATTERN_GATEWAY_NODE (an
 * executable run instead of node for the gateway, e.g. a script adding --cpu-prof).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { sluiceWrite } from '../../../../bench/workloads/sluice-write.js';
import { javaPeer } from '../../../../interop/test/java-peer.js';
import { startPravega } from '../../../../scripts/pravega-lib.mjs';
import { GatewayProcess } from '../../helpers/gateway-process.js';
import { connectSdk } from '../../helpers/sdk.js';

const LISTEN = 22645;
const PUBLISHED = 22646;
const CONTROLLER = 19390;
const EVENTS = Number(process.argv[2] ?? 10_000);
/** PATTERN_NO_PROXY=1: clients reach the segment store directly (CPU figures only, no wire stats). */
const NO_PROXY = process.env.PATTERN_NO_PROXY === '1';
const TICK_MS = 10; // USER_HZ = 100

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * TICK_MS) / 1000;
  } catch {
    return 0;
  }
}
/** Polls for the Java peer running `bench-write` on `stream` and remembers its last CPU reading. */
function watchJavaPeer(stream: string): { stop(): number } {
  let last = 0;
  const poll = () => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (cmd.includes('bench-write') && cmd.includes(`${stream}\0`)) last = Math.max(last, cpuOf(Number(d)));
      } catch {}
    }
  };
  const timer = setInterval(poll, 50);
  return {
    stop() {
      clearInterval(timer);
      return last;
    },
  };
}

interface Sent {
  at: number;
  bytes: number;
  numEvents: number;
  last: bigint;
  outstandingBefore: number;
}
interface WriterStats {
  conn: number;
  sent: Sent[];
  acked: bigint;
  outstanding: number;
  ackDelays: number[];
}
let writers = new Map<string, WriterStats>();
let appendBlocks: number[] = [];
let connections = 0;
let paddingOrPartial = 0;

function uuid(b: Buffer, at: number): string {
  return b.subarray(at, at + 16).toString('hex');
}

function watch(conn: number, direction: 'up' | 'down') {
  // Chunks are joined once per frame (joining on every chunk is quadratic in the frame size).
  let chunks: Buffer[] = [];
  let held = 0;
  let openBlock = 0;
  return (chunk: Buffer) => {
    chunks.push(chunk);
    held += chunk.length;
    for (;;) {
      if (held < 8) break;
      if (chunks[0]!.length < 8) chunks = [Buffer.concat(chunks)];
      const type = chunks[0]!.readInt32BE(0);
      const len = chunks[0]!.readInt32BE(4);
      if (held < 8 + len) break;
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const f = buf.subarray(8, 8 + len);
      const rest = buf.subarray(8 + len);
      chunks = rest.length > 0 ? [rest] : [];
      held = rest.length;
      const now = performance.now();
      if (direction === 'up' && type === 3) {
        openBlock = len - 16;
        appendBlocks.push(openBlock);
        // Padding (-1) / PartialEvent (-2) frames inside the block.
        let at = 16;
        while (at + 8 <= f.length) {
          const t = f.readInt32BE(at);
          if (t < 0) paddingOrPartial++;
          at += 8 + f.readInt32BE(at + 4);
        }
      } else if (direction === 'up' && type === 4) {
        const id = uuid(f, 0);
        const dataLen = f.readInt32BE(20);
        const numEvents = f.readInt32BE(24 + dataLen);
        const last = f.readBigInt64BE(28 + dataLen);
        const w = writers.get(id) ?? { conn, sent: [], acked: 0n, outstanding: 0, ackDelays: [] };
        writers.set(id, w);
        const bytes = openBlock + dataLen;
        openBlock = 0;
        w.sent.push({ at: now, bytes, numEvents, last, outstandingBefore: w.outstanding });
        w.outstanding += bytes;
      } else if (direction === 'down' && type === 7) {
        const w = writers.get(uuid(f, 0));
        const n = f.readBigInt64BE(16);
        if (!w) continue;
        for (const s of w.sent) {
          if (s.last > w.acked && s.last <= n) {
            w.ackDelays.push(now - s.at);
            w.outstanding -= s.bytes;
          }
        }
        w.acked = n;
      }
    }
  };
}

const proxy = createServer((client) => {
  const conn = ++connections;
  const upstream = connect(LISTEN, '127.0.0.1');
  const up = watch(conn, 'up');
  const down = watch(conn, 'down');
  client.on('data', (d) => {
    up(d);
    if (!upstream.write(d)) {
      client.pause();
      upstream.once('drain', () => client.resume());
    }
  });
  upstream.on('data', (d) => {
    down(d);
    if (!client.write(d)) {
      upstream.pause();
      client.once('drain', () => upstream.resume());
    }
  });
  client.on('error', () => upstream.destroy()).on('close', () => upstream.destroy());
  upstream.on('error', () => client.destroy()).on('close', () => client.destroy());
});
if (!NO_PROXY) await new Promise<void>((r) => proxy.listen(PUBLISHED, '127.0.0.1', () => r()));

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10 : 0;
};
function report(name: string, ms: number, cpu: Record<string, number>): void {
  const all = [...writers.values()];
  const sent = all.flatMap((w) => w.sent);
  const bytes = sent.map((s) => s.bytes);
  const total = bytes.reduce((a, b) => a + b, 0);
  console.log(
    JSON.stringify({
      run: name,
      wallS: Math.round(ms) / 1000,
      cpuS: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 100) / 100])),
      mbPerSec: Math.round((total / 1e6 / (ms / 1000)) * 10) / 10,
      writers: all.length,
      connectionsUsed: new Set(all.map((w) => w.conn)).size,
      appendBlockEnds: sent.length,
      appendBlocks: appendBlocks.length,
      paddingOrPartialFrames: paddingOrPartial,
      blockBytes: { p10: q(bytes, 0.1), p50: q(bytes, 0.5), p90: q(bytes, 0.9), max: q(bytes, 1) },
      eventsPerBlock: {
        p50: q(
          sent.map((s) => s.numEvents),
          0.5,
        ),
        max: q(
          sent.map((s) => s.numEvents),
          1,
        ),
      },
      unackedBytesAtSend: {
        p50: q(
          sent.map((s) => s.outstandingBefore),
          0.5,
        ),
        p90: q(
          sent.map((s) => s.outstandingBefore),
          0.9,
        ),
        max: q(
          sent.map((s) => s.outstandingBefore),
          1,
        ),
      },
      ackMs: {
        p50: q(
          all.flatMap((w) => w.ackDelays),
          0.5,
        ),
        p90: q(
          all.flatMap((w) => w.ackDelays),
          0.9,
        ),
        max: q(
          all.flatMap((w) => w.ackDelays),
          1,
        ),
      },
    }),
  );
}
function reset(): void {
  writers = new Map();
  appendBlocks = [];
  paddingOrPartial = 0;
}

const pravega = await startPravega({
  name: 'append-pattern',
  controllerPort: CONTROLLER,
  segmentStorePort: LISTEN,
  zkPort: 14300,
  jvmArgs: NO_PROXY ? [] : [`-Dpravegaservice.service.published.port=${PUBLISHED}`],
  extraProps: { 'pravegaservice.cache.size.max': String(1024 ** 3) },
  log: (l: string) => console.log(`[pravega] ${l}`),
});
const controller = `tcp://127.0.0.1:${CONTROLLER}`;
const scope = 'pattern';
const gatewayArgs = (process.env.PATTERN_GATEWAY_ARGS ?? '').split(' ').filter(Boolean);
// PATTERN_GATEWAY_NODE=<executable>: runs the gateway with it (e.g. a script adding --cpu-prof).
const realNode = process.execPath;
if (process.env.PATTERN_GATEWAY_NODE) process.execPath = process.env.PATTERN_GATEWAY_NODE;
const gateway = await GatewayProcess.start([
  ...['--controller', controller, '--scope', scope, '--log-level', 'warn'],
  ...gatewayArgs,
]);
process.execPath = realNode;
try {
  const client = await connectSdk(gateway.url, scope);
  await client.createScope(scope);
  const rounds = Number(process.env.PATTERN_ROUNDS ?? 2);
  for (let round = 1; round <= rounds; round++) {
    const js = `java${round}`;
    await javaPeer(['create-stream', '--controller', controller, '--scope', scope, '--stream', js, '--segments', '4']);
    reset();
    let t = performance.now();
    let ss0 = cpuOf(pravega.pid);
    const peer = watchJavaPeer(js);
    const lines = await javaPeer(
      [
        'bench-write',
        ...['--controller', controller, '--scope', scope, '--stream', js],
        ...['--count', String(EVENTS), '--size', '10240', '--keys', '100', '--warmup', '0'],
      ],
      { timeoutMs: 600_000 },
    );
    report(`java (its own MB/s ${(lines.at(-1) as { mbPerSec: number }).mbPerSec.toFixed(1)})`, performance.now() - t, {
      segmentStoreJvm: cpuOf(pravega.pid) - ss0,
      javaClientIncludingJvmStart: peer.stop(),
    });
    const ss = `sluice${round}`;
    await client.createStream(ss, { scaling: { type: 'fixed', segments: 4 } });
    await sluiceWrite(client, ss, { count: 100, size: 10240, keys: 100, warmup: 0 });
    reset();
    t = performance.now();
    ss0 = cpuOf(pravega.pid);
    const gw0 = cpuOf(gateway.pid);
    const me0 = process.cpuUsage();
    await sluiceWrite(client, ss, { count: EVENTS, size: 10240, keys: 100, warmup: 0 });
    const me = process.cpuUsage(me0);
    report('sluice', performance.now() - t, {
      segmentStoreJvm: cpuOf(pravega.pid) - ss0,
      gateway: cpuOf(gateway.pid) - gw0,
      sdkClientAndProxy: (me.user + me.system) / 1e6,
    });
  }
  await client.close();
} finally {
  await gateway.stop();
  await pravega.stop();
  if (!NO_PROXY) proxy.close();
}
