/**
 * The two sides' loads for C1 (./cluster-recovery.ts): the same open-loop writer and head reader,
 * through the SDK and gateway, or in Pravega's Java client (the Java peer's `bench-failover`).
 * Payloads are "key-k|side|seq"; event seq is due at start + seq / rate on key "key-(seq mod K)".
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { spawnJavaPeer } from '../../interop/test/java-peer.js';
import type { RecoveryLoad, Timeline } from './cluster-recovery.js';

const seqOf = (payload: string) => Number(payload.slice(payload.lastIndexOf('|') + 1));
const newTimeline = (): Timeline => ({ startedMs: 0, acks: new Map(), reads: new Map(), ackErrors: 0 });

export function sluiceRecoveryLoad(client: SluiceClient, stream: string, rate: number, keys: number): RecoveryLoad {
  const timeline = newTimeline();
  const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
  // The failover is the fault under test: a write waits for it rather than failing on a clock.
  const writer = client.writer(stream, { serializer: Serializers.utf8(), deliveryTimeoutMs: 0 });
  let stopping = false;
  let reading: Promise<void> = Promise.resolve();
  let writing: Promise<void> = Promise.resolve();
  const started = (async () => {
    await reader.ready();
    timeline.startedMs = Date.now();
    reading = (async () => {
      try {
        for await (const ev of reader) {
          const seq = seqOf(ev.value);
          if (!timeline.reads.has(seq)) timeline.reads.set(seq, Date.now());
        }
      } catch {
        // closed by stop()
      }
    })();
    writing = (async () => {
      for (let seq = 0; !stopping; seq++) {
        const wait = timeline.startedMs + (seq * 1000) / rate - Date.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const key = `key-${seq % keys}`;
        writer.write(`${key}|sluice|${seq}`, key).then(
          () => void timeline.acks.set(seq, Date.now()),
          () => void timeline.ackErrors++,
        );
      }
    })();
  })();
  return {
    timeline,
    started,
    stop: async () => {
      stopping = true;
      await writing;
      await reader.close();
      await reading;
      // Writes still waiting for a segment are not waited for: the phase is over.
      void writer.close().catch(() => {});
    },
  };
}

export function javaRecoveryLoad(
  controller: string,
  scope: string,
  stream: string,
  rate: number,
  keys: number,
  maxSeconds: number,
): RecoveryLoad {
  const timeline = newTimeline();
  const peer = spawnJavaPeer([
    'bench-failover',
    ...['--controller', controller, '--scope', scope, '--stream', stream],
    ...['--rate', String(rate), '--keys', String(keys), '--seconds', String(maxSeconds)],
  ]);
  let resolveStarted!: () => void;
  let rejectStarted!: (err: unknown) => void;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  const consuming = (async () => {
    try {
      for await (const line of peer) {
        if (typeof line.startedMs === 'number') {
          timeline.startedMs = line.startedMs;
          resolveStarted();
        }
        for (const [seq, at] of (line.acks as [number, number][] | undefined) ?? []) timeline.acks.set(seq, at);
        for (const [seq, at] of (line.reads as [number, number][] | undefined) ?? [])
          if (!timeline.reads.has(seq)) timeline.reads.set(seq, at);
        if (typeof line.ackErrors === 'number') timeline.ackErrors = line.ackErrors;
      }
      rejectStarted(new Error(`java bench-failover ended before it started:\n${peer.stderrTail()}`));
    } catch (err) {
      rejectStarted(err);
    }
  })();
  return {
    timeline,
    started,
    stop: async () => {
      await peer.stop('SIGKILL');
      await consuming;
    },
  };
}
