/**
 * A StreamWriter whose unacknowledged bytes are charged to the gateway's in-flight account, and
 * to the account of the session whose channel holds it (its owner) while one does. Its bytes
 * stay charged after its session is gone, for as long as it keeps them (a reconnecting client's
 * resend waits for them): what counts is what this process holds, whoever asked for it.
 *
 * The charge follows `unackedBytes` at the only points where it changes — after an append, an
 * acknowledgement, and closing — so the accounts never need the writer's internals.
 */
import type { SegmentAppender } from '../segmentstore/appender.js';
import type { InflightAccount } from './inflight-account.js';
import { StreamWriter, type WriterListener } from './stream-writer.js';

export class AccountedWriter extends StreamWriter {
  private charged = 0;
  private owner: InflightAccount | undefined;
  private listening: WriterListener | undefined;
  private ended = false;

  constructor(
    /** The gateway's account; the owner's draws on it. */
    private readonly total: InflightAccount,
    ...args: ConstructorParameters<typeof StreamWriter>
  ) {
    super(...args);
  }

  /** Bytes charged now (what `unackedBytes` was at the last change). */
  get chargedBytes(): number {
    return this.charged;
  }

  /**
   * Charges this writer's bytes to `owner` (a session's account) from now on, moving what is
   * charged already; undefined: to the gateway's account alone.
   */
  setOwner(owner: InflightAccount | undefined): void {
    if (owner === this.owner || this.ended) return;
    this.owner?.addHere(-this.charged);
    owner?.addHere(this.charged);
    this.owner = owner;
  }

  override append(
    firstSeq: number,
    payloads: readonly Uint8Array[],
    keys: readonly (string | undefined)[],
    lease?: Parameters<StreamWriter['append']>[3],
  ): void {
    super.append(firstSeq, payloads, keys, lease);
    this.sync();
  }

  override onAcked(appender: SegmentAppender, through: number): void {
    super.onAcked(appender, through);
    this.sync();
  }

  /** A new listener's session is not the owner until its channel says so (setOwner). */
  override attach(listener: WriterListener): void {
    super.attach(listener);
    this.listening = listener;
    this.setOwner(undefined);
  }

  override detach(listener: WriterListener): void {
    super.detach(listener);
    if (this.listening !== listener) return;
    this.listening = undefined;
    this.setOwner(undefined);
  }

  /** What is still unacknowledged is dropped with the writer: its bytes are freed. */
  override close(): void {
    super.close();
    if (this.ended) return;
    (this.owner ?? this.total).add(-this.charged);
    this.charged = 0;
    this.owner = undefined;
    this.ended = true;
  }

  private sync(): void {
    if (this.ended) return;
    const delta = this.unackedBytes - this.charged;
    if (delta === 0) return;
    this.charged += delta;
    (this.owner ?? this.total).add(delta);
  }
}
