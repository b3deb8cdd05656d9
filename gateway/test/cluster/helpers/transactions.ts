/**
 * Transactional writers for the cluster tests and fault scenarios: each loops begin → write →
 * commit (or abort, for the transactions doomed on purpose), one transaction at a time, and
 * records what every transaction's commit or abort answered. Afterwards, with the cluster whole,
 * `resolveOutcomes` asks Pravega about the ones that did not answer, and `transactionVisibility`
 * counts what a read-back shows of each: a transaction is all-or-nothing, an aborted one shows
 * nothing. Payloads are "<key>|<writer>.t<n>|<j>": unique, and ordered within a transaction (the
 * fault checker's writer field), never across two (a commit of unknown outcome may land later).
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codeOf = (err: unknown) => (err as { code?: string }).code ?? String(err);

export interface TxnRecord {
  txnId: string;
  /**
   * 'pending' until commit() or abort() answers: then 'committed', 'aborted', or the error code
   * (e.g. outcome-unknown); after resolveOutcomes, an unanswered one reads "<code>→<status>".
   */
  outcome: string;
  /** True for the transactions aborted on purpose: none of their events may ever be read. */
  doomed: boolean;
  events: string[];
}

export interface TxnWriters {
  readonly txns: TxnRecord[];
  /** Transactions whose commit or abort answered (the writers make progress). */
  finished(): number;
  /** Stops beginning transactions; resolves when every writer's last one has settled. */
  stop(): Promise<void>;
}

export interface TxnWriterOptions {
  /** How many writers run at once, each with its own writer id. */
  writers: number;
  eventsPerTxn: number;
  keys: number;
  /** Every `abortEvery`-th transaction of a writer is aborted on purpose (0: none). */
  abortEvery: number;
  /** Pause between two transactions of one writer. */
  pauseMs: number;
}

export function startTransactionalWriters(client: SluiceClient, stream: string, opts: TxnWriterOptions): TxnWriters {
  const txns: TxnRecord[] = [];
  let stopping = false;

  const job = async (w: number) => {
    const label = `${stream}-txn${w}`;
    const writer = client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once', writerId: label });
    for (let n = 0; !stopping; n++) {
      const doomed = opts.abortEvery > 0 && n % opts.abortEvery === opts.abortEvery - 1;
      const record: TxnRecord = { txnId: '', outcome: 'pending', doomed, events: [] };
      let tx: Awaited<ReturnType<typeof writer.beginTxn>> | undefined;
      try {
        tx = await writer.beginTxn({ leaseMs: 120_000 });
        record.txnId = tx.txnId;
        txns.push(record);
        const writes: Promise<void>[] = [];
        for (let j = 0; j < opts.eventsPerTxn; j++) {
          const key = `key-${j % opts.keys}`;
          const payload = `${key}|w${w}.t${n}${doomed ? '-abort' : ''}|${j}`;
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
        // A transaction whose writes failed is not left open: abort it (its outcome stays
        // the failure's code until resolveOutcomes asks Pravega).
        if (tx && record.outcome !== 'outcome-unknown') await tx.abort().catch(() => {});
        await sleep(250);
      }
      await sleep(opts.pauseMs);
    }
    await writer.close().catch(() => {});
  };

  const all = Promise.all(Array.from({ length: opts.writers }, (_, w) => job(w)));
  return {
    txns,
    finished: () => txns.filter((t) => t.outcome === 'committed' || t.outcome === 'aborted').length,
    stop: async () => {
      stopping = true;
      await all;
    },
  };
}

/**
 * Transactions whose commit or abort did not answer: asks Pravega now that the cluster is whole.
 * One still open (its writes failed and so did its abort) is aborted now, so every transaction
 * ends committed or aborted.
 */
export async function resolveOutcomes(client: SluiceClient, stream: string, txns: readonly TxnRecord[]): Promise<void> {
  const status = (id: string) => client.transactionStatus(stream, id).catch(() => 'unknown');
  for (const t of txns) {
    if (!t.txnId || t.outcome === 'committed' || t.outcome === 'aborted') continue;
    let now = await status(t.txnId);
    if (now === 'open') {
      await client.abortTransaction(stream, t.txnId).catch(() => {});
      now = await status(t.txnId);
    }
    // Committing merges the transaction into each segment in turn: read only once it is done.
    for (let i = 0; i < 300 && (now === 'committing' || now === 'aborting'); i++) {
      await sleep(200);
      now = await status(t.txnId);
    }
    t.outcome = `${t.outcome}→${now}`;
  }
}

export interface TxnVisibility {
  /** Events of the transactions that answered committed, or were found committed. */
  committedEvents: string[];
  /** Events of aborted transactions (on purpose or found aborted) that a read shows. */
  abortedVisible: number;
  /** Transactions of any other outcome that show some but not all of their events. */
  partial: number;
}

export function transactionVisibility(txns: readonly TxnRecord[], seen: ReadonlySet<string>): TxnVisibility {
  const committed = (t: TxnRecord) => t.outcome === 'committed' || t.outcome.endsWith('→committed');
  const aborted = (t: TxnRecord) => t.doomed || t.outcome.endsWith('aborted');
  return {
    committedEvents: txns.filter(committed).flatMap((t) => t.events),
    abortedVisible: txns
      .filter(aborted)
      .flatMap((t) => t.events)
      .filter((e) => seen.has(e)).length,
    partial: txns
      .filter((t) => !committed(t) && !aborted(t))
      .filter((t) => {
        const n = t.events.filter((e) => seen.has(e)).length;
        return n > 0 && n < t.events.length;
      }).length,
  };
}
