/**
 * The gateway's peak memory with many writers each holding their maximum in flight, against the
 * real standalone. One gateway process (bench/gateway-memory-gateway.ts: the real gateway, with a
 * proxy in front of the segment store that can hold Pravega's acknowledgements back); N SDK
 * clients in this process, one session and one writer each.
 *
 * 1. Every writer opens (one event each, acknowledged), then Pravega's acknowledgements are held.
 * 2. Every writer is handed its whole window (the gateway's --max-inflight-bytes, 8 MiB by default)
 *    at once: together they want N × 8 MiB in flight, and nothing is acknowledged, so each keeps
 *    its maximum outstanding. The gateway takes what its budget (--max-inflight-bytes-total)
 *    allows and pushes back the rest.
 * 3. Once the gateway's in-flight bytes stopped growing (steady for 2 s), its memory is read;
 *    then the acknowledgements are released, everything completes, and the stream's tail is
 *    checked against what was written.
 *
 * Reported: the gateway's peak RSS (the kernel's VmHWM, over the whole run) and its V8 heap used
 * and external memory (from its /metrics, sampled every 100 ms), its peak in-flight bytes (its own
 * account) and what pushed-back sessions had sent beyond it. Progress every 2 s.
 *
 *   node --import tsx bench/gateway-memory.ts [--writers 100] [--event-bytes 65536]
 *     [--total-bytes N] [--per-session-bytes N] [--segments 8] [--pravega own|shared]
 *
 * --pravega own (the default): a standalone of this run's own on other ports (3 GiB heap),
 * stopped at the end. The standalone keeps every event in its heap: a run writes ~800 MB, which
 * the shared one on 9090 (4 GiB, every engineer's history) cannot take twice.
 * --total-bytes / --per-session-bytes: the gateway's --max-inflight-bytes-total /
 * --max-inflight-bytes-per-session (default: its defaults); --total-bytes 4294967296 shows what
 * the writers would take without the budget. Writes bench/results/gateway-memory-<time>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connect, Serializers, type SluiceClient, wsConstructor } from '@sluice/sdk';
import WebSocket from 'ws';
import { GATEWAY_NODE_FLAGS } from '../scripts/gateway-node-flags.mjs';
import { ensurePravega } from '../scripts/pravega-lib.mjs';
import { positiveInteger } from './cli-args.js';

const MiB = 1024 * 1024;
const WINDOW = 8 * MiB; // the gateway's default --max-inflight-bytes: what the SDK keeps in flight
/** Below Pravega's 30 s keep-alive limit on the gateway's segment-store connections. */
const MAX_HOLD_MS = 20_000;

const { values } = parseArgs({
  options: {
    writers: { type: 'string', default: '100' },
    'event-bytes': { type: 'string', default: '65536' },
    'total-bytes': { type: 'string' },
    'per-session-bytes': { type: 'string' },
    segments: { type: 'string', default: '8' },
    pravega: { type: 'string', default: 'own' },
  },
});
if (values.pravega !== 'own' && values.pravega !== 'shared')
  throw new Error(`--pravega takes own or shared, not ${values.pravega}`);
const writers = positiveInteger('--writers', values.writers);
const eventBytes = positiveInteger('--event-bytes', values['event-bytes']);
const segments = positiveInteger('--segments', values.segments);
const eventsPerWriter = Math.floor(WINDOW / eventBytes);
const budgetArgs = [
  ...(values['total-bytes']
    ? ['--max-inflight-bytes-total', String(positiveInteger('--total-bytes', values['total-bytes']))]
    : []),
  ...(values['per-session-bytes']
    ? ['--max-inflight-bytes-per-session', String(positiveInteger('--per-session-bytes', values['per-session-bytes']))]
    : []),
];

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const log = (line: string) => console.log(`[gateway-memory] ${line}`);

function procMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(sluice_[a-z_]+) ([\d.e+-]+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

log(
  `${writers} writers, each handed its whole ${mib(WINDOW)} window (${eventsPerWriter} events of ${eventBytes} B) ` +
    `with Pravega's acknowledgements held: ${mib(writers * eventsPerWriter * eventBytes)} wanted in flight; ` +
    `gateway ${budgetArgs.length ? budgetArgs.join(' ') : 'defaults'}`,
);
const pravega = await ensurePravega({
  log: (line: string) => log(`pravega: ${line}`),
  ...(values.pravega === 'own'
    ? { name: 'gateway-memory', controllerPort: 19790, segmentStorePort: 23045, zkPort: 14700, jvmArgs: ['-Xmx3g'] }
    : {}),
});
const child = spawn(
  process.execPath,
  [
    ...GATEWAY_NODE_FLAGS,
    '--import',
    'tsx',
    new URL('./gateway-memory-gateway.ts', import.meta.url).pathname,
    '--port',
    '0',
    '--controller',
    pravega.controllerUri,
    '--connections-per-second-per-ip',
    '0',
    '--log-level',
    'warn',
    ...budgetArgs,
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string> => {
  const next = await lines.next();
  if (next.done) throw new Error('the gateway process ended');
  return next.value;
};
const command = async (word: 'hold' | 'release') => {
  child.stdin!.write(`${word}\n`);
  while ((await nextLine()) !== (word === 'hold' ? 'held' : 'released'));
};
const clients: SluiceClient[] = [];
let sampler: NodeJS.Timeout | undefined;
let progress: NodeJS.Timeout | undefined;
try {
  let url = await nextLine();
  while (!url.startsWith('ws://')) url = await nextLine(); // the gateway's log lines come first
  const port = Number(new URL(url.replace(/^ws/, 'http')).port);
  const pid = child.pid!;
  const scope = `gwmem-${Date.now().toString(36)}`;
  const Ws = wsConstructor(WebSocket, { maskFrames: false });
  const admin = await connect({ url, WebSocket: Ws, scope });
  clients.push(admin);
  await admin.createScope(scope);
  await admin.createStream('s', { scaling: { type: 'fixed', segments } });
  const payload = new Uint8Array(eventBytes).fill(120);
  const opened = await Promise.all(
    Array.from({ length: writers }, async (_, n) => {
      const client = await connect({ url, WebSocket: Ws, scope });
      clients.push(client);
      const writer = client.writer('s', { serializer: Serializers.bytes(), writerId: `w${n}` });
      await writer.write(payload, `w${n}`); // opened: Pravega's writer is set up on every segment
      return writer;
    }),
  );
  const first = await scrape(port);
  const base = { ...procMemory(pid), heap: first.get('sluice_nodejs_heap_size_used_bytes') ?? 0 };
  log(`${writers} sessions and writers open; gateway RSS ${mib(base.rss)}, heap used ${mib(base.heap)}`);

  const peak = { heapUsed: base.heap, heapTotal: 0, external: 0, held: 0, pushedBack: 0 };
  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    try {
      const m = await scrape(port);
      peak.heapUsed = Math.max(peak.heapUsed, m.get('sluice_nodejs_heap_size_used_bytes') ?? 0);
      peak.heapTotal = Math.max(peak.heapTotal, m.get('sluice_nodejs_heap_size_total_bytes') ?? 0);
      peak.external = Math.max(peak.external, m.get('sluice_nodejs_external_memory_bytes') ?? 0);
      peak.held = Math.max(peak.held, m.get('sluice_inflight_held_bytes') ?? 0);
      peak.pushedBack = Math.max(peak.pushedBack, m.get('sluice_pushed_back_sessions') ?? 0);
    } catch {
      // busy or gone: the next sample tells
    } finally {
      sampling = false;
    }
  };
  sampler = setInterval(() => void sample(), 100);
  let acked = 0;
  const total = writers * eventsPerWriter;
  const started = Date.now();
  const status = async () => {
    const m = await scrape(port).catch(() => new Map<string, number>());
    const mem = procMemory(pid);
    return {
      inflight: m.get('sluice_inflight_bytes') ?? 0,
      line:
        `${((Date.now() - started) / 1000).toFixed(0)} s: ${acked}/${total} acknowledged; in flight ${mib(m.get('sluice_inflight_bytes') ?? 0)}` +
        `, held ${mib(m.get('sluice_inflight_held_bytes') ?? 0)}, ${m.get('sluice_pushed_back_sessions') ?? 0} sessions pushed back; ` +
        `RSS ${mib(mem.rss)} (peak ${mib(mem.hwm)}), heap used ${mib(m.get('sluice_nodejs_heap_size_used_bytes') ?? 0)}`,
    };
  };
  progress = setInterval(async () => log((await status()).line), 2_000);

  await command('hold');
  const heldAt = Date.now();
  const writes = opened.map(async (writer, n) => {
    await Promise.all(
      Array.from({ length: eventsPerWriter }, (_, i) =>
        writer.write(payload, `w${n}-${i % 4}`).then(() => void acked++),
      ),
    );
    await writer.close();
  });
  // Until the gateway has taken all it will: its in-flight bytes steady for 2 s.
  let last = -1;
  let steadySince = Date.now();
  while (Date.now() - steadySince < 2_000 && Date.now() - heldAt < MAX_HOLD_MS) {
    await sleep(250);
    const { inflight } = await status();
    if (inflight !== last) steadySince = Date.now();
    last = inflight;
  }
  await sample();
  const plateau = { ...(await status()), rss: procMemory(pid).rss };
  if (Date.now() - heldAt >= MAX_HOLD_MS) log(`still growing after ${MAX_HOLD_MS / 1000} s held: measuring now`);
  log(`plateau after ${((Date.now() - heldAt) / 1000).toFixed(1)} s held — ${plateau.line}`);
  await command('release');
  await Promise.all(writes);
  clearInterval(progress);
  progress = undefined;
  clearInterval(sampler);
  sampler = undefined;
  await sample();
  const seconds = (Date.now() - started) / 1000;
  log(`all ${total} events acknowledged, ${seconds.toFixed(1)} s after the hold began`);

  const info = await admin.streamInfo('s');
  const stored = [...info.tail.positions.values()].reduce((a, b) => a + b, 0n);
  const expected = BigInt(total + writers) * BigInt(eventBytes + 8);
  if (stored !== expected) throw new Error(`the stream holds ${stored} bytes, not the ${expected} written`);
  const m = await scrape(port);
  const result = {
    writers,
    eventBytes,
    eventsPerWriter,
    wantedInflightBytes: total * eventBytes,
    budgetBytes: m.get('sluice_inflight_bytes_limit') ?? 0,
    inflightPeakBytes: m.get('sluice_inflight_bytes_peak') ?? 0,
    heldPeakBytes: peak.held,
    rssBaseBytes: base.rss,
    rssAtPlateauBytes: plateau.rss,
    rssPeakBytes: procMemory(pid).hwm,
    heapUsedBaseBytes: base.heap,
    heapUsedPeakBytes: peak.heapUsed,
    heapTotalPeakBytes: peak.heapTotal,
    externalPeakBytes: peak.external,
    pushedBackSessionsPeak: peak.pushedBack,
    pushBacks: m.get('sluice_push_backs_total') ?? 0,
  };
  console.log('');
  console.log(`| gateway, ${writers} writers each holding a ${mib(WINDOW)} window | value |`);
  console.log('|---|---|');
  console.log(`| in flight wanted by the writers | ${mib(result.wantedInflightBytes)} |`);
  console.log(`| in-flight budget (--max-inflight-bytes-total) | ${mib(result.budgetBytes)} |`);
  console.log(`| in-flight peak (the gateway's account) | ${mib(result.inflightPeakBytes)} |`);
  console.log(`| held beyond it by pushed-back sessions (peak) | ${mib(result.heldPeakBytes)} |`);
  console.log(
    `| RSS before → at the plateau → peak (VmHWM) | ${mib(result.rssBaseBytes)} → ${mib(result.rssAtPlateauBytes)} → ${mib(result.rssPeakBytes)} |`,
  );
  console.log(`| V8 heap used before → peak | ${mib(result.heapUsedBaseBytes)} → ${mib(result.heapUsedPeakBytes)} |`);
  console.log(
    `| V8 heap total peak / external memory peak | ${mib(result.heapTotalPeakBytes)} / ${mib(result.externalPeakBytes)} |`,
  );
  console.log(
    `| sessions pushed back at once (peak) / push-backs | ${result.pushedBackSessionsPeak} / ${result.pushBacks} |`,
  );
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`gateway-memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, dir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${file.pathname}`);
} finally {
  if (sampler) clearInterval(sampler);
  if (progress) clearInterval(progress);
  await Promise.allSettled(clients.map((c) => c.close()));
  child.stdin!.end();
  const exited = new Promise((r) => child.once('exit', r));
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(kill);
  await pravega.release();
}
