/**
 * What writer and transaction channels share: appends held until the Pravega writer is up (the
 * SDK pipelines them right behind the open frame), the in-flight limit, and acknowledgements
 * forwarded only as Pravega gives them.
 */
import type { AppendPart } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { GatewayError } from '../errors.js';
import { AccountedWriter } from '../streams/accounted-writer.js';
import { inflightCost } from '../streams/inflight-account.js';
import type { StreamWriter, WriterListener } from '../streams/stream-writer.js';
import { EVENT_HEADER_BYTES } from '../wire/index.js';
import type { AppendBatch } from './append-frame.js';
import type { Channel, ChannelHost } from './channel-host.js';
import { EventAssembly, PRAVEGA_MAX_EVENT_BYTES } from './event-assembly.js';
import { encodeServerFrame } from './frames.js';

export abstract class AppendingChannel implements Channel, WriterListener {
  protected writer: StreamWriter | undefined;
  protected closed = false;
  private readonly early: AppendBatch[] = [];
  private earlyBytes = 0;
  /** What the early appends are charged to the session's in-flight account until a writer takes them. */
  private earlyCharge = 0;
  /** A large event arriving in parts (AppendPart), while incomplete. */
  private assembly: EventAssembly | undefined;
  /** What its parts are charged to the session's in-flight account until the event is whole. */
  private assemblyCharge = 0;

  constructor(
    protected readonly session: ChannelHost,
    protected readonly channel: number,
  ) {
    // Start after the session has registered this channel, so an early failure can close it.
    queueMicrotask(() => void this.open());
  }

  /** The Pravega-side writer once the channel is open (event time reads its position). */
  get openWriter(): StreamWriter | undefined {
    return this.writer;
  }

  protected abstract open(): Promise<void>;
  abstract close(sessionLost?: boolean): void;

  append(frame: AppendBatch): void {
    if (this.closed) return;
    if (this.assembly?.inProgress) {
      this.fail(new GatewayError('invalid-argument', 'an Append arrived between the parts of an event'));
      return;
    }
    const count = frame.payloads.length;
    if (!Number.isSafeInteger(frame.firstSequence + count)) {
      this.fail(new GatewayError('invalid-argument', 'sequence numbers must stay below 2^53'));
      return;
    }
    const limit = this.session.ctx.limits.maxInflightBytesPerWriter;
    if (!this.writer) {
      // Held until Pravega's writer is up, within the same limit as unacknowledged bytes.
      for (const p of frame.payloads) this.earlyBytes += p.length;
      if (this.earlyBytes > limit * 2) {
        this.dropEarly();
        this.fail(new GatewayError('resource-exhausted', `writer exceeded its in-flight limit of ${limit} bytes`));
        return;
      }
      this.early.push(frame);
      frame.lease?.hold();
      const cost = inflightCost(frame.payloads);
      this.earlyCharge += cost;
      this.session.inflight.account.add(cost);
      return;
    }
    if (this.writer.unackedBytes > limit * 2) {
      this.fail(new GatewayError('resource-exhausted', `writer exceeded its in-flight limit of ${limit} bytes`));
      return;
    }
    this.writer.append(frame.firstSequence, frame.payloads, frame.keys, frame.lease);
  }

  /** An event in parts has begun and is not whole yet. */
  get assembling(): boolean {
    return this.assembly?.inProgress ?? false;
  }

  /**
   * What the session's in-flight budget must admit before this part: the whole event (payload
   * and header) at its first part — from then on its other parts need nothing, so an event once
   * started always completes — and nothing at the others.
   */
  partCost(part: AppendPart): number {
    if (this.assembly?.inProgress) return 0;
    const cost = part.totalBytes + EVENT_HEADER_BYTES;
    // One that cannot be taken is refused by appendPart, not left waiting for room that never comes.
    return cost <= this.largestEventCost() ? cost : 0;
  }

  /** What the largest event this channel takes costs: Pravega's limit, within the session's budget. */
  private largestEventCost(): number {
    return Math.min(PRAVEGA_MAX_EVENT_BYTES + EVENT_HEADER_BYTES, this.session.inflight.account.limit);
  }

  /**
   * One part of an event too large for a message, admitted by the session (`partCost`): held
   * until the event is whole — the event's cost charged to the session's account from its first
   * part — then appended like any other event, the charge passing to the writer. The channel's
   * own limit applies to the event's whole size at its first part (an event alone always fits,
   * as in the SDK).
   */
  appendPart(part: AppendPart): void {
    if (this.closed) return;
    const limit = this.session.ctx.limits.maxInflightBytesPerWriter;
    const held = this.writer ? this.writer.unackedBytes : this.earlyBytes;
    this.assembly ??= new EventAssembly(this.largestEventCost() - EVENT_HEADER_BYTES);
    const cost = this.partCost(part);
    let event: ReturnType<EventAssembly['add']>;
    try {
      event = this.assembly.add(part, held === 0 ? Number.POSITIVE_INFINITY : limit * 2 - held);
    } catch (err) {
      this.dropAssembly();
      this.fail(GatewayError.from(err));
      return;
    }
    this.assemblyCharge += cost;
    this.session.inflight.account.add(cost);
    if (!event) return;
    this.dropAssembly(); // the charge passes to the writer (or the early appends) in append()
    this.append({ channel: this.channel, firstSequence: event.sequence, payloads: [event.payload], keys: [event.key] });
  }

  /** Lets go of an incomplete event and its charge. */
  private dropAssembly(): void {
    this.assembly?.reset();
    this.session.inflight.account.add(-this.assemblyCharge);
    this.assemblyCharge = 0;
  }

  onAcked(throughSeq: number): void {
    if (this.closed || throughSeq < 0) return;
    this.session.send(
      encodeServerFrame({ case: 'acked', value: { channel: this.channel, throughSequence: BigInt(throughSeq) } }),
    );
  }

  onAckedBeyond(throughSeq: number, firsts: readonly number[], counts: readonly number[]): void {
    if (this.closed) return;
    this.session.send(
      encodeServerFrame({
        case: 'acked',
        value: {
          channel: this.channel,
          // No level yet (Pravega's "none"): 0 covers nothing, every sequence number is above it.
          throughSequence: BigInt(Math.max(0, throughSeq)),
          beyondFirst: firsts.map(BigInt),
          beyondCount: [...counts],
        },
      }),
    );
  }

  onError(err: GatewayError): void {
    this.fail(err);
  }

  /** The writer is up: attach, then apply what arrived meanwhile. */
  protected attachWriter(writer: StreamWriter): void {
    this.writer = writer;
    writer.attach(this);
    if (writer instanceof AccountedWriter) writer.setOwner(this.session.inflight.account);
    // Uncharged first, then charged again by the writer as it takes them: never both at once.
    this.session.inflight.account.add(-this.earlyCharge);
    this.earlyCharge = 0;
    for (const frame of this.early.splice(0)) {
      this.append(frame);
      frame.lease?.release();
    }
  }

  /** Appends held for a writer that will not come (the channel closed first): let go and uncharged. */
  protected dropEarly(): void {
    this.dropAssembly();
    for (const frame of this.early.splice(0)) frame.lease?.release();
    this.session.inflight.account.add(-this.earlyCharge);
    this.earlyCharge = 0;
  }

  protected fail(err: GatewayError): void {
    if (this.closed) return;
    this.session.logger.info({ channel: this.channel, code: err.code, msg: err.message }, 'channel failed');
    this.session.closeChannel(this.channel, err);
  }
}
