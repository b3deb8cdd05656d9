/**
 * The dashboard's reader: reads one stream from its last checkpoint in IndexedDB (or the head),
 * keeps counts per routing key, and checkpoints {position, counts} atomically — in the loop when
 * events flow, and when the stream goes quiet — so a reload resumes exactly after the last
 * checkpointed event with the counts that belong to it.
 */
import {
  type Checkpoint,
  type CheckpointStore,
  checkpointStores,
  type EventReader,
  type ReadEvent,
  Serializers,
  type SluiceClient,
  SluiceError,
} from '@sluice/sdk';
import { parseEvent } from './event-format.js';
import { probing, report } from './probe.js';

/** What a checkpoint keeps besides the position: the counts that the position explains. */
export interface DashboardState {
  total: number;
  perKey: Record<string, number>;
  /** Last sequence number per "source|key", to notice a duplicate or out-of-order event. */
  lastSeq: Record<string, number>;
  orderViolations: number;
}

export interface LiveReaderEvents {
  onEvent(ev: ReadEvent<string>, key: string, state: DashboardState): void;
  onCheckpoint(stored: Checkpoint): void;
  onError(error: SluiceError): void;
}

const CHECKPOINT_EVERY_MS = 1000;
const CHECKPOINT_EVERY_EVENTS = 2000;

export class LiveReader {
  readonly store: CheckpointStore = checkpointStores.indexedDb('sluice-dashboard');
  readonly reader: EventReader<string>;
  state: DashboardState = { total: 0, perKey: {}, lastSeq: {}, orderViolations: 0 };
  /** The checkpoint this page resumed from (undefined: none, started at the head). */
  resumedFrom: Checkpoint | undefined;
  private waiting = false;
  private checkpointing: Promise<void> | undefined;
  private checkpointedTotal = 0;
  private lastCheckpointAt = Date.now();
  private probeBatch: unknown[] = [];

  constructor(
    client: SluiceClient,
    readonly stream: string,
    private readonly events: LiveReaderEvents,
  ) {
    this.reader = client.reader(stream, {
      serializer: Serializers.utf8(),
      from: 'head',
      checkpoints: this.store,
    });
  }

  /** The key the SDK stores this reader's checkpoints under. */
  get checkpointKey(): string {
    return this.reader.streams.join(',');
  }

  async start(): Promise<void> {
    this.resumedFrom = await this.store.load(this.checkpointKey);
    const restored = await this.reader.restoredState<DashboardState>();
    if (restored) this.state = restored;
    this.checkpointedTotal = this.state.total;
    report('resumed', { id: this.resumedFrom?.id ?? 0, total: this.state.total });
    setInterval(() => this.checkpointWhenQuiet(), 300);
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      const it = this.reader[Symbol.asyncIterator]();
      for (;;) {
        this.waiting = true;
        const next = await it.next();
        this.waiting = false;
        if (next.done) return;
        this.apply(next.value);
        if (
          this.state.total - this.checkpointedTotal >= CHECKPOINT_EVERY_EVENTS ||
          Date.now() - this.lastCheckpointAt >= CHECKPOINT_EVERY_MS
        )
          await this.checkpoint();
      }
    } catch (err) {
      this.events.onError(SluiceError.from(err));
    }
  }

  private apply(ev: ReadEvent<string>): void {
    const { source, key, seq } = parseEvent(ev.value);
    const s = this.state;
    if (seq !== undefined) {
      const id = `${source}|${key}`;
      const last = s.lastSeq[id];
      if (last !== undefined && seq <= last) s.orderViolations++;
      s.lastSeq[id] = seq;
    }
    s.perKey[key] = (s.perKey[key] ?? 0) + 1;
    if (probing())
      this.probeBatch.push({ i: s.total, value: ev.value, segment: String(ev.segment), offset: String(ev.offset) });
    s.total++;
    this.events.onEvent(ev, key, s);
  }

  /**
   * Saves position + counts. Called only between events (in the loop, or while the loop waits
   * for a socket message), so the position and the counts always describe the same event.
   */
  checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing;
    const run = (async () => {
      // Every event the checkpoint covers is reported before it is saved (tests rely on it).
      this.flushProbe();
      const total = this.state.total;
      await this.reader.checkpoint({ state: structuredClone(this.state) });
      this.checkpointedTotal = total;
      this.lastCheckpointAt = Date.now();
      const stored = await this.store.load(this.checkpointKey);
      if (stored) {
        report('checkpoint', { id: stored.id, total });
        this.events.onCheckpoint(stored);
      }
    })();
    this.checkpointing = run;
    void run.finally(() => {
      this.checkpointing = undefined;
    });
    return run;
  }

  private checkpointWhenQuiet(): void {
    this.flushProbe();
    if (this.waiting && !this.checkpointing && this.state.total !== this.checkpointedTotal)
      this.checkpoint().catch((err: unknown) => this.events.onError(SluiceError.from(err)));
  }

  private flushProbe(): void {
    if (this.probeBatch.length === 0) return;
    report('events', this.probeBatch);
    this.probeBatch = [];
  }
}
