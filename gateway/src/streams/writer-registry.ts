/**
 * The process-wide set of StreamWriters, one per (stream, writerId): a session that reconnects
 * to this gateway finds the writer still holding its in-flight events, so a resend waits for
 * the original instead of racing it. Writers with no session and nothing in flight are closed.
 */
import type { Logger } from 'pino';
import type { ControllerClient } from '../controller/controller-client.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { StreamWriter } from './stream-writer.js';

const SWEEP_MS = 30_000;

export class WriterRegistry {
  private readonly writers = new Map<string, StreamWriter>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly controller: ControllerClient,
    private readonly segments: SegmentStoreClient,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  get size(): number {
    return this.writers.size;
  }

  /** Bytes received from clients and not yet acknowledged by Pravega, over all writers. */
  get unackedBytes(): number {
    let n = 0;
    for (const writer of this.writers.values()) n += writer.unackedBytes;
    return n;
  }

  get(scope: string, stream: string, writerId: string): StreamWriter {
    const key = `${scope}/${stream}\0${writerId}`;
    let writer = this.writers.get(key);
    if (!writer) {
      writer = new StreamWriter(this.controller, this.segments, this.logger, scope, stream, writerId);
      this.writers.set(key, writer);
    }
    return writer;
  }

  sweep(): void {
    for (const [key, writer] of this.writers) {
      if (writer.isIdle) {
        writer.close();
        this.writers.delete(key);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const writer of this.writers.values()) writer.close();
    this.writers.clear();
  }
}
