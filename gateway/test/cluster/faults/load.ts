/**
 * The load a cluster fault scenario runs through the gateway while processes die: paced
 * at-least-once writers, a transactional writer (a committed transaction, then one aborted on
 * purpose, in turn) and a live reader from the head. Every payload is unique,
 * "<key>|<writer>|<seq>", so the checker (../../faults/checker.ts) can count what was lost,
 * duplicated or reordered. Writes that fail are kept as unknown, never as acknowledged.
 */
import { type EventReader, type EventWriter, Serializers, type SluiceClient } from '@sluice/sdk';

const KEYS = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codeOf = (err: unknown) => (err as { code?: string }).code ?? String(err);

export interface TxnRecord {
  txnId: string;
  /** What commit() or abort() answered: 'committed', 'aborted', or the error code (e.g. outcome-unknown). */
  outcome: string;
  /** True for the transactions aborted on purpose: none of their events may ever be read. */
  doomed: boolean;
  events: string[];
}

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
  const txns: TxnRecord[] = [];
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

  const txnJob = async () => {
    const writer = client.writer(stream, {
      serializer: Serializers.utf8(),
      mode: 'exactly-once',
      writerId: `${stream}-txn`,
    });
    let seq = 0;
    for (let n = 0; !stopping; n++) {
      const doomed = n % 2 === 1;
      const record: TxnRecord = { txnId: '', outcome: 'not-begun', doomed, events: [] };
      try {
        const tx = await writer.beginTxn({ leaseMs: 120_000 });
        record.txnId = tx.txnId;
        txns.push(record);
        const writes: Promise<void>[] = [];
        for (let j = 0; j < opts.eventsPerTxn; j++) {
          const key = `key-${j % KEYS}`;
          const payload = doomed ? `${key}|abort|${n}.${j}` : `${key}|txn|${seq++}`;
          record.events.push(payload);
          writes.push(tx.write(payload, key));
        }
        await Promise.all(writes);
        if (doomed) {
          await tx.abort();
          record.outcome = 'aborted';
        } else {
          await tx.commit();
          record.outcome = 'committed';
        }
      } catch (err) {
        record.outcome = codeOf(err);
        await sleep(250);
      }
      await sleep(200);
    }
    await writer.close().catch(() => {});
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

  const jobs = [...Array.from({ length: opts.writers }, (_, w) => writerJob(w)), txnJob()];
  const all = Promise.all(jobs);
  return {
    attempted,
    acked,
    writeErrors,
    txns,
    liveRead,
    readerErrors,
    progress: () => acked.size + txns.filter((t) => t.outcome === 'committed' || t.outcome === 'aborted').length,
    stop: async () => {
      stopping = true;
      await all;
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
