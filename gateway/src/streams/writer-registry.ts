/**
 * The process-wide set of StreamWriters, one per (stream, writerId): a session that reconnects
 * to this gateway finds the writer still holding its in-flight events, so a resend waits for
 * the original instead of racing it. Writers with no session and nothing in flight are closed.
 * Every writer charges what it holds unacknowledged to the gateway's in-flight account.
 */
import type { Logger } from 'pino';
import type { ControllerClient, SegmentRange } from '../controller/controller-client.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { AccountedWriter } from './accounted-writer.js';
import type { InflightAccount } from './inflight-account.js';
import type { WriterObserver } from './stream-writer.js';

const SWEEP_MS = 30_000;

export class WriterRegistry {
  private readonly writers = new Map<string, AccountedWriter>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly controller: ControllerClient,
    private readonly segments: SegmentStoreClient,
    private readonly logger: Logger,
    /** The gateway's in-flight account, which every writer's unacknowledged bytes are charged to. */
    readonly inflight: InflightAccount,
    /** Hears every writer's acknowledgements (metrics). */
    private readonly observer?: WriterObserver,
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

  get(scope: string, stream: string, writerId: string): AccountedWriter {
    const key = `${scope}/${stream}\0${writerId}`;
    let writer = this.writers.get(key);
    if (writer?.failed) {
      // It routes nothing it holds any more: a fresh one takes the client's resends.
      writer.close();
      writer = undefined;
    }
    if (!writer) {
      writer = new AccountedWriter(this.inflight, this.controller, this.segments, this.logger, scope, stream, writerId);
      writer.observer = this.observer;
      this.writers.set(key, writer);
    }
    return writer;
  }

  /**
   * A writer into one open transaction's segments, charged like the others but not shared: a
   * transaction channel has it to itself and closes it.
   */
  transactional(
    logger: Logger,
    scope: string,
    stream: string,
    txn: { txnId: string; segments: SegmentRange[] },
  ): AccountedWriter {
    const writer = new AccountedWriter(
      this.inflight,
      this.controller,
      this.segments,
      logger,
      scope,
      stream,
      `txn:${txn.txnId}`,
      txn,
    );
    writer.observer = this.observer;
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
