/**
 * Where P2's CPU goes, per side and per segment-store thread group: rounds of Java's
 * `bench-write` and Sluice's writer (10 KiB events, 4 segments, as P2), one after the other, on the bench's
 * own standalone. Over each side's *timed* part it prints MB/s, the client's CPU per MB (Sluice:
 * SDK process and gateway apart), the store's CPU per MB during the phase and after it (until the
 * store is quiet), and the store's CPU per MB by thread group (its JIT compiler threads, `core-#`
 * operation processing, `nioEventLoopGro` network, `storage-io-#` storage writer, GC threads…).
 *
 *   node --import tsx bench/p2-threads.ts [--rounds 6] [--events 30000] [--order java-first|sluice-first|alternate]
 *     [--variant KEY=VALUE[,KEY=VALUE…]]… [--jit-log]
 *
 * --order: which side writes first in each round (default java-first; alternate: the sides rotate
 * by one each round). --variant: one more Sluice side per variant, with a gateway of its own
 * started with those environment variables — an A/B of gateway settings on the same warm store.
 * --no-java: the Sluice sides only. At the end, per side, medians over the warm rounds (the third
 * on, with four rounds or more). --jit-log: the standalone also logs what its JIT compiles (-XX:+PrintCompilation, into
 * .pravega/bench.log, between `=== <side> timed part` markers). A diagnostic, not part of
 * `pnpm bench`: it reads /proc, so Linux only.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SluiceClient } from '@sluice/sdk';
import { GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../gateway/test/helpers/names.js';
import { connectSdk } from '../gateway/test/helpers/sdk.js';
import { spawnJavaPeer } from '../interop/test/java-peer.js';
import { ensurePravega, pravegaStatus } from '../scripts/pravega-lib.mjs';
import { OWN_STANDALONE } from './own-standalone.js';
import { machineCpuMs, processCpuMs } from './proc-cpu.js';
import { settle } from './settle.js';
import { type ThreadCpu, threadCpu, threadGroupDelta } from './thread-cpu.js';
import { sluiceWrite } from './workloads/sluice-write.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    events: { type: 'string', default: '30000' },
    order: { type: 'string', default: 'java-first' },
    'jit-log': { type: 'boolean', default: false },
    variant: { type: 'string', multiple: true },
    'no-java': { type: 'boolean', default: false },
  },
});
const ORDERS = ['java-first', 'sluice-first', 'alternate'];
if (!ORDERS.includes(values.order)) throw new Error(`--order must be one of ${ORDERS.join(', ')}`);
const rounds = Number(values.rounds);
const events = Number(values.events);
const warmup = Math.ceil(events / 5);
const timedMB = (events * 10240) / 1e6;
const log = (line: string) => console.log(`[p2-threads] ${line}`);

/** CPU readings at one instant. */
interface Reading {
  store: number;
  threads: ThreadCpu;
  sdk: number;
  gateway: number;
  /** The whole machine (all cores), busy and idle. */
  machine: { busy: number; idle: number };
  at: number;
}

const jitLog = values['jit-log'];
const standaloneLog = join(fileURLToPath(new URL('..', import.meta.url)), '.pravega', `${OWN_STANDALONE.name}.log`);
/** A line in the standalone's log between its JIT's lines (with --jit-log). */
const mark = (what: string) => {
  if (jitLog) appendFileSync(standaloneLog, `=== ${what}\n`);
};
const pravega = await ensurePravega({
  log: (l: string) => console.log(`[pravega] ${l}`),
  ...OWN_STANDALONE,
  jvmArgs: [...OWN_STANDALONE.jvmArgs, ...(jitLog ? ['-XX:+PrintCompilation'] : [])],
});
// Undone in reverse on the way out, after a failure too: no gateway or standalone lease left behind.
const cleanup: Array<() => Promise<void>> = [() => pravega.release()];
try {
  const found = (await pravegaStatus(OWN_STANDALONE)).state?.pid as number | undefined;
  if (found === undefined) throw new Error('cannot find the standalone process');
  const storePid = found; // a number in the phases' functions below too
  const scope = uniqueName('threads');
  /** A Sluice side: its own gateway (with the variant's environment) and SDK client. */
  interface SluiceSide {
    label: string;
    gateway: GatewayProcess;
    client: SluiceClient;
  }
  const sluiceSides: SluiceSide[] = [];
  for (const variant of ['', ...(values.variant ?? [])]) {
    const env = Object.fromEntries(
      variant
        .split(',')
        .filter(Boolean)
        .map((kv) => {
          const at = kv.indexOf('=');
          if (at <= 0) throw new Error(`--variant takes KEY=VALUE[,KEY=VALUE…], not ${kv}`);
          return [kv.slice(0, at), kv.slice(at + 1)];
        }),
    );
    const gateway = await GatewayProcess.start(
      ['--controller', pravega.controllerUri, '--scope', scope, '--log-level', 'warn'],
      { env },
    );
    cleanup.push(() => gateway.stop());
    const client = await connectSdk(gateway.url, scope);
    cleanup.push(() => client.close());
    sluiceSides.push({ label: variant ? `Sluice[${variant}]` : 'Sluice', gateway, client });
  }
  const admin = sluiceSides[0]!.client;
  await admin.createScope(scope);

  const read = (gatewayPid?: number): Reading => {
    const store = processCpuMs(storePid) ?? 0;
    const threads = threadCpu(storePid);
    const gatewayMs = gatewayPid === undefined ? 0 : (processCpuMs(gatewayPid) ?? 0);
    // Last, so that reading /proc is charged to the SDK process as little as possible.
    const machine = machineCpuMs() ?? { busy: 0, idle: 0 };
    const own = process.cpuUsage();
    return { store, threads, sdk: (own.user + own.system) / 1000, gateway: gatewayMs, machine, at: performance.now() };
  };

  /** Per side, per round: what the summary at the end takes medians of. */
  interface Figures {
    mbPerSec: number;
    clientMsPerMB: number;
    storeMsPerMB: number;
    machineMsPerMB: number;
  }
  const figures = new Map<string, Figures[]>();

  /** One line per side and round: its figures over the timed part, then the store's thread groups. */
  async function report(
    side: string,
    mbPerSec: number,
    clientMs: string,
    clientTotalMs: number,
    start: Reading,
    end: Reading,
  ) {
    await settle(storePid);
    const after = (processCpuMs(storePid) ?? 0) - end.store;
    const perMB = (ms: number) => (ms / timedMB).toFixed(2);
    log(
      `${side} ${mbPerSec.toFixed(0)} MB/s; client ${clientMs} ms/MB; store ${perMB(end.store - start.store)} ms/MB during, ${perMB(after)} after`,
    );
    // Whether the phase was CPU-bound: cores busy on average, and busy time no process above
    // accounts for (softirqs of loopback TCP, other processes), per MB.
    const busy = end.machine.busy - start.machine.busy;
    const cores = busy / (end.at - start.at);
    const unaccounted = busy - (end.store - start.store) - clientTotalMs;
    log(
      `       machine: ${cores.toFixed(2)} cores busy; ${perMB(busy)} ms/MB busy, ${perMB(unaccounted)} of it outside the store and the client`,
    );
    const groups = threadGroupDelta(start.threads, end.threads)
      .slice(0, 8)
      .map(([name, ms]) => `${name} ${perMB(ms)}`);
    log(`       store threads, ms/MB: ${groups.join(', ')}`);
    const list = figures.get(side) ?? [];
    list.push({
      mbPerSec,
      clientMsPerMB: clientTotalMs / timedMB,
      storeMsPerMB: (end.store - start.store + after) / timedMB,
      machineMsPerMB: busy / timedMB,
    });
    figures.set(side, list);
  }

  async function javaPhase(): Promise<void> {
    await settle(storePid);
    const stream = uniqueName('java');
    await admin.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const peer = spawnJavaPeer([
      ...['bench-write', '--controller', pravega.controllerUri, '--scope', scope, '--stream', stream],
      ...['--count', String(events), '--size', '10240', '--keys', '100', '--warmup', String(warmup)],
    ]);
    let start: Reading | undefined;
    let end: Reading | undefined;
    let result: { mbPerSec: number; cpuMs: number } | undefined;
    for await (const line of peer) {
      if (line.timing === 'started') {
        start = read();
        mark('Java timed part');
      } else if (typeof line.mbPerSec === 'number') {
        end = read();
        mark('Java done');
        result = line as unknown as { mbPerSec: number; cpuMs: number };
      }
    }
    if (!start || !end || !result) throw new Error('the Java peer did not report its timed part');
    await report('Java', result.mbPerSec, (result.cpuMs / timedMB).toFixed(2), result.cpuMs, start, end);
    await admin.sealStream(stream);
    await admin.deleteStream(stream);
  }

  async function sluicePhase({ label, gateway, client }: SluiceSide): Promise<void> {
    await settle(storePid);
    const stream = uniqueName('sluice');
    await admin.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const readings: Reading[] = [];
    // sluiceWrite reads the CPU clock when its timed part starts and when it ends.
    const cpuMs = () => {
      readings.push(read(gateway.pid));
      mark(readings.length === 1 ? `${label} timed part` : `${label} done`);
      return 0;
    };
    const { eventsPerSec } = await sluiceWrite(client, stream, {
      count: events,
      size: 10240,
      keys: 100,
      warmup,
      cpuMs,
    });
    const [start, end] = readings as [Reading, Reading];
    const sdk = (end.sdk - start.sdk) / timedMB;
    const gw = (end.gateway - start.gateway) / timedMB;
    const clientMs = `${(sdk + gw).toFixed(2)} (SDK ${sdk.toFixed(2)} + gateway ${gw.toFixed(2)})`;
    const clientTotal = end.sdk - start.sdk + (end.gateway - start.gateway);
    await report(label, (eventsPerSec * 10240) / 1e6, clientMs, clientTotal, start, end);
    await admin.sealStream(stream);
    await admin.deleteStream(stream);
  }

  const phases: Array<() => Promise<void>> = [
    ...(values['no-java'] ? [] : [javaPhase]),
    ...sluiceSides.map((side) => () => sluicePhase(side)),
  ];
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round} of ${rounds}`);
    // java-first: as listed; sluice-first: Java last; alternate: the list rotated by one each round.
    const shift = values.order === 'sluice-first' ? 1 : values.order === 'alternate' ? (round - 1) % phases.length : 0;
    for (const phase of [...phases.slice(shift), ...phases.slice(0, shift)]) await phase();
  }

  // The summary: medians over the warm rounds (from the third on, when there are at least four).
  const warmFrom = rounds >= 4 ? 2 : 0;
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  log(`medians over rounds ${warmFrom + 1}–${rounds}:`);
  for (const [side, list] of figures) {
    const warm = list.slice(warmFrom);
    const m = (key: keyof Figures) => median(warm.map((f) => f[key])).toFixed(2);
    log(
      `  ${side}: ${m('mbPerSec')} MB/s; ms/MB: client ${m('clientMsPerMB')}, store ${m('storeMsPerMB')} (during + after), machine ${m('machineMsPerMB')}`,
    );
  }
} finally {
  for (const step of cleanup.reverse()) await step().catch((err: unknown) => console.error(err));
}
