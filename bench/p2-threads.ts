/**
 * Where P2's CPU goes, per side and per segment-store thread group: rounds of Java's `bench-write`
 * and Sluice's writer (10 KiB events, 4 segments, as P2), one after the other, on the bench's own
 * standalone. Over each side's *timed* part it prints MB/s, the client's CPU per MB (Sluice: SDK
 * process and gateway apart), the store's CPU per MB during the phase and after it (until the store
 * is quiet), the whole machine's busy CPU, and the store's CPU per MB by thread group (its JIT
 * compiler threads, `core-#` operation processing, `nioEventLoopGro` network, `storage-io-#`
 * storage writer, GC threads…). At the end, per side, medians over the warm rounds.
 *
 *   node --import tsx bench/p2-threads.ts [--rounds 6] [--events 30000]
 *     [--order java-first|sluice-first|alternate] [--variant KEY=VALUE[,KEY=VALUE…]]… [--no-java | --no-sluice]
 *     [--jit-log]
 *
 * --order: which side writes first in each round (default java-first; sluice-first: Java last;
 * alternate: the sides rotate by one each round). --variant: one more Sluice side per variant, with
 * a gateway of its own started with those environment variables (values without commas;
 * SLUICE_GATEWAY_NODE_ARGS included) — an A/B of gateway settings on one warm store; use
 * --order alternate, with the warm rounds (rounds − 2) a multiple of the number of sides, so that
 * every side runs in every position equally often. --no-java, --no-sluice: one side only. --jit-log:
 * the standalone logs what its JIT compiles (-XX:+PrintCompilation) into .pravega/bench.log,
 * between `=== <side> timed part` and `=== <side> done` lines; it needs a standalone this run
 * starts (stop a running one first).
 * A diagnostic, not part of `pnpm bench`: it reads /proc, so Linux only.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { SluiceClient } from '@sluice/sdk';
import { GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../gateway/test/helpers/names.js';
import { connectSdk } from '../gateway/test/helpers/sdk.js';
import { spawnJavaPeer } from '../interop/test/java-peer.js';
import { ensurePravega, pravegaStatus } from '../scripts/pravega-lib.mjs';
import { historyRoomBytes, OWN_STANDALONE } from './own-standalone.js';
import { p2ThreadsOptions } from './p2-threads-options.js';
import { machineBusyMs, processCpuMs } from './proc-cpu.js';
import { settle } from './settle.js';
import { median } from './stats.js';
import { type ThreadCpu, threadCpu, threadGroupDelta } from './thread-cpu.js';
import { sluiceWrite } from './workloads/sluice-write.js';

const options = p2ThreadsOptions();
const { rounds, events } = options;
const warmup = Math.ceil(events / 5);
const timedMB = (events * 10240) / 1e6;
const log = (line: string) => console.log(`[p2-threads] ${line}`);
const JIT_FLAG = '-XX:+PrintCompilation';

// Every phase's events stay in the standalone's heap: say so before a run that would outgrow it.
{
  const sides = (options.withJava ? 1 : 0) + (options.withSluice ? 1 + options.variants.length : 0);
  const plannedBytes = rounds * sides * (events + warmup) * 10240;
  const room = historyRoomBytes();
  if (room !== undefined && plannedBytes > room) {
    log(
      `warning: ${(plannedBytes / 1e9).toFixed(1)} GB of events for a standalone that holds ~${(room / 1e9).toFixed(1)} GB ` +
        '(SLUICE_BENCH_PRAVEGA_HEAP): past that it runs out of heap and writers time out — fewer --rounds or --events, or a larger heap',
    );
  }
}

/** CPU readings at one instant (ms). */
interface Reading {
  store: number;
  threads: ThreadCpu;
  sdk: number;
  gateway: number;
  machineBusy: number;
  wallMs: number;
}

/** Per side, per round: what the summary at the end takes medians of. */
interface Figures {
  mbPerSec: number;
  /** Over the timed part. */
  clientMsPerMB: number;
  /** From the timed part's start until the store is quiet again. */
  storeMsPerMB: number;
  /** Over the timed part. */
  machineMsPerMB: number;
}

/** A Sluice side: its own gateway (with the variant's environment) and SDK client. */
interface SluiceSide {
  label: string;
  gateway: GatewayProcess;
  client: SluiceClient;
}

const pravega = await ensurePravega({
  log: (l: string) => console.log(`[pravega] ${l}`),
  ...OWN_STANDALONE,
  jvmArgs: [...OWN_STANDALONE.jvmArgs, ...(options.jitLog ? [JIT_FLAG] : [])],
});
/** A line in the standalone's log between its JIT's lines (with --jit-log); its own line even mid-line. */
const mark = (what: string) => {
  if (options.jitLog) appendFileSync(pravega.logFile, `\n=== ${what}\n`);
};
// Undone in reverse on the way out, after a failure too: no gateway or standalone lease left behind.
const cleanup: Array<() => Promise<void>> = [() => pravega.release()];
try {
  const found = (await pravegaStatus(OWN_STANDALONE)).state?.pid as number | undefined;
  if (found === undefined) throw new Error('cannot find the standalone process');
  const storePid = found; // a number in the phases' functions below too
  if (options.jitLog) {
    // A standalone that was running already kept its flags: it would log no compilations.
    if (!readFileSync(`/proc/${storePid}/cmdline`, 'utf8').split('\0').includes(JIT_FLAG))
      throw new Error(
        `--jit-log: the running standalone (pid ${storePid}) was started without ${JIT_FLAG}; stop it first`,
      );
    mark(`p2-threads pid ${process.pid} started ${new Date().toISOString()}`);
  }
  const scope = uniqueName('threads');
  const sluiceSides: SluiceSide[] = [];
  for (const { label, env } of [{ label: 'Sluice', env: {} }, ...options.variants]) {
    const gatewayArgs = ['--controller', pravega.controllerUri, '--scope', scope, '--log-level', 'warn'];
    const gateway = await GatewayProcess.start(gatewayArgs, { env });
    cleanup.push(() => gateway.stop());
    // On loopback, as Java's client over TCP: frames unmasked (sdk/node/ws-constructor.ts).
    const client = await connectSdk(gateway.url, scope, { maskFrames: false });
    cleanup.push(() => client.close());
    sluiceSides.push({ label, gateway, client });
  }
  const admin = sluiceSides[0]!.client;
  await admin.createScope(scope);

  const read = (gateway?: GatewayProcess): Reading => {
    const store = processCpuMs(storePid) ?? 0;
    const threads = threadCpu(storePid);
    let gatewayMs = 0;
    if (gateway) {
      const ms = gateway.pid === undefined ? undefined : processCpuMs(gateway.pid);
      if (ms === undefined) throw new Error(`the gateway exited:\n${gateway.output.slice(-2_000)}`);
      gatewayMs = ms;
    }
    const machineBusy = machineBusyMs() ?? 0;
    // Last, so that reading /proc is charged to the SDK process as little as possible.
    const own = process.cpuUsage();
    const sdk = (own.user + own.system) / 1000;
    return { store, threads, sdk, gateway: gatewayMs, machineBusy, wallMs: performance.now() };
  };

  const figures = new Map<string, Figures[]>();
  const perMB = (ms: number) => (ms / timedMB).toFixed(2);

  /** One line per side and round: its figures over the timed part, then the store's thread groups. */
  async function report(phase: {
    side: string;
    mbPerSec: number;
    /** The client's CPU over the timed part, and how to show it (Sluice: SDK and gateway apart). */
    clientMs: number;
    clientText: string;
    start: Reading;
    end: Reading;
  }) {
    const { side, mbPerSec, clientMs, start, end } = phase;
    await settle(storePid);
    const during = end.store - start.store;
    const after = (processCpuMs(storePid) ?? 0) - end.store;
    log(
      `${side} ${mbPerSec.toFixed(0)} MB/s; client ${phase.clientText} ms/MB; store ${perMB(during)} ms/MB during, ${perMB(after)} after`,
    );
    // Whether the phase was CPU-bound (cores busy on average), and busy time not charged to the
    // store or the client: other processes, and interrupt time where the kernel counts it apart.
    const busy = end.machineBusy - start.machineBusy;
    const cores = busy / (end.wallMs - start.wallMs);
    const elsewhere = busy - during - clientMs;
    log(
      `       machine: ${cores.toFixed(2)} cores busy; ${perMB(busy)} ms/MB busy, ${perMB(elsewhere)} of it not the store's or the client's`,
    );
    const groups = threadGroupDelta(start.threads, end.threads)
      .slice(0, 8)
      .map(([name, ms]) => `${name} ${perMB(ms)}`);
    log(`       store threads, ms/MB: ${groups.join(', ')}`);
    const list = figures.get(side) ?? [];
    list.push({
      mbPerSec,
      clientMsPerMB: clientMs / timedMB,
      storeMsPerMB: (during + after) / timedMB,
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
    const clientText = perMB(result.cpuMs);
    await report({ side: 'Java', mbPerSec: result.mbPerSec, clientMs: result.cpuMs, clientText, start, end });
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
      readings.push(read(gateway));
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
    const sdkMs = end.sdk - start.sdk;
    const gatewayMs = end.gateway - start.gateway;
    const clientText = `${perMB(sdkMs + gatewayMs)} (SDK ${perMB(sdkMs)} + gateway ${perMB(gatewayMs)})`;
    const mbPerSec = (eventsPerSec * 10240) / 1e6;
    await report({ side: label, mbPerSec, clientMs: sdkMs + gatewayMs, clientText, start, end });
    await admin.sealStream(stream);
    await admin.deleteStream(stream);
  }

  const phases: Array<() => Promise<void>> = [
    ...(options.withJava ? [javaPhase] : []),
    ...(options.withSluice ? sluiceSides.map((side) => () => sluicePhase(side)) : []),
  ];
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round} of ${rounds}`);
    // java-first: as listed; sluice-first: Java moved last; alternate: rotated by one each round.
    const shift =
      options.order === 'sluice-first' ? 1 : options.order === 'alternate' ? (round - 1) % phases.length : 0;
    for (const phase of [...phases.slice(shift), ...phases.slice(0, shift)]) await phase();
  }

  // The summary: medians over the warm rounds (from the third on, when there are at least four).
  const warmFrom = rounds >= 4 ? 2 : 0;
  log(`medians over rounds ${warmFrom + 1}–${rounds}:`);
  for (const [side, list] of figures) {
    const warm = list.slice(warmFrom);
    const medianOf = (key: keyof Figures) => median(warm.map((f) => f[key])).toFixed(2);
    log(
      `  ${side}: ${medianOf('mbPerSec')} MB/s; ms/MB: client ${medianOf('clientMsPerMB')} and machine ${medianOf('machineMsPerMB')} (timed part), store ${medianOf('storeMsPerMB')} (timed part + after)`,
    );
  }
} finally {
  for (const step of cleanup.reverse()) await step().catch((err: unknown) => console.error(err));
}
