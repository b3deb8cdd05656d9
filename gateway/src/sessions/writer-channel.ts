/** A writer channel: events in, cumulative acknowledgements out — only after Pravega's. */
import type { Append, OpenWriter } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { requireRight } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { parseStreamName } from '../streams/stream-name.js';
import type { StreamWriter, WriterListener } from '../streams/stream-writer.js';
import { encodeServerFrame } from './frames.js';
import type { Channel, Session } from './session.js';

export class WriterChannel implements Channel, WriterListener {
  private writer: StreamWriter | undefined;
  private readonly early: Append[] = [];
  private closed = false;

  constructor(
    private readonly session: Session,
    private readonly request: OpenWriter,
  ) {
    // Start after the session has registered this channel, so an early failure can close it.
    queueMicrotask(() => void this.open());
  }

  append(frame: Append): void {
    if (this.closed) return;
    if (!this.writer) {
      // The SDK may pipeline appends right behind OpenWriter; keep them until the writer is up.
      this.early.push(frame);
      return;
    }
    const limit = this.session.ctx.limits.maxInflightBytesPerWriter;
    if (this.writer.unackedBytes > limit * 2) {
      this.fail(new GatewayError('resource-exhausted', `writer exceeded its in-flight limit of ${limit} bytes`));
      return;
    }
    this.writer.append(frame.firstSequence, frame.events);
    this.session.ctx.metrics.eventsWritten.inc(frame.events.length);
  }

  onAcked(throughSeq: bigint): void {
    if (this.closed || throughSeq < 0n) return;
    this.session.send(
      encodeServerFrame({ case: 'acked', value: { channel: this.request.channel, throughSequence: throughSeq } }),
    );
  }

  onError(err: GatewayError): void {
    this.fail(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer?.detach(this);
  }

  private async open(): Promise<void> {
    const { ctx } = this.session;
    try {
      if (!this.request.writerId) throw new GatewayError('invalid-argument', 'writer_id is required');
      const { scope, stream } = parseStreamName(this.request.stream, ctx.defaultScope);
      requireRight(this.session.grants, scope, stream, 'write');
      const writer = ctx.writers.get(scope, stream, this.request.writerId);
      const lastSequence = await writer.open();
      if (this.closed) return;
      this.writer = writer;
      this.session.send(
        encodeServerFrame({
          case: 'writerOpened',
          value: {
            channel: this.request.channel,
            lastSequence,
            maxInflightBytes: ctx.limits.maxInflightBytesPerWriter,
          },
        }),
      );
      writer.attach(this);
      for (const frame of this.early.splice(0)) this.append(frame);
    } catch (err) {
      this.fail(GatewayError.from(err));
    }
  }

  private fail(err: GatewayError): void {
    if (this.closed) return;
    this.session.logger.info(
      { channel: this.request.channel, code: err.code, msg: err.message },
      'writer channel failed',
    );
    this.session.closeChannel(this.request.channel, err);
    this.close();
  }
}
