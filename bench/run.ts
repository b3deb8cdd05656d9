/**
 * `pnpm bench`: Sluice next to Pravega's Java client on the same standalone, in the same run.
 * Phases interleave (Java, Sluice, Java, Sluice, …), each on a fresh stream, both sides warmed
 * up first; the table shows medians and the ratio Sluice ÷ Java. Results: bench/results/*.json.
 *
 *   pnpm bench [--only P1,P2,…] [--events 100000] [--size 100] [--txns 50] [--rounds 3]
 *              [--pravega shared|own] [--p2-events 10000] [--p3-seconds 10] [--p5-sessions 10000] [--p7-mb 1024]
 *              [--p4-subscribers 1000] [--p4-rate 100] [--p4-seconds 10]
 *
 * P1: acknowledged events/s, 100-byte events, SDK in Node → gateway → Pravega vs EventStreamWriter.
 * P2: MB/s of 10 KiB events, the same path as P1, vs EventStreamWriter.
 * P3: write→read latency p50/p99, open loop at half of Java's P1 rate in this run (coordinated
 *     omission corrected), SDK writer + reader vs Java's EventStreamWriter + EventStreamReader.
 * P4: fan-out: --p4-subscribers SDK readers (2 client processes) of one stream on one gateway
 *     process while a writer writes --p4-rate events/s: bytes the gateway read from Pravega ÷
 *     bytes of the stream (vs the ideal 1.0×, and vs the same run with sharing off,
 *     --tail-cache-bytes 0) and delivery latency p99 from the intended send time.
 * P5: idle authenticated sessions per gateway process and RSS per session, vs a bare `ws` server.
 * P6: commits/s of 100-event transactions, each until Pravega reports it committed, vs
 *     TransactionalEventStreamWriter.
 * P7: catch-up read MB/s of history (written once by Java; --p7-mb or SLUICE_BENCH_P7_MB),
 *     from the head to a tail cut, SDK reader vs Java's EventStreamReader.
 * T1–T4: key-value table operations/s (get, put; single keys and batches of --kvt-batch keys of one
 *     primary key), --kvt-inflight outstanding, SDK KeyValueTable vs Java's KeyValueTable, on one
 *     table of 4 partitions written once before (bench/README.md, Tables).
 * L1: a live table's catch-up from the stream's head (events/s, MB/s) and the heap it keeps per key,
 *     --l1-events events of --size bytes over --l1-keys keys (default 200,000 over 20,000;
 *     --l1-full: 1,000,000 over 100,000), vs a plain SDK reader's catch-up of the same stream (no
 *     Java live table exists), each phase in a child process with --expose-gc; --l1-map also logs
 *     the same catch-up into a bare Map (the table's own share of the cost).
 * Writes bench/results/bench-<date>.json and .svg, and latest.json / latest.svg.
 *
 * --cluster: on a multi-process Pravega cluster instead of the standalone (docs/clusters.md; the
 * instance `bench`, ports from SLUICE_CLUSTER_BASE_PORT or 23000, reused when it runs, Pravega's
 * default failover timings unless --failover fast), workloads C1, P1, P2, P7 by default:
 * C1: recovery from a segment store's SIGKILL (bench/workloads/cluster-recovery.ts), --c1-rounds
 *     kills per side (default 1) under an open-loop writer at --c1-rate events/s and a reader:
 *     the cluster's own failover, the first acknowledged write and the first event read on a
 *     moved segment, and the acknowledgement p99 of unmoved segments before and during the failover.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { SluiceClient, StreamCut } from '@sluice/sdk';
import { GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { uniqueName } from '../gateway/test/helpers/names.js';
import { connectSdk } from '../gateway/test/helpers/sdk.js';
import { javaPeer } from '../interop/test/java-peer.js';
import { type ClusterHandle, ensureCluster } from '../scripts/cluster-lib.mjs';
import { ensurePravega, pravegaStatus } from '../scripts/pravega-lib.mjs';
import { OWN_STANDALONE } from './own-standalone.js';
import { type PlotRow, renderPlot } from './plot.js';
import { processCpuMs } from './proc-cpu.js';
import { settle } from './settle.js';
import { median } from './stats.js';
import { measureRecovery, type RecoveryLoad } from './workloads/cluster-recovery.js';
import { liveCatchup, writeLiveHistory } from './workloads/live-table-catchup.js';
import { fanout } from './workloads/p4-fanout.js';
import { javaRecoveryLoad, sluiceRecoveryLoad } from './workloads/recovery-loads.js';
import { idleSessions } from './workloads/sessions.js';
import { sluiceCatchup } from './workloads/sluice-catchup.js';
import { KVT_PK, KVT_SK, populateKvt, sluiceKvt } from './workloads/sluice-kvt.js';
import { sluiceLatency } from './workloads/sluice-latency.js';
import { sluiceTxns } from './workloads/sluice-txn.js';
import { sluiceWrite } from './workloads/sluice-write.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'all' },
    events: { type: 'string', default: '100000' },
    size: { type: 'string', default: '100' },
    txns: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    pravega: { type: 'string', default: 'shared' },
    'p2-events': { type: 'string', default: '10000' },
    'p3-seconds': { type: 'string', default: '10' },
    'p5-sessions': { type: 'string', default: '10000' },
    'p7-mb': { type: 'string', default: process.env.SLUICE_BENCH_P7_MB ?? '1024' },
    'p4-subscribers': { type: 'string', default: '1000' },
    'p4-rate': { type: 'string', default: '100' },
    'p4-seconds': { type: 'string', default: '10' },
    pin: { type: 'boolean', default: false },
    'kvt-ops': { type: 'string', default: '20000' },
    'kvt-batch': { type: 'string', default: '16' },
    'kvt-inflight': { type: 'string', default: '32' },
    cluster: { type: 'boolean', default: false },
    failover: { type: 'string', default: 'default' },
    'c1-rounds': { type: 'string', default: '1' },
    'c1-rate': { type: 'string', default: '500' },
    'l1-events': { type: 'string', default: '200000' },
    'l1-keys': { type: 'string', default: '20000' },
    'l1-full': { type: 'boolean', default: false },
    'l1-map': { type: 'boolean', default: false },
  },
});
const onCluster = values.cluster;
// On the cluster: C1 and the write and catch-up workloads, with a smaller history (256 MB: the
// stores' memory is sized for a cluster under 3 GB of RSS, docs/clusters.md; 256 MB needed the
// JDK's per-thread direct buffers bounded, scripts/cluster-config.mjs).
if (onCluster && values.only === 'all') values.only = 'C1,P1,P2,P7';
if (onCluster && !process.argv.some((a) => a.startsWith('--p7-mb'))) values['p7-mb'] = '256';
const only = new Set(values.only.split(','));
const events = Number(values.events);
const size = Number(values.size);
const txns = Number(values.txns);
const rounds = Number(values.rounds);
const p2Events = Number(values['p2-events']);
const p3Seconds = Number(values['p3-seconds']);
const p5Sessions = Number(values['p5-sessions']);
const p7Mb = Number(values['p7-mb']);
const p4Subscribers = Number(values['p4-subscribers']);
const p4Rate = Number(values['p4-rate']);
const p4Seconds = Number(values['p4-seconds']);
const kvtOps = Number(values['kvt-ops']);
const kvtBatch = Number(values['kvt-batch']);
const kvtInflight = Number(values['kvt-inflight']);
const l1Events = values['l1-full'] ? 1_000_000 : Number(values['l1-events']);
const l1Keys = values['l1-full'] ? 100_000 : Number(values['l1-keys']);
const log = (line: string) => console.log(`[bench] ${line}`);
/** C1: how long after the kill a side may take to resume (Java's reader took ~70 s). */
const C1_MAX_RECOVERY_MS = 120_000;
const fmt = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));
const loadBefore = loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');

/** What one phase measured: one number, or several by name (see Workload.metrics). */
type Sample = number | Record<string, number>;

/** One row of the table: a named measurement of a workload's samples. */
interface Metric {
  key: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  /** The anchor is this fixed ideal value (named `ideal`) rather than the anchor's measurement. */
  ideal?: number;
}

interface Workload {
  id: string;
  title: string;
  unit: string;
  java: () => Promise<Sample>;
  sluice: () => Promise<Sample>;
  /** The anchor's name in the table; default Java. */
  anchor?: string;
  /** Rows to report when samples are records; default one row, the number itself (higher is better). */
  metrics?: Metric[];
  /**
   * Short phases on a fresh standalone: one untimed round of both sides first. The store's JIT
   * compiles for tens of seconds after it starts, and a 1-second phase measured it, not the client.
   */
  warmupRound?: boolean;
  /** Runs once before the first round (e.g. writes the history both sides read). */
  before?: () => Promise<void>;
  /** Rounds of this workload; default --rounds. */
  rounds?: number;
  /** Runs once after the last round (e.g. drops a stream both sides read). */
  after?: () => Promise<void>;
  /**
   * MB of events one phase makes Pravega store or serve, the same for both sides: the phase's
   * samples then get `storeCpuMsPerMB`, the standalone's CPU per MB (see `onQuietStore`).
   */
  storeMB?: number;
}

/**
 * --pin: Pravega on CPU 0, everything else (this process, and the gateway and Java peers it
 * starts, which inherit its affinity) on CPU 1 — as when the store has hosts of its own and the
 * clients run elsewhere: each side gets one core, and no side's work takes the other's.
 */
function pinCores(pid: number | undefined): void {
  if (pid === undefined) throw new Error('--pin: cannot find the standalone process');
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  log(`pinned: Pravega (pid ${pid}) on CPU 0; this process, the gateway and the Java peers on CPU 1`);
}

/** P2's and P7's rows: MB/s, the CPU each side's client spent per MB, and what Pravega spent. */
const THROUGHPUT_AND_CPU: Metric[] = [
  { key: 'mbPerSec', title: '', unit: 'MB/s', better: 'higher' },
  { key: 'cpuMsPerMB', title: 'client CPU per MB (Sluice: SDK + gateway)', unit: 'ms/MB', better: 'lower' },
  { key: 'storeCpuMsPerMB', title: 'Pravega CPU per MB (phase start → store quiet)', unit: 'ms/MB', better: 'lower' },
];

/** Those two figures from the last line a Java peer's bench-write or bench-read printed. */
function javaThroughput(lines: unknown[]): { mbPerSec: number; cpuMsPerMB: number } {
  const r = lines.at(-1) as { mbPerSec: number; cpuMs: number; bytes: number };
  return { mbPerSec: r.mbPerSec, cpuMsPerMB: r.cpuMs / (r.bytes / 1e6) };
}

async function main(): Promise<void> {
  // --pravega own: a standalone of the bench's own (see own-standalone.ts); shared: the usual one.
  const own = values.pravega === 'own' ? OWN_STANDALONE : {};
  let controller: string;
  let storePid: number | undefined;
  let cluster: ClusterHandle | undefined;
  if (onCluster) {
    const failover = values.failover === 'fast' ? 'fast' : 'default';
    const started = await ensureCluster({
      log: (l: string) => console.log(`[cluster] ${l}`),
      name: 'bench',
      basePort: Number(process.env.SLUICE_CLUSTER_BASE_PORT ?? 23000),
      failover,
    });
    cleanup.unshift(() => started.release());
    if (started.settings.failover !== failover)
      throw new Error(`the bench cluster runs with ${started.settings.failover} failover: stop it first`);
    cluster = started;
    controller = started.controllerUri;
    await started.waitForContainers();
  } else {
    const pravega = await ensurePravega({ log: (l: string) => console.log(`[pravega] ${l}`), ...own });
    cleanup.unshift(() => pravega.release());
    storePid = (await pravegaStatus(own)).state?.pid;
    if (values.pin) pinCores(storePid);
    controller = pravega.controllerUri;
  }
  const scope = uniqueName('bench');
  const gateway = await GatewayProcess.start(['--controller', controller, '--scope', scope, '--log-level', 'warn']);
  // CPU of Sluice's side (this process runs the SDK client, plus the gateway): the P2 and P7
  // figures per MB, beside the Java client's JVM, less noisy than throughput on a shared machine.
  const sluiceCpuMs = () => {
    const own = process.cpuUsage();
    return (own.user + own.system) / 1000 + (gateway.pid === undefined ? 0 : (processCpuMs(gateway.pid) ?? 0));
  };
  cleanup.unshift(() => gateway.stop());
  // On loopback, as Java's client over TCP: frames unmasked (sdk/node/ws-constructor.ts).
  const client: SluiceClient = await connectSdk(gateway.url, scope, { maskFrames: false });
  await client.createScope(scope);

  const javaStream = async (segments = 4) => {
    const stream = uniqueName('java');
    await javaPeer([
      'create-stream',
      '--controller',
      controller,
      '--scope',
      scope,
      '--stream',
      stream,
      '--segments',
      String(segments),
    ]);
    return stream;
  };
  const sluiceStream = async (segments = 4) => {
    const stream = uniqueName('sluice');
    await client.createStream(stream, { scaling: { type: 'fixed', segments } });
    return stream;
  };
  const common = (stream: string) => ['--controller', controller, '--scope', scope, '--stream', stream];
  // Big streams go once measured: the standalone is shared.
  const dropStream = async (stream: string) => {
    await client.sealStream(stream);
    await client.deleteStream(stream);
  };

  // P3's rate: half of Java's P1 rate in this run, or measured now when P1 does not run.
  const javaP1Rates: number[] = [];
  let p3RateValue: number | undefined;
  const p3Rate = async () => {
    if (p3RateValue === undefined) {
      if (javaP1Rates.length === 0) {
        log(`P3: measuring Java's max rate (${size} B events) for the open-loop rate`);
        const lines = await javaPeer(
          ['bench-write', ...common(await javaStream()), '--count', '100000', '--size', String(size)],
          { timeoutMs: 600_000 },
        );
        javaP1Rates.push((lines.at(-1) as { eventsPerSec: number }).eventsPerSec);
      }
      p3RateValue = Math.round(median(javaP1Rates) / 2);
      log(
        `P3: open loop at ${p3RateValue.toLocaleString()} events/s (½ of Java's ${Math.round(median(javaP1Rates)).toLocaleString()})`,
      );
    }
    return p3RateValue;
  };
  const latencySample = (s: Record<string, number>) => {
    log(
      `P3   p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, p99.9 ${s.p999Ms} ms, max ${s.maxMs} ms; sent ${Math.round(s.sentPerSec!).toLocaleString()}/s`,
    );
    return s;
  };

  const sessionOptions = { count: p5Sessions, batch: 500, controller, scope, log };
  const fanoutSample = async (sharing: boolean) => {
    const s = await fanout({
      controller,
      scope,
      subscribers: p4Subscribers,
      processes: 2,
      segments: 4,
      rate: p4Rate,
      seconds: p4Seconds,
      warmupSeconds: 2,
      size,
      sharing,
      log,
    });
    log(
      `P4   sharing ${sharing ? 'on ' : 'off'}: read ${(s.readBytes / 1e6).toFixed(2)} MB for a ${(s.streamBytes / 1e6).toFixed(2)} MB stream (${s.amplification.toFixed(3)}×); delivered ${s.delivered.toLocaleString('en-US')}; p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms`,
    );
    return { amplification: s.amplification, p50Ms: s.p50Ms, p99Ms: s.p99Ms };
  };

  // P7's history: written once, by Java (the faster writer), read by both sides.
  const p7Events = Math.ceil((p7Mb * 1e6) / 1024);
  let historyPromise:
    | Promise<{ stream: string; events: number; warmup: number; tail: StreamCut; javaTail: string }>
    | undefined;
  const history = () =>
    (historyPromise ??= (async () => {
      const stream = await javaStream();
      const events = p7Events;
      log(`P7: writing the history, ${events.toLocaleString()} events of 1 KiB (${p7Mb} MB), with Java`);
      await javaPeer(['bench-write', ...common(stream), '--count', String(events), '--size', '1024', '--warmup', '0'], {
        timeoutMs: 1_800_000,
      });
      const info = await client.streamInfo(stream);
      const cut = (await javaPeer(['cut', ...common(stream)])).at(-1) as { tail: string };
      // Both sides read this much first, untimed, each phase (JIT, connections).
      const warmup = Math.min(events, 50_000);
      return { stream, events, warmup, tail: info.tail, javaTail: cut.tail };
    })());

  // T1–T4's table: written once (1,000 primary keys × the batch's secondary keys), read and
  // overwritten by both sides.
  const KVT_KEYS = 1000;
  let kvtTablePromise: Promise<string> | undefined;
  const kvtTable = () =>
    (kvtTablePromise ??= (async () => {
      const table = uniqueName('kvt');
      await client.createKeyValueTable(table, { partitions: 4, primaryKeyLength: KVT_PK, secondaryKeyLength: KVT_SK });
      log(`T: writing ${(KVT_KEYS * kvtBatch).toLocaleString()} keys to ${table}`);
      await populateKvt(client, table, KVT_KEYS, kvtBatch, size);
      return table;
    })());
  const kvtWorkloads = (): Workload[] =>
    (
      [
        ['T1', 'get', 1],
        ['T2', 'get', kvtBatch],
        ['T3', 'put', 1],
        ['T4', 'put', kvtBatch],
      ] as const
    ).map(([id, op, batch]) => {
      const count = batch === 1 ? kvtOps : Math.ceil(kvtOps / 4);
      const warmup = Math.ceil(count / 4);
      return {
        id,
        warmupRound: true,
        title: `key-value table ${op}${batch === 1 ? '' : `All of ${batch} keys`} ops/s, ${kvtInflight} in flight, ${size} B values`,
        unit: 'ops/s',
        before: async () => {
          await kvtTable();
        },
        java: async () => {
          const lines = await javaPeer(
            [
              'kvt-bench',
              '--controller',
              controller,
              '--scope',
              scope,
              '--table',
              await kvtTable(),
              '--pk',
              String(KVT_PK),
              '--sk',
              String(KVT_SK),
              '--op',
              op,
              '--count',
              String(count),
              '--warmup',
              String(warmup),
              '--batch',
              String(batch),
              '--inflight',
              String(kvtInflight),
              '--keys',
              String(KVT_KEYS),
              '--value',
              String(size),
            ],
            { timeoutMs: 600_000 },
          );
          return (lines.at(-1) as { opsPerSec: number }).opsPerSec;
        },
        sluice: async () =>
          sluiceKvt(client, await kvtTable(), {
            op,
            count,
            batch,
            warmup,
            inflight: kvtInflight,
            keys: KVT_KEYS,
            valueSize: size,
          }),
      };
    });
  // L1's history: written once by the SDK, read by every phase.
  let l1StreamPromise: Promise<string> | undefined;
  const l1Stream = () =>
    (l1StreamPromise ??= (async () => {
      const stream = await sluiceStream();
      log(`L1: writing ${l1Events.toLocaleString()} events of ${size} B over ${l1Keys.toLocaleString()} keys`);
      await writeLiveHistory(client, stream, { events: l1Events, keys: l1Keys, size });
      return stream;
    })());
  const l1Phase = async (mode: 'reader' | 'table') => {
    if (mode === 'table' && values['l1-map']) {
      // --l1-map: the same catch-up into a bare Map, logged only: the table's own share of the cost.
      const m = await liveCatchup({
        url: gateway.url,
        scope,
        stream: await l1Stream(),
        events: l1Events,
        keys: l1Keys,
        mode: 'map',
      });
      log(`L1 bare Map fed by a reader (diagnostic): ${fmt(m.eventsPerSec)} events/s, ${fmt(m.bytesPerKey)} B per key`);
    }
    const sample = await liveCatchup({
      url: gateway.url,
      scope,
      stream: await l1Stream(),
      events: l1Events,
      keys: l1Keys,
      mode,
    });
    return { ...sample };
  };
  const liveTableWorkload = (): Workload => ({
    id: 'L1',
    title: `live table catch-up, ${l1Events.toLocaleString('en-US')} × ${size} B events over ${l1Keys.toLocaleString('en-US')} keys, head → caught up`,
    unit: 'events/s',
    anchor: 'plain reader',
    metrics: [
      { key: 'eventsPerSec', title: '', unit: 'events/s', better: 'higher' },
      { key: 'mbPerSec', title: 'payload', unit: 'MB/s', better: 'higher' },
      { key: 'bytesPerKey', title: 'heap kept per key after GC', unit: 'B', better: 'lower' },
    ],
    before: async () => {
      await l1Stream();
    },
    java: () => l1Phase('reader'),
    sluice: () => l1Phase('table'),
    after: async () => {
      if (l1StreamPromise) await dropStream(await l1StreamPromise);
    },
  });
  // C1: 6 segments over the 3 stores; each phase kills the store owning most of them.
  const c1Rate = Number(values['c1-rate']);
  const c1Keys = 24;
  const recovery = async (
    newStream: () => Promise<string>,
    load: (stream: string) => RecoveryLoad,
    counters?: () => Promise<Record<string, number>>,
  ) => {
    if (!cluster) throw new Error('C1 runs on a cluster: pnpm bench --cluster');
    return measureRecovery({
      cluster,
      scope,
      newStream,
      rate: c1Rate,
      keys: c1Keys,
      warmupMs: 25_000,
      maxRecoveryMs: C1_MAX_RECOVERY_MS,
      startLoad: load,
      log,
      ...(counters ? { counters } : {}),
    });
  };
  // What the failover costs Sluice's side: CPU ms of this process and of the gateway, the
  // gateway's segment reconnects (each one a controller lookup and a connection attempt).
  const sideCounters = async () => {
    const own = process.cpuUsage();
    const text = await (await fetch(`http://127.0.0.1:${gateway.adminPort}/metrics`)).text();
    const sum = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(name))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    return {
      benchCpuMs: (own.user + own.system) / 1000,
      gatewayCpuMs: gateway.pid === undefined ? 0 : (processCpuMs(gateway.pid) ?? 0),
      reconnects: sum('sluice_segment_reconnects_total'),
    };
  };
  const c1Metric = (key: string, title: string) => ({ key, title, unit: 'ms', better: 'lower' as const });

  const workloads: Workload[] = [
    {
      id: 'C1',
      title: `recovery from a segment store's SIGKILL, ${c1Rate} events/s open loop + a reader`,
      unit: 'ms',
      rounds: Number(values['c1-rounds']),
      metrics: [
        c1Metric('failoverMs', "cluster's failover (controller names the new owner)"),
        c1Metric('writeMs', 'kill → first ack on a moved segment'),
        c1Metric('readMs', 'kill → first event read from a moved segment'),
        c1Metric('unmovedAckP99BeforeMs', 'ack p99, unmoved segments, 10 s before the kill'),
        c1Metric('unmovedAckP99DuringMs', 'ack p99, unmoved segments, during the failover'),
      ],
      java: async () =>
        recovery(
          () => javaStream(6),
          (stream) =>
            javaRecoveryLoad(controller, scope, stream, c1Rate, c1Keys, (25_000 + C1_MAX_RECOVERY_MS) / 1000 + 30),
        ),
      sluice: async () =>
        recovery(
          () => sluiceStream(6),
          (stream) => sluiceRecoveryLoad(client, stream, c1Rate, c1Keys),
          sideCounters,
        ),
    },
    {
      id: 'P1',
      warmupRound: true,
      title: `acked events/s, ${size} B events`,
      unit: 'events/s',
      java: async () => {
        const lines = await javaPeer(
          [
            'bench-write',
            ...common(await javaStream()),
            '--count',
            String(events),
            '--size',
            String(size),
            '--keys',
            '100',
          ],
          { timeoutMs: 600_000 },
        );
        const rate = (lines.at(-1) as { eventsPerSec: number }).eventsPerSec;
        javaP1Rates.push(rate);
        return rate;
      },
      sluice: async () => {
        const stream = await sluiceStream();
        // Java's bench-write warms up with 20,000 events on its writer (its default --warmup).
        const r = await sluiceWrite(client, stream, {
          count: events,
          size,
          keys: 100,
          warmup: Math.min(events, 20_000),
        });
        return r.eventsPerSec;
      },
    },
    {
      id: 'P2',
      warmupRound: true,
      // Each side's phase writes its warm-up (a fifth) and then the timed events.
      storeMB: ((p2Events + Math.ceil(p2Events / 5)) * 10240) / 1e6,
      title: 'MB/s, 10 KiB events',
      unit: 'MB/s',
      metrics: THROUGHPUT_AND_CPU,
      java: async () => {
        const stream = await javaStream();
        const lines = await javaPeer(
          [
            'bench-write',
            ...common(stream),
            '--count',
            String(p2Events),
            '--size',
            '10240',
            '--keys',
            '100',
            '--warmup',
            String(Math.ceil(p2Events / 5)),
          ],
          { timeoutMs: 600_000 },
        );
        await dropStream(stream);
        return javaThroughput(lines);
      },
      sluice: async () => {
        const stream = await sluiceStream();
        const { eventsPerSec, cpuMs } = await sluiceWrite(client, stream, {
          count: p2Events,
          size: 10240,
          keys: 100,
          warmup: Math.ceil(p2Events / 5),
          cpuMs: sluiceCpuMs,
        });
        await dropStream(stream);
        return { mbPerSec: (eventsPerSec * 10240) / 1e6, cpuMsPerMB: cpuMs! / ((p2Events * 10240) / 1e6) };
      },
    },
    {
      id: 'P3',
      title: `write→read latency, ${size} B events, open loop at ½ Java's P1 rate`,
      unit: 'ms',
      metrics: [
        { key: 'p50Ms', title: 'p50', unit: 'ms', better: 'lower' as const },
        { key: 'p99Ms', title: 'p99', unit: 'ms', better: 'lower' as const },
      ],
      java: async () => {
        const stream = await javaStream();
        const lines = await javaPeer(
          [
            'bench-latency',
            ...common(stream),
            '--rate',
            String(await p3Rate()),
            '--seconds',
            String(p3Seconds),
            '--warmup-seconds',
            '2',
            '--size',
            String(size),
            '--keys',
            '100',
          ],
          { timeoutMs: 600_000 },
        );
        await dropStream(stream);
        return latencySample(lines.at(-1) as Record<string, number>);
      },
      sluice: async () => {
        const stream = await sluiceStream();
        const rate = await p3Rate();
        const sample = await sluiceLatency(client, stream, {
          rate,
          seconds: p3Seconds,
          warmupSeconds: 2,
          size,
          keys: 100,
        });
        await dropStream(stream);
        return latencySample({ ...sample });
      },
    },
    {
      id: 'P4',
      title: `fan-out, ${p4Subscribers.toLocaleString('en-US')} readers of one stream on one gateway, ${p4Rate} × ${size} B events/s`,
      unit: '×',
      anchor: 'sharing off',
      metrics: [
        {
          key: 'amplification',
          title: 'Pravega bytes read ÷ stream bytes',
          unit: '×',
          better: 'lower' as const,
          ideal: 1,
        },
        { key: 'amplification', title: 'Pravega bytes read ÷ stream bytes', unit: '×', better: 'lower' as const },
        { key: 'p99Ms', title: 'delivery p99', unit: 'ms', better: 'lower' as const },
      ],
      java: async () => fanoutSample(false),
      sluice: async () => fanoutSample(true),
    },
    {
      id: 'P5',
      title: 'idle authenticated sessions, one gateway process',
      unit: 'sessions',
      anchor: 'bare ws',
      metrics: [
        { key: 'sessions', title: 'sessions held', unit: 'sessions', better: 'higher' as const },
        { key: 'kbPerSession', title: 'RSS per session', unit: 'KB', better: 'lower' as const },
      ],
      java: async () => ({ ...(await idleSessions('bare', sessionOptions)) }),
      sluice: async () => ({ ...(await idleSessions('sluice', sessionOptions)) }),
    },
    {
      id: 'P6',
      warmupRound: true,
      title: `commits/s, transactions of 100 × ${size} B events`,
      unit: 'commits/s',
      java: async () => {
        const lines = await javaPeer(
          [
            'bench-txn',
            ...common(await javaStream()),
            '--txns',
            String(txns),
            '--events',
            '100',
            '--size',
            String(size),
          ],
          { timeoutMs: 600_000 },
        );
        return (lines.at(-1) as { commitsPerSec: number }).commitsPerSec;
      },
      sluice: async () => sluiceTxns(client, await sluiceStream(), txns, 100, size, 5),
    },
    {
      id: 'P7',
      title: `catch-up read MB/s, ${p7Mb.toLocaleString()} MB of 1 KiB events, head → tail cut`,
      unit: 'MB/s',
      metrics: THROUGHPUT_AND_CPU,
      // The history is written before the rounds, so no phase pays for writing it.
      before: async () => {
        await history();
      },
      // Each phase reads the whole history (its warm-up included).
      storeMB: (p7Events * 1024) / 1e6,
      java: async () => {
        const h = await history();
        const lines = await javaPeer(
          [
            'bench-read',
            ...common(h.stream),
            '--expect',
            String(h.events),
            '--to',
            h.javaTail,
            '--warmup',
            String(h.warmup),
          ],
          { timeoutMs: 1_800_000 },
        );
        return javaThroughput(lines);
      },
      sluice: async () => {
        const h = await history();
        return sluiceCatchup(client, h.stream, h.tail, h.events, h.warmup, sluiceCpuMs);
      },
      after: async () => {
        if (historyPromise) await dropStream((await historyPromise).stream);
      },
    },
    ...kvtWorkloads(),
    liveTableWorkload(),
  ].filter((w) => values.only === 'all' || only.has(w.id));

  // Every phase starts on a store that finished the previous phase's work (see settle.ts).
  const quietStore = async () => {
    if (storePid === undefined) return undefined;
    const quiet = await settle(storePid);
    const { waitedMs, settled } = quiet;
    if (!settled) log(`the standalone was still busy after ${Math.round(waitedMs / 1000)} s; measuring anyway`);
    else if (waitedMs > 5_000) log(`waited ${Math.round(waitedMs / 1000)} s for the standalone to go quiet`);
    return quiet;
  };
  // With `storeMB`, also Pravega's cost of the phase: the standalone's CPU from the phase's start
  // until it is quiet again (its storage writer and collector finish after the last ack), less
  // its idle rate over that time — the same window for both sides, whatever their clients do.
  const onQuietStore = async (phase: () => Promise<Sample>, storeMB?: number): Promise<Sample> => {
    const quiet = await quietStore();
    const started = performance.now();
    const cpuBefore = storePid === undefined ? undefined : processCpuMs(storePid);
    const sample = await phase();
    if (storeMB === undefined || quiet === undefined || cpuBefore === undefined || typeof sample !== 'object')
      return sample;
    const after = await quietStore();
    const cpuAfter = processCpuMs(storePid!);
    if (!after?.settled || cpuAfter === undefined) return sample;
    const idleMs = Math.min(quiet.share, after.share) * (performance.now() - started);
    return { ...sample, storeCpuMsPerMB: Math.max(0, cpuAfter - cpuBefore - idleMs) / storeMB };
  };

  const results: Array<PlotRow & { java: number[]; sluice: number[] }> = [];
  const value = (s: Sample, key: string) => (typeof s === 'number' ? s : s[key]!);
  const failed: string[] = [];
  for (const w of workloads) {
    const anchor = w.anchor ?? 'Java';
    const metrics = w.metrics ?? [{ key: 'value', title: '', unit: w.unit, better: 'higher' as const }];
    log(`${w.id}: ${w.title}; ${w.rounds ?? rounds} round(s), ${anchor} and Sluice interleaved`);
    const java: Sample[] = [];
    const sluice: Sample[] = [];
    const show = (s: Sample) =>
      metrics
        .filter((m) => Number.isFinite(value(s, m.key)))
        .map((m) => `${fmt(value(s, m.key))} ${m.unit}${m.title ? ` ${m.title}` : ''}`)
        .join(', ');
    try {
      await w.before?.();
      if (w.warmupRound) {
        const a = await onQuietStore(w.java, w.storeMB);
        const b = await onQuietStore(w.sluice, w.storeMB);
        log(`${w.id} warm-up round (not counted): ${anchor} ${show(a)}, Sluice ${show(b)}`);
      }
      for (let r = 1; r <= (w.rounds ?? rounds); r++) {
        java.push(await onQuietStore(w.java, w.storeMB));
        log(`${w.id} round ${r}: ${anchor.padEnd(6)} ${show(java.at(-1)!)}`);
        sluice.push(await onQuietStore(w.sluice, w.storeMB));
        log(`${w.id} round ${r}: Sluice ${show(sluice.at(-1)!)}`);
      }
      await w.after?.();
    } catch (err) {
      // One failed workload is reported, and the others still run.
      log(`${w.id} FAILED: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`);
      failed.push(w.id);
      continue;
    }
    for (const m of metrics) {
      // A figure that could not be taken in some phase (e.g. no /proc) is left out of the median.
      const a = java.map((s) => m.ideal ?? value(s, m.key)).filter(Number.isFinite);
      const b = sluice.map((s) => value(s, m.key)).filter(Number.isFinite);
      if (a.length === 0 || b.length === 0) {
        log(`${w.id}: ${m.title || w.title} not measured in this run`);
        continue;
      }
      results.push({
        id: w.id,
        title: m.title ? `${m.title}, ${w.title}` : w.title,
        unit: m.unit,
        better: m.better,
        anchor: m.ideal !== undefined ? 'ideal' : anchor,
        java: a,
        sluice: b,
        anchorMedian: median(a),
        sluiceMedian: median(b),
        ratio: median(b) / median(a),
      });
    }
  }

  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  console.log('\n| workload | anchor (median) | Sluice (median) | Sluice ÷ anchor |');
  console.log('|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.id} ${r.title} (${r.unit}, ${r.better} is better) | ${r.anchor} ${fmt(r.anchorMedian)} | ${fmt(r.sluiceMedian)} | ${r.ratio.toFixed(2)}× |`,
    );
  }
  const date = new Date().toISOString();
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const base = `bench-${onCluster ? 'cluster-' : ''}${date.replace(/[:.]/g, '-')}`;
  const command = `pnpm bench ${process.argv.slice(2).join(' ')}`.trim();
  const json = new URL(`${base}.json`, dir);
  const svg = new URL(`${base}.svg`, dir);
  writeFileSync(
    json,
    `${JSON.stringify({ date, command, loadBefore, loadAfter: load, events, size, txns, rounds, failed, results }, null, 2)}\n`,
  );
  writeFileSync(
    svg,
    renderPlot(
      results,
      `${command} · ${date.slice(0, 16).replace('T', ' ')} UTC · ${cpus().length} cores, load ${loadBefore} → ${load}`,
    ),
  );
  // The cluster's figures have their own "latest": they do not replace the standalone's.
  const latest = onCluster ? 'cluster-latest' : 'latest';
  copyFileSync(json, new URL(`${latest}.json`, dir));
  copyFileSync(svg, new URL(`${latest}.svg`, dir));
  log(`wrote ${json.pathname} and ${svg.pathname} (and ${latest}.json, ${latest}.svg)`);

  await client.close();
  await undo();
  if (failed.length > 0) {
    log(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

/** Undone on the way out, after a failure too: no gateway process or standalone lease left behind. */
const cleanup: Array<() => Promise<void>> = [];
async function undo(): Promise<void> {
  for (const step of cleanup.splice(0)) await step().catch((err: unknown) => console.error(err));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void undo().then(() => process.exit(130));
  });
}

// A workload's stray rejection (e.g. writes rejected `outcome-unknown` while only the last one
// is awaited) must not end the process before the gateway and the standalone are stopped.
process.once('unhandledRejection', (err: unknown) => {
  console.error(err);
  void undo().then(() => process.exit(1));
});

main().catch(async (err: unknown) => {
  console.error(err);
  await undo();
  process.exit(1);
});
