/**
 * C1 of `pnpm bench --cluster`: recovery from a segment store's SIGKILL, one side at a time on the
 * same cluster. A writer writes open loop (event i due at start + i / rate, key "key-(i mod K)")
 * and a reader reads the stream from its head; after a warm-up the store that owns the most of the
 * stream's segments (not all) is SIGKILLed. Measured from the kill:
 * - failoverMs: until the controller names a live store for every segment the dead one owned
 *   (the cluster's own failover: polled every 100 ms with getURI, one segment at a time);
 * - writeMs: until the first acknowledgement of an event on a moved segment that was due after the
 *   store was gone (an event the dying store still took in its last milliseconds is no recovery);
 * - readMs: until the first event read from a moved segment that was due after the store was gone;
 * - the acknowledgement latency p99 (from the intended send time, so a blocked writer is charged
 *   for every event it delayed; an event never acknowledged counts until the phase's end) of
 *   events on segments that did not move: the 10 s before the kill, and from the kill until the
 *   failover completed.
 * Then the store is started again and the containers spread again before the next phase.
 */

import { writeFileSync } from 'node:fs';
import { ControllerClient } from '../../gateway/src/controller/controller-client.js';
import { type KeyedSegment, SegmentMap } from '../../gateway/src/streams/routing.js';
import type { ClusterHandle } from '../../scripts/cluster-lib.mjs';

export interface Timeline {
  /** Epoch ms at which event 0 was due. */
  startedMs: number;
  /** Event seq → epoch ms of its acknowledgement. */
  acks: Map<number, number>;
  /** Event seq → epoch ms at which the reader first returned it. */
  reads: Map<number, number>;
  ackErrors: number;
}

/** One side's load: started on a stream; `timeline` fills while it runs; `stop()` ends it. */
export interface RecoveryLoad {
  timeline: Timeline;
  /** Resolves once the writer and reader are running (timeline.startedMs set). */
  started: Promise<void>;
  stop(): Promise<void>;
}

export interface RecoveryOptions {
  cluster: ClusterHandle;
  scope: string;
  /** Creates a new stream of the side's (6 segments); another is made if one store owns all. */
  newStream: () => Promise<string>;
  rate: number;
  keys: number;
  warmupMs: number;
  /** Gives up waiting for the side to recover after this long from the kill. */
  maxRecoveryMs: number;
  startLoad: (stream: string) => RecoveryLoad;
  log: (line: string) => void;
  /**
   * Cumulative counters of the side (e.g. CPU ms of its processes, the gateway's reconnects),
   * read 10 s before the kill, at the kill and when the failover completed: their rates before
   * and during the failover are logged, to see what the failover costs the side.
   */
  counters?: () => Promise<Record<string, number>>;
}

export interface RecoverySample extends Record<string, number> {
  failoverMs: number;
  writeMs: number;
  readMs: number;
  unmovedAckP99BeforeMs: number;
  unmovedAckP99DuringMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function p99(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

export async function measureRecovery(o: RecoveryOptions): Promise<RecoverySample> {
  const controller = new ControllerClient({ uri: o.cluster.controllerUri, retryBudgetMs: 30_000 });
  try {
    let stream = '';
    let segments = new SegmentMap<KeyedSegment>([]);
    const stores = new Map(
      o.cluster.processes.filter((p) => p.kind === 'segmentstore').map((p) => [`${p.host}:${p.port}`, p.name]),
    );
    const ownerOf = async (segmentId: bigint): Promise<string> => {
      const e = await controller.getEndpoint(o.scope, stream, segmentId);
      return stores.get(`${e.host}:${e.port}`) ?? `${e.host}:${e.port}`;
    };
    const owners = new Map<bigint, string>();
    const counts = new Map<string, number>();
    let victim: string | undefined;
    // A stream whose segments all landed on one store (its containers) has nothing that stays: another.
    for (let attempt = 1; ; attempt++) {
      stream = await o.newStream();
      segments = new SegmentMap((await controller.getCurrentSegments(o.scope, stream)).segments);
      owners.clear();
      counts.clear();
      for (const s of segments.segments) owners.set(s.segmentId, await ownerOf(s.segmentId));
      for (const name of owners.values()) counts.set(name, (counts.get(name) ?? 0) + 1);
      [victim] = [...counts].filter(([, n]) => n < segments.segments.length).sort((a, b) => b[1] - a[1])[0] ?? [];
      if (victim) break;
      o.log(`C1   every segment of ${stream} is on ${[...counts.keys()]}: another stream`);
      if (attempt === 5)
        throw new Error(`one store owned every segment of 5 new streams: ${JSON.stringify([...counts])}`);
    }
    const moved = [...owners].filter(([, name]) => name === victim).map(([id]) => id);
    const keyMoved = Array.from({ length: o.keys }, (_, k) =>
      moved.includes(segments.segmentForKey(`key-${k}`).segmentId),
    );
    if (!keyMoved.includes(true) || !keyMoved.includes(false))
      throw new Error(`keys do not cover moved and unmoved segments: ${keyMoved}`);
    const movedSeq = (seq: number) => keyMoved[seq % o.keys]!;

    const load = o.startLoad(stream);
    await load.started;
    const t = load.timeline;
    const due = (seq: number) => t.startedMs + (seq * 1000) / o.rate;
    await sleep(Math.max(0, t.startedMs + o.warmupMs - 10_000 - Date.now()));
    const countersBefore = await o.counters?.();
    const beforeMs = Date.now();
    await sleep(Math.max(0, t.startedMs + o.warmupMs - Date.now()));
    if (t.acks.size === 0) throw new Error('nothing acknowledged during the warm-up');

    const countersAtKill = await o.counters?.();
    const killMs = Date.now();
    await o.cluster.kill(victim);
    // Resolved once the process is gone: what is due from now on can only land on a new owner.
    const goneMs = Date.now();
    o.log(
      `C1   SIGKILLed ${victim} (${moved.length} of ${segments.segments.length} segments; gone after ${goneMs - killMs} ms); waiting for recovery`,
    );
    let failoverAt: number | undefined;
    const stillOnVictim = [...moved];
    const firstAck = () => {
      let first = Number.POSITIVE_INFINITY;
      for (const [seq, at] of t.acks) if (due(seq) > goneMs && movedSeq(seq) && at < first) first = at;
      return first;
    };
    const firstRead = () => {
      let first = Number.POSITIVE_INFINITY;
      for (const [seq, at] of t.reads) if (due(seq) > goneMs && movedSeq(seq) && at < first) first = at;
      return first;
    };
    let lastShown = killMs;
    while (Date.now() - killMs < o.maxRecoveryMs) {
      if (failoverAt === undefined) {
        // In order, stopping at the first still on the dead store (a segment that moved stays
        // moved): one lookup per tick until the containers move, not one per moved segment, so
        // that this process (the SDK client's too) does not poll the controller 40 times a second.
        for (;;) {
          const next = stillOnVictim[0];
          if (next === undefined) break;
          const owner: string | undefined = await ownerOf(next).catch((): string | undefined => victim);
          if (owner === victim) break;
          stillOnVictim.shift();
        }
        if (stillOnVictim.length === 0) {
          const at = Date.now();
          failoverAt = at;
          const countersAtFailover = await o.counters?.();
          if (countersBefore && countersAtKill && countersAtFailover) {
            const rate = (a: Record<string, number>, b: Record<string, number>, k: string, ms: number) =>
              (((b[k] ?? 0) - (a[k] ?? 0)) * 1000) / ms;
            o.log(
              `C1   per second, 10 s before the kill → during the failover: ${Object.keys(countersAtKill)
                .map(
                  (k) =>
                    `${k} ${rate(countersBefore, countersAtKill, k, killMs - beforeMs).toFixed(1)} → ${rate(countersAtKill, countersAtFailover, k, at - killMs).toFixed(1)}`,
                )
                .join(', ')}`,
            );
          }
        }
      }
      const done = failoverAt !== undefined && Number.isFinite(firstAck()) && Number.isFinite(firstRead());
      // A few seconds more, so that the unmoved segments' window is fully acknowledged or not.
      if (done && Date.now() - Math.max(failoverAt!, firstAck(), firstRead()) > 3_000) break;
      if (Date.now() - lastShown >= 10_000) {
        lastShown = Date.now();
        o.log(
          `C1   ${Math.round((lastShown - killMs) / 1000)} s after the kill: failover ${failoverAt ? 'done' : 'not yet'}, ` +
            `moved segments: write ${Number.isFinite(firstAck()) ? 'resumed' : 'not yet'}, read ${Number.isFinite(firstRead()) ? 'resumed' : 'not yet'}`,
        );
      }
      await sleep(100);
    }
    const endMs = Date.now();
    await load.stop();

    // SLUICE_BENCH_C1_DUMP=<dir>: every event's due, ack and read times, to look into a phase.
    const dump = process.env.SLUICE_BENCH_C1_DUMP;
    if (dump) {
      const rows = [...t.acks.keys(), ...t.reads.keys()]
        .filter((seq, i, all) => all.indexOf(seq) === i)
        .sort((a, b) => a - b)
        .map((seq) => [
          seq,
          Math.round(due(seq) - killMs),
          movedSeq(seq) ? 1 : 0,
          (t.acks.get(seq) ?? 0) - killMs,
          (t.reads.get(seq) ?? 0) - killMs,
        ]);
      writeFileSync(
        `${dump}/c1-${stream}.json`,
        JSON.stringify({ victim, moved: moved.map(String), failoverAt: failoverAt && failoverAt - killMs, rows }),
      );
    }
    const failoverEnd = failoverAt ?? endMs;
    const unmovedLatency = (from: number, to: number) => {
      const out: number[] = [];
      const last = Math.floor(((to - t.startedMs) * o.rate) / 1000);
      for (let seq = Math.max(0, Math.ceil(((from - t.startedMs) * o.rate) / 1000)); seq <= last; seq++) {
        if (movedSeq(seq) || due(seq) >= endMs) continue;
        out.push((t.acks.get(seq) ?? endMs) - due(seq));
      }
      return out;
    };
    const sample: RecoverySample = {
      failoverMs: failoverAt === undefined ? Number.NaN : failoverAt - killMs,
      writeMs: firstAck() - killMs,
      readMs: firstRead() - killMs,
      unmovedAckP99BeforeMs: p99(unmovedLatency(killMs - 10_000, killMs)),
      unmovedAckP99DuringMs: p99(unmovedLatency(killMs, failoverEnd)),
    };
    // Not recovered within the limit: reported as at least the limit.
    for (const k of ['writeMs', 'readMs'] as const) if (!Number.isFinite(sample[k])) sample[k] = endMs - killMs;
    o.log(
      `C1   failover ${sample.failoverMs} ms; moved: first ack ${sample.writeMs} ms, first read ${sample.readMs} ms` +
        `${Number.isFinite(firstAck()) && Number.isFinite(firstRead()) ? '' : ' (NOT recovered within the limit: the limit)'}; ` +
        `unmoved ack p99 ${Math.round(sample.unmovedAckP99BeforeMs)} ms before, ${Math.round(sample.unmovedAckP99DuringMs)} ms during; ` +
        `ack errors ${t.ackErrors}`,
    );

    // The next phase gets the whole cluster, its containers spread again.
    await o.cluster.start(victim);
    await o.cluster.waitForContainers();
    return sample;
  } finally {
    await controller.close();
  }
}
