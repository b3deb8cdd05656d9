/**
 * The transaction panel: build a batch inside a Pravega transaction, prepare it, then commit or
 * abort it. A prepared transaction's id is recorded in localStorage before anything else, so a
 * tab that is closed or reloaded finds it on its next load and commits it — or says loudly that
 * Pravega aborted it and its events are lost.
 */
import { type EventWriter, Serializers, type SluiceClient, SluiceError, type Transaction } from '@sluice/sdk';
import { formatEvent, shortId } from './event-format.js';
import { report } from './probe.js';

export interface RecordedTxn {
  stream: string;
  txnId: string;
  events: number;
  preparedAt: string;
}

export type TxnView =
  | { phase: 'none' }
  | { phase: 'open' | 'prepared'; txnId: string; events: number }
  | { phase: 'committed' | 'aborted'; txnId: string; events: number }
  | { phase: 'recovered'; txnId: string; events: number; outcome: 'committed' | 'aborted' | 'unknown'; message: string }
  | { phase: 'error'; message: string };

const recordKey = (stream: string) => `sluice.dashboard.preparedTxn.${stream}`;

export class TxnBuilder {
  private readonly writer: EventWriter<string>;
  private tx: Transaction<string> | undefined;
  private events = 0;
  private readonly source = `txn-${shortId()}`;

  constructor(
    private readonly client: SluiceClient,
    private readonly stream: string,
    private readonly onView: (view: TxnView) => void,
  ) {
    this.writer = client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
  }

  /** On page load: a transaction prepared by an earlier page is committed (or reported aborted). */
  async recover(): Promise<void> {
    const raw = localStorage.getItem(recordKey(this.stream));
    if (!raw) return;
    const rec = JSON.parse(raw) as RecordedTxn;
    const status = await this.client.transactionStatus(rec.stream, rec.txnId);
    let view: TxnView;
    if (status === 'open' || status === 'committing' || status === 'committed') {
      if (status !== 'committed') await this.client.commitTransaction(rec.stream, rec.txnId);
      view = {
        phase: 'recovered',
        txnId: rec.txnId,
        events: rec.events,
        outcome: 'committed',
        message: `Transaction ${rec.txnId} (${rec.events} events, prepared ${new Date(rec.preparedAt).toLocaleTimeString()} before this page loaded) was found ${status} and is now committed.`,
      };
    } else {
      view = {
        phase: 'recovered',
        txnId: rec.txnId,
        events: rec.events,
        outcome: status === 'unknown' ? 'unknown' : 'aborted',
        message: `Transaction ${rec.txnId} (${rec.events} events, prepared ${new Date(rec.preparedAt).toLocaleTimeString()}) is ${status.toUpperCase()} in Pravega: its events are LOST.`,
      };
    }
    localStorage.removeItem(recordKey(this.stream));
    report('txn-recovered', view);
    this.onView(view);
  }

  async begin(): Promise<void> {
    await this.run(async () => {
      this.tx = await this.writer.beginTxn({ leaseMs: 60_000 });
      this.events = 0;
      this.show('open');
    });
  }

  async add(count: number, keys: number): Promise<void> {
    await this.run(async () => {
      const tx = this.need('open');
      const writes: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const key = `key-${(this.events % keys).toString()}`;
        writes.push(tx.write(formatEvent(this.source, key, this.events), key));
        this.events++;
      }
      await Promise.all(writes);
      this.show('open');
    });
  }

  async prepare(): Promise<void> {
    await this.run(async () => {
      const tx = this.need('open');
      await tx.prepare();
      const rec: RecordedTxn = {
        stream: tx.stream,
        txnId: tx.txnId,
        events: this.events,
        preparedAt: new Date().toISOString(),
      };
      localStorage.setItem(recordKey(this.stream), JSON.stringify(rec));
      report('txn-prepared', rec);
      this.show('prepared');
    });
  }

  async commit(): Promise<void> {
    await this.run(async () => {
      const tx = this.need('prepared');
      await tx.commit();
      localStorage.removeItem(recordKey(this.stream));
      this.show('committed');
      this.tx = undefined;
    });
  }

  async abort(): Promise<void> {
    await this.run(async () => {
      const tx = this.tx;
      if (!tx) throw new SluiceError('invalid-argument', 'no transaction');
      await tx.abort();
      localStorage.removeItem(recordKey(this.stream));
      this.show('aborted');
      this.tx = undefined;
    });
  }

  private need(phase: 'open' | 'prepared'): Transaction<string> {
    const tx = this.tx;
    const now = tx?.status === 'prepared' ? 'prepared' : tx ? 'open' : 'none';
    if (!tx || now !== phase) throw new SluiceError('invalid-argument', `the transaction is ${now}, not ${phase}`);
    return tx;
  }

  private show(phase: 'open' | 'prepared' | 'committed' | 'aborted'): void {
    this.onView({ phase, txnId: this.tx?.txnId ?? '', events: this.events });
  }

  private async run(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      const e = SluiceError.from(err);
      this.onView({ phase: 'error', message: `${e.code}: ${e.message}` });
    }
  }
}
