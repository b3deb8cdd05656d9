/**
 * The producer panel's writer: at-least-once writes at a chosen rate, spread over a number of
 * routing keys, as "web-<id>|key-N|seq" with a sequence per key. A write counts as acknowledged
 * only when its promise resolves (Pravega stored it); across reconnects the SDK resends the
 * unacknowledged ones and Pravega drops what it already had.
 */
import { type EventWriter, Serializers, type SluiceClient, SluiceError } from '@sluice/sdk';
import { formatEvent, shortId } from './event-format.js';
import { report } from './probe.js';

export interface ProducerStats {
  source: string;
  sent: number;
  acked: number;
  failed: number;
  lastError: SluiceError | undefined;
}

const TICK_MS = 100;

export class Producer {
  readonly source = `web-${shortId()}`;
  readonly stats: ProducerStats = { source: this.source, sent: 0, acked: 0, failed: 0, lastError: undefined };
  private readonly writer: EventWriter<string>;
  private readonly seqPerKey = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private owed = 0;

  constructor(
    client: SluiceClient,
    stream: string,
    private readonly onChange: (stats: ProducerStats) => void,
  ) {
    this.writer = client.writer(stream, { serializer: Serializers.utf8(), mode: 'at-least-once' });
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Writes `rate` events per second over `keys` keys until stop(). */
  start(rate: number, keys: number): void {
    this.stop();
    this.owed = 0;
    this.timer = setInterval(() => {
      this.owed += (rate * TICK_MS) / 1000;
      for (; this.owed >= 1; this.owed--) this.writeOne(`key-${(this.stats.sent % Math.max(1, keys)).toString()}`);
    }, TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves once every write so far is acknowledged. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  private writeOne(key: string): void {
    const seq = this.seqPerKey.get(key) ?? 0;
    this.seqPerKey.set(key, seq + 1);
    this.stats.sent++;
    this.writer.write(formatEvent(this.source, key, seq), key).then(
      () => {
        this.stats.acked++;
        report('acked', { source: this.source, key, seq });
        this.onChange(this.stats);
      },
      (err: unknown) => {
        this.stats.failed++;
        this.stats.lastError = SluiceError.from(err);
        this.onChange(this.stats);
      },
    );
  }
}
