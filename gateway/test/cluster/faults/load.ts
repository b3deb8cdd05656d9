/**
 * The load a cluster fault scenario runs through the gateway while processes die: paced
 * at-least-once writers, a transactional writer (a committed transaction, then one aborted on
 * purpose, in turn) and a live reader from the head. Every payload is unique,
 * "<key>|<writer>|<seq>", so the checker (../../faults/checker.ts) can count what was lost,
 * duplicated or reordered. Writes that fail are kept as unknown, never as acknowledged.
 */
import { type EventReader, type EventWriter, Serializers, type SluiceClient } from '@sluice/sdk';
import { startTransactionalWriters, type TxnRecord } from '../helpers/transactions.js';

export type { TxnRecord } from '../helpers/transactions.js';

const KEYS = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codeOf = (err: unknown) => (err as { code?: string }).code ?? String(err);

export interface Load {
  attempted: string[];
  acked: Set<string>;
  /** Write errors by code (their events are unknown: allowed to be read or not). */
  writeErrors: Map<string, number>;
  txns: TxnRecord[];
  /** What the live reader delivered, in order. */
  liveRead: string[];
  readerErrors: string[];
  /** Acknowledged events + finished transactions: grows while the cluster serves. */
  progress(): number;
  /** Stops writing; resolves when every write and transaction has settled. */
  stop(): Promise<void>;
  /** Waits until the live reader delivered `n` events (or `waitMs` passed); then closes it. */
  closeReader(n: number, waitMs: number): Promise<void>;
}

export interface LoadOptions {
  writers: number;
  /** Events per second per at-least-once writer. */
  ratePerWriter: number;
  eventsPerTxn: number;
}

export function startLoad(client: SluiceClient, stream: string, opts: LoadOptions): Load {
  const attempted: string[] = [];
  const acked = new Set<string>();
  const writeErrors = new Map<string, number>();
  const liveRead: string[] = [];
  const readerErrors: string[] = [];
  let stopping = false;
  const fail = (code: string) => writeErrors.set(code, (writeErrors.get(code) ?? 0) + 1);

  const writerJob = async (w: number) => {
    // A writer that failed is replaced by a new one (a new id: its sequence starts afresh).
    for (let generation = 0; !stopping; generation++) {
      const id = `w${w}.${generation}`;
      const writer: EventWriter<string> = client.writer(stream, {
        serializer: Serializers.utf8(),
        writerId: `${stream}-${id}`,
        // The faults heal: a write waits for them rather than failing on a clock.
        deliveryTimeoutMs: 0,
      });
      let broken = false;
      const pending = new Set<Promise<void>>();
      const batch = Math.max(1, Math.round(opts.ratePerWriter / 10));
      for (let i = 0; !stopping && !broken; i++) {
        const key = `key-${i % KEYS}`;
        const payload = `${key}|${id}|${i}`;
        attempted.push(payload);
        const p: Promise<void> = writer.write(payload, key).then(
          () => void acked.add(payload),
          (err: unknown) => {
            broken = true;
            fail(codeOf(err));
          },
        );
        pending.add(p);
        void p.finally(() => pending.delete(p));
        if (i % batch === batch - 1) await sleep(100);
        // Bounded: during a stall the writer waits instead of piling writes up.
        while (pending.size >= 2_000 && !broken) await Promise.race(pending);
      }
      await Promise.all(pending);
      await writer.close().catch((err: unknown) => fail(`close:${codeOf(err)}`));
    }
  };

  const reader: EventReader<string> = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
  let readerClosed = false;
  const readJob = (async () => {
    try {
      for await (const ev of reader) liveRead.push(ev.value);
    } catch (err) {
      if (!readerClosed) readerErrors.push(codeOf(err));
    }
  })();

  // One transactional writer: a committed transaction, then one aborted on purpose, in turn.
  const txnWriter = startTransactionalWriters(client, stream, {
    writers: 1,
    eventsPerTxn: opts.eventsPerTxn,
    keys: KEYS,
    abortEvery: 2,
    pauseMs: 200,
  });
  const txns: TxnRecord[] = txnWriter.txns;
  const all = Promise.all(Array.from({ length: opts.writers }, (_, w) => writerJob(w)));
  return {
    attempted,
    acked,
    writeErrors,
    txns,
    liveRead,
    readerErrors,
    progress: () => acked.size + txnWriter.finished(),
    stop: async () => {
      stopping = true;
      await Promise.all([all, txnWriter.stop()]);
    },
    closeReader: async (n, waitMs) => {
      const until = Date.now() + waitMs;
      while (liveRead.length < n && readerErrors.length === 0 && Date.now() < until) await sleep(200);
      readerClosed = true;
      await reader.close();
      await readJob;
    },
  };
}
